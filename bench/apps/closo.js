// Bench driver for closo-login: the page loads the drop-in file; this only records timings.
const login = document.querySelector('closo-login');
login.addEventListener('token', () => { window.__tokenAt ??= performance.now(); });
window.bench = {
  login: () => login.login(),
  refresh: async () => { const t = performance.now(); await login.getAccessToken({ minValidity: 1e9 }); return performance.now() - t; },
  cached: async () => { const t = performance.now(); await login.getAccessToken(); return performance.now() - t; },
};
