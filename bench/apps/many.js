// N elements on one page: created before the drop-in file defines the tag, as static HTML would be.
const count = Number(document.body.dataset.count);
const { issuer, clientId, audience } = document.body.dataset;
const fragment = document.createDocumentFragment();
for (let i = 0; i < count; i++) {
  const el = document.createElement('closo-login');
  el.setAttribute('issuer', issuer);
  el.setAttribute('client-id', clientId);
  el.setAttribute('audience', audience);
  fragment.append(el);
}
document.body.append(fragment);
let tokens = 0;
document.addEventListener('token', () => { if (++tokens === count) window.__tokenAt = performance.now(); });
await import('/dist/closo-login.min.js');
const elements = [...document.querySelectorAll('closo-login')];
await Promise.all(elements.map((el) => el.updateComplete));
window.__renderedAt = performance.now();
window.bench = { login: () => elements[0].login() };
