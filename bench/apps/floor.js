// The floor: the same page and the same PKCE exchange with a bare fetch of the token
// endpoint (no library, no checks). Nothing can finish the callback faster.
const { issuer, clientId, audience } = document.body.dataset;
const redirectUri = location.origin + location.pathname;
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const params = new URLSearchParams(location.search);

if (params.has('code')) {
  fetch(`${issuer}oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri,
      client_id: clientId, code_verifier: sessionStorage.getItem('floor-verifier'),
    }),
  }).then((r) => r.json()).then((json) => {
    window.__token = json.access_token;
    window.__tokenAt ??= performance.now();
  });
}

window.bench = {
  login: async () => {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    sessionStorage.setItem('floor-verifier', verifier);
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const url = new URL(`${issuer}authorize`);
    url.search = new URLSearchParams({
      audience, scope: 'openid profile email offline_access', response_type: 'code', client_id: clientId,
      redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: b64url(crypto.getRandomValues(new Uint8Array(16))),
    });
    location.assign(url);
  },
};
