// A report from the second API, with a token for it from the same login (docs/auth0.md).
export async function reports(login) {
  const response = await login.fetch('/api2/reports', { audience: 'https://api2.thecloso.com', scope: 'read:reports' });
  return response.json();
}
