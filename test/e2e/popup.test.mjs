// Popup login: the page stays, the popup hands the response to its opener, and every
// failure (blocked, closed, timeout) is reported and cleaned up; foreign messages are ignored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_USER, events, isAuthorizeRequest, isTokenRequest, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const env = useStack();

async function openPage() {
  const page = await env.newPage();
  await page.goto(`${env.origin}/fixtures/popup.html`);
  await page.locator('#unsaved-work').fill('My unsaved draft');
  const navigations = [];
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
  return { page, navigations };
}

describe('popup login', () => {
  it('logs in without leaving the page', async () => {
    const { page, navigations } = await openPage();
    const since = env.mark();
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
    await logInAtProvider(popup);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.claims.sub, DEMO_USER.sub);
    if (!popup.isClosed()) await popup.waitForEvent('close');
    assert.deepEqual(navigations, [], 'the page never navigated');
    assert.equal(await page.locator('#unsaved-work').inputValue(), 'My unsaved draft');
    assert.equal(page.url(), `${env.origin}/fixtures/popup.html`);
    const [authorize] = env.requests(since, isAuthorizeRequest);
    assert.equal(authorize.params.redirect_uri, `${env.origin}/fixtures/popup.html`);
    assert.equal(authorize.params.code_challenge_method, 'S256');
    assert.equal(env.requests(since, isTokenRequest).length, 1);
    await page.locator('closo-login').getByText(DEMO_USER.name).waitFor();
  });

  it('ignores messages from other origins or other windows, and completes', async () => {
    const { page } = await openPage();
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
    await popup.waitForURL(/\/u\/login\//);
    const state = await popup.evaluate(() => new URLSearchParams(location.search).get('state') ?? '');
    const authorize = env.provider.requests.filter(isAuthorizeRequest).at(-1);
    const forged = `${env.origin}/fixtures/popup.html?code=forged-code&state=${authorize.params.state}&iss=${encodeURIComponent(env.issuer)}`;
    assert.equal(state, '', 'the provider keeps the state server-side during its form');
    await page.evaluate((href) => {
      window.__forgedMessages = 0;
      window.addEventListener('message', (event) => { if (event.data?.href === href) window.__forgedMessages++; });
      const popupWindow = window.open('', 'closo-login-popup'); // the existing popup, not a new one
      const data = { type: 'closo-login:authorization-response', href };
      // Right source, wrong origin.
      window.dispatchEvent(new MessageEvent('message', { origin: 'https://evil.example', source: popupWindow, data }));
      // Right origin, wrong source (this window, not the popup).
      window.dispatchEvent(new MessageEvent('message', { origin: location.origin, source: window, data }));
      // A real postMessage from this page to itself: same origin, but not from the popup.
      window.postMessage(data, location.origin);
    }, forged);
    // A real postMessage from another origin: a frame of the provider's origin posting to the page.
    await page.evaluate((src) => new Promise((resolve) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      frame.onload = resolve;
      document.body.append(frame);
    }), `${env.issuer}.well-known/openid-configuration`);
    const foreign = page.frames().find((frame) => frame.url().startsWith(env.issuer));
    await foreign.evaluate((href) => parent.postMessage({ type: 'closo-login:authorization-response', href }, '*'), forged);
    // All four reached the page (this listener, added after the element's, hears each after it).
    await page.waitForFunction(() => window.__forgedMessages === 4);
    await env.expectQuiet(page, { ms: 300, requests: null });
    assert.equal((await events(page)).length, 0, 'nothing happened');
    await logInAtProvider(popup);
    const [token] = await waitForEvents(page, 'token');
    assert.ok(token.detail.accessToken);
    assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 0);
  });

  for (const [fault, code] of [[{ state: 'wrong' }, 'state_mismatch'], [{ state: 'missing', error: 'access_denied' }, 'state_missing']]) {
    it(`fails at once with ${code} when the popup comes back with ${JSON.stringify(fault)}, and exchanges nothing`, async () => {
      const { page } = await openPage();
      env.provider.faults.authorization = fault;
      const since = env.mark();
      const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
      const closed = popup.waitForEvent('close');
      await logInAtProvider(popup);
      const started = Date.now();
      const [error] = await waitForEvents(page, 'auth-error');
      assert.equal(error.detail.code, code);
      assert.ok(Date.now() - started < 3000, 'not left to the 4 s popup timeout');
      await closed;
      await env.expectQuiet(page, { ms: 300, requests: isTokenRequest });
      assert.deepEqual((await events(page)).map((e) => e.type), ['auth-error'], 'exactly one event');
      assert.equal(env.requests(since, isTokenRequest).length, 0);
      env.resetFaults();
      // A new login works; the provider still has the session, so the popup comes straight back.
      await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
      await waitForEvents(page, 'token');
    });
  }

  it('reports popup_blocked when the browser blocks the window', async () => {
    const page = await env.newPage();
    await page.addInitScript(() => { window.open = () => null; });
    const since = env.mark();
    await page.goto(`${env.origin}/fixtures/popup.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'popup_blocked');
    assert.equal(env.requests(since).length, 0);
    assert.equal(await page.getByRole('button', { name: 'Log in' }).getAttribute('aria-disabled'), 'false');
  });

  it('reports popup_closed when the user closes the window, and a new login works', async () => {
    const { page } = await openPage();
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
    await popup.waitForURL(/\/u\/login\//);
    await popup.close();
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'popup_closed');
    const [again] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
    await logInAtProvider(again);
    await waitForEvents(page, 'token');
    assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 1);
  });

  it('gives up with timeout when the popup never answers, and closes it', async () => {
    const { page } = await openPage();
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
    await popup.waitForURL(/\/u\/login\//);
    const closed = popup.waitForEvent('close');
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'timeout');
    await closed;
    assert.equal((await events(page)).filter((e) => e.type === 'token').length, 0);
  });
});
