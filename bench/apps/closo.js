// Bench driver for closo-login: the page loads the drop-in file; this only records timings.
const login = document.querySelector('closo-login');
login.addEventListener('token', () => { window.__tokenAt ??= performance.now(); });
const silentOutcome = login.hasAttribute('silent')
  ? new Promise((settled) => { for (const type of ['token', 'auth-error']) login.addEventListener(type, settled, { once: true }); })
  : Promise.resolve();
window.bench = {
  // With `silent`, the element first tries a silent sign-in on load; login() waits for its outcome
  // (a login() call while the element is busy is ignored).
  login: async () => { await silentOutcome; return login.login(); },
  refresh: async () => { const t = performance.now(); await login.getAccessToken({ minValidity: 1e9 }); return performance.now() - t; },
  cached: async () => { const t = performance.now(); await login.getAccessToken(); return performance.now() - t; },
  // A token for a second API after login: a refresh grant with its audience (or, without a refresh token, a silent sign-in).
  secondApi: async () => { const t = performance.now(); await login.getAccessToken({ audience: 'https://api2.thecloso.com', scope: 'read:reports' }); return performance.now() - t; },
};
