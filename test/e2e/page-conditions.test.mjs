// How the element behaves in the conditions real pages create: listeners added by a later
// script, elements configured differently, frames, failing storage, windows opened for other
// purposes, a browser that never leaves for the provider, sessions that expired while closed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_USER, events, isAuthorizeRequest, isTokenRequest, logIn, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const env = useStack();
const heard = (page) => page.evaluate(() => window.__heard);

describe('page conditions', () => {
  it('a restored session and a configuration error reach listeners added by a later module script', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/late-listener.html`);
    await page.locator('#restored').getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    const since = env.mark();
    await page.reload();
    await page.waitForFunction(() => window.__heard?.length >= 2);
    const got = await heard(page);
    assert.deepEqual(got.filter((e) => e.type === 'token').map((e) => e.target), ['restored'], 'the session restored from storage is announced');
    assert.deepEqual(got.filter((e) => e.type === 'auth-error').map((e) => [e.target, e.code]), [['broken', 'config_invalid']]);
    assert.equal(env.requests(since).length, 0, 'a valid stored session is restored without a request');
  });

  it('elements that differ only in per-element settings all end up logged in after one exchange', async () => {
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(`${env.origin}/fixtures/shared-session.html`);
    await page.locator('#sidebar').getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const tokens = await waitForEvents(page, 'token', 2);
    assert.deepEqual(tokens.map((e) => e.target).sort(), ['header', 'sidebar']);
    assert.equal(env.requests(since, isTokenRequest).length, 1);
    for (const id of ['header', 'sidebar']) await page.locator(`#${id}`).getByText(DEMO_USER.name).waitFor();
  });

  it('refuses a redirect login inside a frame, before any request', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/framed.html`);
    const frame = page.frameLocator('#frame');
    await frame.getByRole('button', { name: 'Log in' }).waitFor();
    const since = env.mark();
    const child = page.frames().find((f) => f.url().endsWith('/fixtures/storage-session.html'));
    const code = await child.evaluate(() => document.querySelector('closo-login').login().then(() => 'resolved', (error) => error.code));
    assert.equal(code, 'frame_refused');
    assert.equal(env.requests(since, isAuthorizeRequest).length, 0);
    assert.equal(child.url(), `${env.origin}/fixtures/storage-session.html`, 'the frame stayed');
    assert.deepEqual(await child.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes(':login:'))), [], 'no pending login');
    await frame.getByText('A redirect login cannot run inside a frame').waitFor();
  });

  it('when storage fails on the callback: one storage_unavailable, and the response leaves the address bar', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/storage-session.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    // From here on, every page of the origin finds sessionStorage broken.
    await page.addInitScript(() => {
      Storage.prototype.getItem = () => { throw new DOMException('The operation is insecure.', 'SecurityError'); };
    });
    const since = env.mark();
    await logInAtProvider(page);
    await waitForEvents(page, 'auth-error');
    await env.expectQuiet(page, { ms: 300, requests: isTokenRequest });
    const all = await events(page);
    assert.deepEqual(all.map((e) => [e.type, e.detail.code]), [['auth-error', 'storage_unavailable']]);
    assert.equal(page.url(), `${env.origin}/fixtures/storage-session.html`, 'code, state and iss removed');
    assert.equal(env.requests(since, isTokenRequest).length, 0);
  });

  it('leaves alone a same-origin window that another script opened on a callback-like URL', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/popup.html`);
    const target = `${env.origin}/fixtures/popup.html?code=someone-elses&state=${'s'.repeat(43)}`;
    const [opened] = await Promise.all([page.waitForEvent('popup'), page.evaluate((href) => { window.open(href, 'other-login'); }, target)]);
    await opened.waitForLoadState('load');
    await opened.locator('closo-login').getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal(opened.url(), target, 'its URL is untouched');
    assert.equal(opened.isClosed(), false, 'and it is not closed');
    assert.deepEqual(await events(page), [], 'the opener heard nothing');
  });

  it('ends the busy state with timeout when the browser stays on the page after login()', async () => {
    const page = await env.newPage();
    // The authorization endpoint answers 204: the browser stays where it is.
    await page.route(`${env.issuer}authorize?**`, (route) => route.fulfill({ status: 204 }));
    await page.goto(`${env.origin}/fixtures/params.html`);
    const login = page.locator('closo-login').first();
    await login.evaluate((el) => { el.timeout = 1; });
    await login.getByRole('button', { name: 'Log in' }).click();
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'timeout');
    const button = login.getByRole('button', { name: 'Log in' });
    await button.waitFor();
    assert.equal(await button.getAttribute('aria-busy'), 'false');
    await page.unroute(`${env.issuer}authorize?**`);
    await button.click();
    await page.waitForURL(/\/u\/login\//);
  });

  it('forgets an expired stored session that nothing can renew, without showing it', async () => {
    const page = await env.newPage();
    const [first] = [await logIn(page, `${env.origin}/fixtures/no-refresh.html`)];
    assert.equal(first.detail.claims.sub, DEMO_USER.sub);
    await page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.includes(':session:'));
      localStorage.setItem(key, JSON.stringify({ ...JSON.parse(localStorage.getItem(key)), expiresAt: Date.now() - 1000 }));
    });
    const since = env.mark();
    await page.reload();
    const login = page.locator('closo-login');
    await login.getByRole('button', { name: 'Log in' }).waitFor(); // rendered: the stored session has been looked at
    await env.expectQuiet(page, { ms: 300 });
    assert.equal(await login.evaluate((el) => el.authenticated), false);
    assert.equal(await login.evaluate((el) => el.accessToken), null);
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes(':session:'))), [], 'purged');
    assert.deepEqual((await events(page)).map((e) => e.type), [], 'nothing announced for a session this page never showed');
    assert.equal(env.requests(since).length, 0);
  });
});
