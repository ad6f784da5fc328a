// Bench driver for @auth0/auth0-spa-js 2.x: redirect login with PKCE and audience, callback, refresh.
import { createAuth0Client } from '@auth0/auth0-spa-js';

const { issuer, clientId, audience } = document.body.dataset;
const clientPromise = createAuth0Client({
  domain: issuer.replace(/\/$/, ''),
  clientId,
  authorizationParams: { audience, redirect_uri: location.origin + location.pathname, scope: 'openid profile email offline_access' },
  useRefreshTokens: true,
  // Multi-Resource Refresh Token: a token for another API from the refresh token (auth0-spa-js 2.2x).
  useMrrt: true,
  cacheLocation: 'memory',
});

if (/[?&]code=/.test(location.search)) {
  clientPromise.then(async (client) => {
    await client.handleRedirectCallback();
    window.__token = await client.getTokenSilently();
    window.__tokenAt ??= performance.now();
    history.replaceState(null, '', location.pathname);
  });
}

window.bench = {
  login: async () => (await clientPromise).loginWithRedirect(),
  refresh: async () => { const client = await clientPromise; const t = performance.now(); await client.getTokenSilently({ cacheMode: 'off' }); return performance.now() - t; },
  cached: async () => { const client = await clientPromise; const t = performance.now(); await client.getTokenSilently(); return performance.now() - t; },
  secondApi: async () => {
    const client = await clientPromise;
    const t = performance.now();
    await client.getTokenSilently({ authorizationParams: { audience: 'https://api2.thecloso.com', scope: 'read:reports' } });
    return performance.now() - t;
  },
};
