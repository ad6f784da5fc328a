// Configures a freshly started Glewlwyd through its own REST API, as its administration page
// would: the OpenID Connect plugin, the scopes, the test user, the public client, and the user's
// consent to that client (so that its login form has no "Grant access" step).

/** The administrator Glewlwyd's sqlite schema creates. Reachable on loopback only, for one run. */
const ADMIN = { username: 'admin', password: 'password' };

/** The scopes the element asks for by default. */
export const SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** Logs `who` in through POST /api/auth; resolves with a `request(method, path, body)` that carries the session cookie. */
async function session(api, who) {
  const response = await fetch(`${api}/auth/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: who.username, password: who.password }),
  });
  if (!response.ok) throw new Error(`Glewlwyd refused the password of ${who.username}: ${response.status}`);
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return async function request(method, path, body) {
    const answer = await fetch(`${api}${path}`, {
      method,
      headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`Glewlwyd answered ${method} ${path} with ${answer.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/**
 * @param {string} api e.g. http://127.0.0.1:4593/api
 * @param {{ plugin: object, clientId: string, redirectUris: string[], postLogoutRedirectUris: string[], user: { login: string, password: string } }} setup
 */
export async function adminSetup(api, { plugin, clientId, redirectUris, postLogoutRedirectUris, user }) {
  const admin = await session(api, ADMIN);
  await admin('POST', '/mod/plugin/', plugin);

  // The plugin reads a client's `post_logout_redirect_uris`, but the client store keeps only the
  // properties its data-format names, and Debian's names only `post_logout_redirect_uri`.
  const store = await admin('GET', '/mod/client/database');
  store.parameters['data-format'].post_logout_redirect_uris = { multiple: true, read: true, write: true };
  await admin('PUT', '/mod/client/database', store);
  await admin('PUT', '/mod/client/database/reset');

  // `openid` comes with the schema, without a password: with one, the login form asks for it.
  // Scopes unknown to Glewlwyd would never be granted, so the others are created.
  await admin('PUT', '/scope/openid', { name: 'openid', display_name: 'Open ID', description: 'OpenID Connect', password_required: true, password_max_age: 0, scheme: {} });
  for (const name of SCOPES.filter((scope) => scope !== 'openid')) {
    await admin('POST', '/scope/', { name, display_name: name, description: `The ${name} scope`, password_required: true, password_max_age: 0, scheme: {} });
  }

  // g_profile lets the user's own session give consent below, as the profile page would.
  await admin('POST', '/user/', {
    username: user.login, password: user.password, name: 'Closo Glewlwyd', email: 'closo@example.test',
    scope: [...SCOPES, 'g_profile'], enabled: true,
  });
  await admin('POST', '/client/', {
    client_id: clientId,
    name: 'closo-login test page',
    enabled: true,
    // A public client: a browser keeps no secret. PKCE stands in for it (pkce-required-public-client).
    confidential: false,
    redirect_uri: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    // Refresh tokens. (Glewlwyd issues one with every code exchange, whatever the scope; a client
    // not allowed `refresh_token` gets one all the same, then a bare 400 when it uses it.)
    authorization_type: ['code', 'refresh_token'],
    scope: [],
  });

  // Consent in advance, so the login form does not stop on its "Grant access" step. (Space-separated,
  // although its API documentation says comma.)
  const userSession = await session(api, { username: user.login, password: user.password });
  await userSession('PUT', `/auth/grant/${encodeURIComponent(clientId)}`, { scope: SCOPES.join(' ') });
  // Neither session was a browser's: they end with this function, and the browser starts with none.
}
