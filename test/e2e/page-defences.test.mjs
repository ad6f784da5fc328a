// Page-level defences: open redirects, Referer leaks, strict CSP, broken storage,
// oversized callbacks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cspViolations, events, isAuthorizeRequest, isTokenRequest, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const env = useStack();

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
      await page.context().close();
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
    await page.context().close();
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
    await page.waitForTimeout(300);
    assert.equal(page.url(), `${env.origin}/fixtures/hostile.html`);
    assert.equal(env.requests(since, isAuthorizeRequest).length, 0);
    assert.equal(await page.getByRole('button', { name: 'Log in' }).isEnabled(), true, 'not stuck busy');
    await page.context().close();
  });

  it('rejects huge and malformed callback URLs quickly, without storing anything', async () => {
    const page = await env.newPage();
    const since = env.mark();
    const many = Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join('&');
    for (const query of [`code=x&state=${'a'.repeat(12_000)}`, `code=a&${many}`, 'code=%E0%A4%A&state=%', 'error=%00%ff&state=\u0000']) {
      await page.goto(`${env.origin}/fixtures/hostile.html?${query}`);
      await page.getByRole('button', { name: 'Log in' }).waitFor();
      const took = await page.evaluate(() => performance.now());
      assert.ok(took < 3000, `${query.slice(0, 30)}… handled in ${took} ms`);
    }
    assert.deepEqual(await events(page), []);
    assert.deepEqual(page.pageErrors, []);
    assert.equal(await page.evaluate(() => Object.keys(sessionStorage).length + Object.keys(localStorage).length), 0);
    assert.equal(env.requests(since, isTokenRequest).length, 0);
    await page.context().close();
  });
});
