// The demo pages' own script: listens to <closo-login> and calls the demo API.
// No inline script, no innerHTML: the pages run under a strict CSP with Trusted Types. The
// passkeys page (passkeys.html) has only some of the sections: what it lacks is skipped.
const login = document.querySelector('closo-login');
const $ = (id) => document.getElementById(id);

/** Decodes a JWT's payload for display (the API, not the page, verifies it). */
function decodeJwt(jwt) {
  const payload = jwt.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

function show(id, value) {
  if (!$(id)) return;
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
  for (const id of ['call-api', 'call-api2', 'call-sensitive']) if ($(id)) $(id).disabled = false;
});

login.addEventListener('auth-error', (event) => {
  show('status', `Error (${event.detail.code}): ${event.detail.message}`);
});

login.addEventListener('logout', () => {
  show('status', 'Logged out.');
  show('access-claims', '—');
  show('id-claims', '—');
  show('api-result', '—');
  show('more-result', '—');
  for (const id of ['call-api', 'call-api2', 'call-sensitive']) if ($(id)) $(id).disabled = true;
});

$('call-api')?.addEventListener('click', async () => {
  show('api-result', 'Calling…');
  try {
    // The element adds the token (Bearer, or DPoP with a proof when the dpop attribute is set).
    const response = await login.fetch('/api/claims');
    show('api-result', { status: response.status, body: await response.json() });
  } catch (error) {
    show('api-result', String(error));
  }
});

// A second API: a token for its audience from the same login (docs/auth0.md, "Several APIs").
$('call-api2')?.addEventListener('click', async () => {
  show('more-result', 'Calling the second API…');
  try {
    const response = await login.fetch('/api2/reports', { audience: 'https://api2.thecloso.com', scope: 'read:reports' });
    show('more-result', { status: response.status, body: await response.json() });
  } catch (error) {
    show('more-result', `${error.code ?? ''} ${error.message ?? error}`);
  }
});

// An API that wants a stronger login (RFC 9470): step up in a popup, then call it again.
$('call-sensitive')?.addEventListener('click', async () => {
  show('more-result', 'Calling the sensitive API…');
  try {
    let response;
    try {
      response = await login.fetch('/api/sensitive');
    } catch (error) {
      if (error.code !== 'step_up_required') throw error;
      show('more-result', 'The API wants a stronger login: log in again in the popup.');
      await login.login({ popup: true, authorizationParams: { acr_values: error.stepUp.acrValues, prompt: 'login' } });
      response = await login.fetch('/api/sensitive');
    }
    show('more-result', { status: response.status, body: await response.json() });
  } catch (error) {
    show('more-result', `${error.code ?? ''} ${error.message ?? error}`);
  }
});

$('org-login')?.addEventListener('click', () => {
  login.login({ organization: 'acme' }).catch(() => {});
});
