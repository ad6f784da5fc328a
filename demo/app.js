// The demo page's own script: listens to <closo-login> and calls the demo API.
// No inline script, no innerHTML: the page runs under a strict CSP with Trusted Types.
const login = document.querySelector('closo-login');
const $ = (id) => document.getElementById(id);

/** Decodes a JWT's payload for display (the API, not the page, verifies it). */
function decodeJwt(jwt) {
  const payload = jwt.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

function show(id, value) {
  $(id).textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

login.addEventListener('token', (event) => {
  const { accessToken, expiresAt, claims, scope } = event.detail;
  show('status', `Logged in as ${claims.name ?? claims.email}. Scope: ${scope}. Token expires ${expiresAt ? new Date(expiresAt).toLocaleTimeString() : 'at an unknown time'}.`);
  try {
    show('access-claims', decodeJwt(accessToken));
  } catch {
    show('access-claims', 'The access token is not a JWT (no audience requested?).');
  }
  show('id-claims', claims);
  $('call-api').disabled = false;
});

login.addEventListener('auth-error', (event) => {
  show('status', `Error (${event.detail.code}): ${event.detail.message}`);
});

login.addEventListener('logout', () => {
  show('status', 'Logged out.');
  show('access-claims', '—');
  show('id-claims', '—');
  show('api-result', '—');
  $('call-api').disabled = true;
});

$('call-api').addEventListener('click', async () => {
  show('api-result', 'Calling…');
  try {
    // The element adds the token (Bearer, or DPoP with a proof when the dpop attribute is set).
    const response = await login.fetch('/api/claims');
    show('api-result', { status: response.status, body: await response.json() });
  } catch (error) {
    show('api-result', String(error));
  }
});
