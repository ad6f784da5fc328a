// Page-level defences: open redirects, Referer leaks, strict CSP, broken storage,
// oversized callbacks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cspViolations, events, isAuthorizeRequest, isTokenRequest, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

// The fixtures once more under /nocsp/, served without a Content-Security-Policy: there an HTML
// sink would run injected script, so a test of text-only rendering can fail.
const env = useStack({}, { '/nocsp/': { dir: fileURLToPath(new URL('./fixtures', import.meta.url)), csp: false } });

describe('page-level defences', () => {
  it('comes back only to same-origin paths (RFC 9700 §4.11.1)', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', 'https:evil.example']) {
      const page = await env.newPage();
      await page.goto(`${env.origin}/fixtures/hostile.html?from=${encodeURIComponent(returnTo)}`);
      await page.locator('closo-login').evaluate((el, to) => { el.login({ returnTo: to }); }, returnTo);
      await logInAtProvider(page);
      await waitForEvents(page, 'token');
      assert.equal(new URL(page.url()).origin, env.origin, returnTo);
      assert.equal(new URL(page.url()).pathname, '/fixtures/hostile.html', returnTo);
    }
  });

  it('leaks no code or token through Referer, and runs under a strict CSP with Trusted Types', async () => {
    const page = await env.newPage();
    const seenReferers = [];
    page.on('request', (request) => seenReferers.push(request.headers().referer ?? ''));
    const since = env.mark();
    const response = await page.goto(`${env.origin}/`);
    const csp = response.headers()['content-security-policy'];
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /require-trusted-types-for 'script'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    await page.getByRole('button', { name: 'Call the API' }).click();
    await page.locator('#api-result', { hasText: '"status": 200' }).waitFor();
    const providerReferers = env.requests(since).map((r) => r.headers.referer ?? '');
    for (const referer of [...seenReferers, ...providerReferers]) assert.doesNotMatch(referer, /[?&#](code|state|access_token|id_token)=/);
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(page.pageErrors, []);
    // No history entry holds the response.
    assert.equal(await page.evaluate(() => location.search + location.hash), '');
  });

  it('reports storage_unavailable without navigating when sessionStorage throws', async () => {
    const page = await env.newPage();
    await page.addInitScript(() => {
      Storage.prototype.setItem = () => { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
    });
    const since = env.mark();
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'storage_unavailable');
    await env.expectQuiet(page, { ms: 300, events: [], requests: isAuthorizeRequest, navigation: true });
    assert.equal(page.url(), `${env.origin}/fixtures/hostile.html`);
    assert.equal(env.requests(since, isAuthorizeRequest).length, 0);
    assert.equal(await page.getByRole('button', { name: 'Log in' }).isEnabled(), true, 'not stuck busy');
  });

  // I1: a login is pending (the user is at the provider), and the page is opened on a monstrous
  // "response". It is refused at once, nothing is sent or stored, and the pending login is spent.
  const hugeCallbacks = [
    ['a 100 KB state', ({ iss }) => `code=abc&state=${'s'.repeat(100_000)}&iss=${iss}`, 'state_mismatch'],
    ['a 100 KB code', ({ state, iss }) => `code=${'c'.repeat(100_000)}&state=${state}&iss=${iss}`, 'authorization_failed'],
    ['10,000 parameters', ({ state, iss }) => `code=abc&state=${state}&iss=${iss}&${Array.from({ length: 10_000 }, (_, i) => `p${i}=${i}`).join('&')}`, 'authorization_failed'],
    ['broken percent-encoding', ({ iss }) => `code=%E0%A4%A&state=%&iss=${iss}`, 'state_mismatch'],
    ['NUL and invalid bytes in an error', ({ state, iss }) => `error=%00%ff&error_description=%00%ff%fe&state=${state}%00&iss=${iss}`, 'state_mismatch'],
  ];
  for (const [name, query, code] of hugeCallbacks) {
    it(`with a login pending, refuses a callback with ${name} at once (${code}): nothing sent, nothing stored, the pending login spent`, async () => {
      const page = await env.newPage();
      await page.goto(`${env.origin}/fixtures/hostile.html`);
      const since = env.mark();
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/u\/login\//);
      const [authorize] = env.requests(since, isAuthorizeRequest);
      const values = { state: authorize.params.state, iss: encodeURIComponent(env.issuer) };
      const onCallback = env.mark();
      await page.goto(`${env.origin}/fixtures/hostile.html?${query(values)}`);
      const [error] = await waitForEvents(page, 'auth-error');
      assert.equal(error.detail.code, code, error.detail.message);
      // At once: refused from the URL alone, before any request to the provider (a timing bound would
      // measure the machine's load; the page's 2 s timeout would give the code `timeout`).
      assert.deepEqual(env.requests(onCallback).map((r) => `${r.method} ${r.path}`), [], 'no request to the provider from the callback page');
      assert.equal(await page.getByRole('button', { name: 'Log in' }).isEnabled(), true, 'not stuck busy');
      await env.expectQuiet(page, { ms: 100, requests: isTokenRequest });
      const all = await events(page);
      assert.deepEqual(all.map((e) => e.type), ['auth-error'], 'one auth-error, no token');
      assert.equal(env.requests(since, isTokenRequest).length, 0, 'no token request');
      assert.equal(page.url(), `${env.origin}/fixtures/hostile.html`, 'address bar cleaned');
      const stored = await page.evaluate(() => ({ ...localStorage, ...sessionStorage }));
      assert.deepEqual(Object.keys(stored).filter((key) => !/^closo-login:(discovery|jwks):/.test(key)), [], 'no pending login, no session');
      assert.doesNotMatch(JSON.stringify(stored), /eyJ[\w-]+\.[\w-]+\./, 'nothing token-like stored');
      assert.deepEqual(page.pageErrors, []);
      // The pending login is spent: the genuine-looking response for it is not ours any more.
      await page.goto(`${env.origin}/fixtures/hostile.html?code=abc&state=${values.state}&iss=${values.iss}`);
      await page.getByRole('button', { name: 'Log in' }).waitFor(); // rendered: the element has looked at the URL
      await env.expectQuiet(page, { ms: 200, requests: isTokenRequest });
      assert.deepEqual(await events(page), []);
      assert.equal(env.requests(since, isTokenRequest).length, 0);
    });
  }

  it('twenty rapid clicks on Log in start exactly one authorization request and one pending login (I3)', async () => {
    const page = await env.newPage();
    const seen = { clicks: 0, pendingLogins: [] };
    await page.exposeBinding('__report', (_source, kind, key) => { if (kind === 'click') seen.clicks++; else seen.pendingLogins.push(key); });
    await page.addInitScript(() => {
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        if (String(key).includes(':login:')) window.__report('pending', key);
        return setItem.call(this, key, value);
      };
      document.addEventListener('click', () => window.__report('click'), true);
    });
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    const since = env.mark();
    const navigated = page.waitForURL(/\/u\/login\//);
    await page.getByRole('button', { name: 'Log in' }).click({ clickCount: 20, delay: 0 });
    await navigated;
    assert.equal(seen.clicks, 20, 'the page received twenty clicks');
    assert.equal(env.requests(since, isAuthorizeRequest).length, 1, 'one authorization request');
    assert.equal(seen.pendingLogins.length, 1, 'one pending login');
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    assert.equal(env.requests(since, isTokenRequest).length, 1);
    assert.equal(env.requests(since, isAuthorizeRequest).length, 1);
  });

  it("renders a hostile error_description as text only, even on a page without CSP (A8)", async () => {
    const payload = '<img src=x onerror="window.__xss=(window.__xss||0)+1"><b>bold</b><script>window.__xss=1</script>';
    env.provider.faults.authorization = { error: 'access_denied', errorDescription: payload };
    const page = await env.newPage();
    const requested = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.goto(`${env.origin}/nocsp/hostile.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'access_denied');
    assert.equal(error.detail.message, `access_denied: ${payload}`);
    const shown = page.locator('closo-login').locator('[part=error]');
    assert.equal(await shown.textContent(), `access_denied: ${payload}`);
    // Had the text become markup, the image's request and error handler would come within this time.
    await env.expectQuiet(page, {
      ms: 300, events: [], requests: null, browserRequests: (request) => new URL(request.url()).pathname.endsWith('/x'), inPage: () => window.__xss,
    });
    const markup = await page.evaluate(() => {
      const count = (root) => [...root.querySelectorAll('*')].reduce((n, el) => n + (el.shadowRoot ? count(el.shadowRoot) : 0),
        root.querySelectorAll('img, b, script:not([src])').length);
      return { elements: count(document), xss: window.__xss };
    });
    assert.deepEqual(markup, { elements: 0, xss: undefined });
    assert.ok(!requested.some((path) => path.endsWith('/x')), 'the image was never requested');
    assert.deepEqual(page.pageErrors, []);
  });
});
