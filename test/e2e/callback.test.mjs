// The callback page: one exchange for many elements, foreign codes, denied logins.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_USER, events, isAuthorizeRequest, isTokenRequest, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const env = useStack();

describe('callback handling', () => {
  it('exchanges the code once however many elements are on the page, and logs them all in', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/multi.html`);
    await page.locator('#first').getByRole('button', { name: 'Log in' }).click();
    // Everything the login page fetched (discovery, keys) is done once the provider's form shows.
    await page.waitForURL(/\/u\/login\//);
    const since = env.mark();
    await logInAtProvider(page);
    const tokens = await waitForEvents(page, 'token', 3);
    assert.deepEqual(tokens.map((e) => e.target).sort(), ['first', 'second', 'third']);
    assert.equal(new Set(tokens.map((e) => e.detail.accessToken)).size, 1);
    // The callback page made one request to the provider: the token request (discovery was cached at login).
    assert.deepEqual(env.requests(since).filter((r) => !r.path.startsWith('/u/') && !r.path.startsWith('/authorize')).map((r) => `${r.method} ${r.path}`), ['POST /oauth/token']);
    assert.deepEqual(await page.evaluate(() => [
      document.querySelector('#first').authenticated,
      document.querySelector('#second').authenticated,
      document.querySelector('#host').shadowRoot.querySelector('closo-login').authenticated,
    ]), [true, true, true]);
    assert.equal(page.url(), `${env.origin}/fixtures/multi.html`);
  });

  it('leaves a URL that merely contains ?code= alone', async () => {
    const page = await env.newPage();
    const since = env.mark();
    const url = `${env.origin}/fixtures/multi.html?code=some-code&state=${'x'.repeat(43)}&iss=${encodeURIComponent(env.issuer)}`;
    await page.goto(url);
    // Rendered: the elements have looked at the URL (synchronously, as they attached).
    await page.locator('#first').getByRole('button', { name: 'Log in' }).waitFor();
    await env.expectQuiet(page, { ms: 200, navigation: true });
    assert.equal(page.url(), url);
    assert.deepEqual(await events(page), []);
    assert.deepEqual(env.requests(since), []);
  });

  it('ends a denied login in auth-error, with the URL cleaned and no code exchange', async () => {
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(`${env.origin}/fixtures/unknown-audience.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    // Like Auth0, the tenant answers an unknown audience at once with error=access_denied.
    const [error] = await waitForEvents(page, 'auth-error');
    const [authorize] = env.requests(since, isAuthorizeRequest);
    assert.equal(authorize.params.audience, 'https://unknown-api.example');
    assert.equal(error.isCustomEvent && error.bubbles && error.composed, true);
    assert.equal(error.detail.code, 'access_denied');
    assert.match(error.detail.message, /Service not found: https:\/\/unknown-api\.example/);
    assert.equal(page.url(), `${env.origin}/fixtures/unknown-audience.html`);
    assert.equal(env.requests(since, isTokenRequest).length, 0);
    assert.equal((await events(page)).filter((e) => e.type === 'token').length, 0);
    await page.locator('closo-login [part=error]').waitFor();
    assert.match(await page.locator('closo-login').locator('[part=error]').textContent(), /access_denied/);
    assert.equal(await page.evaluate(() => Object.keys(sessionStorage).some((k) => k.includes(':login:'))), false);
    // The same response cannot be replayed: going back to it does nothing.
    await page.goBack();
    await page.goForward();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal(env.requests(since, isTokenRequest).length, 0);
  });

  it('lets a new login succeed after a failed one', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/unknown-audience.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await waitForEvents(page, 'auth-error');
    await page.goto(`${env.origin}/`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.claims.sub, DEMO_USER.sub);
  });
});
