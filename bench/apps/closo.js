// Bench driver for closo-login: the page loads the drop-in file; this only records timings.
const login = document.querySelector('closo-login');
login.addEventListener('token', () => { window.__tokenAt ??= performance.now(); });
window.bench = {
  login: () => login.login(),
  refresh: async () => { const t = performance.now(); await login.getAccessToken({ minValidity: 1e9 }); return performance.now() - t; },
  cached: async () => { const t = performance.now(); await login.getAccessToken(); return performance.now() - t; },
  // A token for a second API after login: a refresh grant with its audience (or, without a refresh token, a silent sign-in).
  secondApi: async () => { const t = performance.now(); await login.getAccessToken({ audience: 'https://api2.thecloso.com', scope: 'read:reports' }); return performance.now() - t; },
};
