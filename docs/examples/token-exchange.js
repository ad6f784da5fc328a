// A user who comes from the old system carries its token: exchange it for a session here
// (RFC 8693; Auth0's Custom Token Exchange), with no login page. The session is an ordinary one.
export function logInWithLegacyToken(login, legacyToken) {
  return login.login({ subjectToken: legacyToken, subjectTokenType: 'urn:closo:legacy-token' });
}

// A support agent acting for a user: a token for the reports API that names the agent (`act`),
// for this call only. Nothing is stored, no event fires, and the page's own session is untouched.
export async function reportsAsAgent(login, userToken, agentToken) {
  const { accessToken } = await login.exchangeToken({
    subjectToken: userToken,
    subjectTokenType: 'urn:closo:legacy-token',
    actorToken: agentToken,
    actorTokenType: 'urn:closo:legacy-token',
    audience: 'https://api2.thecloso.com',
    scope: 'read:reports',
  });
  const response = await fetch('/api2/reports', { headers: { authorization: `Bearer ${accessToken}` } });
  return response.json();
}
