// Bench driver for oidc-client-ts 3.x: redirect login with PKCE and audience, callback, refresh.
import { InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts';

const { issuer, clientId, audience } = document.body.dataset;
const manager = new UserManager({
  authority: issuer,
  client_id: clientId,
  redirect_uri: location.origin + location.pathname,
  response_type: 'code',
  scope: 'openid profile email offline_access',
  extraQueryParams: { audience },
  userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
  automaticSilentRenew: false,
  loadUserInfo: false,
});

if (/[?&]code=/.test(location.search)) {
  manager.signinRedirectCallback().then((user) => {
    window.__token = user.access_token;
    window.__tokenAt ??= performance.now();
    history.replaceState(null, '', location.pathname);
  });
}

window.bench = {
  login: () => manager.signinRedirect(),
  refresh: async () => { const t = performance.now(); await manager.signinSilent(); return performance.now() - t; },
  cached: async () => { const t = performance.now(); await manager.getUser(); return performance.now() - t; },
};
