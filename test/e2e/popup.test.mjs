// Popup login: the page stays, the popup hands the response to its opener, and every
// failure (blocked, closed, timeout) is reported and cleaned up; foreign messages are ignored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_USER, events, isAuthorizeRequest, isTokenRequest, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const env = useStack({}, { '/examples/': fileURLToPath(new URL('../../docs/examples/', import.meta.url)) });

/** Adds a button that runs docs/examples/popup-login.js as a click handler, keeping what it shows in window.__shown. */
const addExampleButton = (page) => page.evaluate(() => {
  window.__shown = [];
  const button = document.body.appendChild(Object.assign(document.createElement('button'), { textContent: 'Log in here' }));
  button.addEventListener('click', () => {
    window.__done = import('/examples/popup-login.js').then(({ logInInPopup }) => logInInPopup(document.querySelector('closo-login'), (text) => window.__shown.push(text)));
  });
});

async function openPage() {
  const page = await env.newPage();
  await page.goto(`${env.origin}/fixtures/popup.html`);
  await page.locator('#unsaved-work').fill('My unsaved draft');
  const navigations = [];
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
  return { page, navigations };
}

/** Clicks Log in on `page` and signs in in the popup that COOP cut off from it; resolves with the token event once the popup has closed. */
async function logInThroughCutOffPopup(page) {
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
  await popup.waitForURL(/\/u\/login\//);
  assert.equal(await popup.evaluate(() => window.opener), null, 'COOP cut the popup off from the page');
  await logInAtProvider(popup);
  const [token] = await waitForEvents(page, 'token');
  if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 5000 });
  return token;
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

  it('finishes when the provider\'s login page sets Cross-Origin-Opener-Policy: the popup, cut off from the page, answers on its login\'s channel', async () => {
    env.provider.settings.openerPolicy = 'same-origin';
    try {
      const { page, navigations } = await openPage();
      const since = env.mark();
      const token = await logInThroughCutOffPopup(page);
      assert.equal(token.detail.claims.sub, DEMO_USER.sub);
      assert.deepEqual(navigations, [], 'the page never navigated');
      assert.equal(env.requests(since, isTokenRequest).length, 1, 'one code exchange');
      assert.deepEqual((await events(page)).map((e) => e.type), ['token']);
    } finally {
      env.provider.settings.openerPolicy = null;
    }
  });

  it('finishes when the app\'s own pages (the one that opens the popup and the callback) send COOP same-origin', async () => {
    const page = await env.newPage();
    // popup-isolated.html is served with Cross-Origin-Opener-Policy: same-origin (demo-server.mjs).
    await page.goto(`${env.origin}/fixtures/popup-isolated.html`);
    const token = await logInThroughCutOffPopup(page);
    assert.equal(token.detail.claims.sub, DEMO_USER.sub);
    assert.deepEqual((await events(page)).map((e) => e.type), ['token']);
  });

  it('gives up a popup cut off by COOP that the user closed when they ask for a login again: popup_closed, then a new popup login', async () => {
    env.provider.settings.openerPolicy = 'same-origin';
    try {
      const { page } = await openPage();
      const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
      await popup.waitForURL(/\/u\/login\//);
      await popup.close();
      // Cut off, a closed popup and one still open look the same from the page: the login waits (up to popup-timeout).
      await page.waitForTimeout(1000);
      assert.deepEqual(await events(page), [], 'no error yet: the popup may still be open');
      const [again] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Logging in…' }).click({ force: true })]); // aria-disabled, which Playwright will not click
      const [error] = await waitForEvents(page, 'auth-error');
      assert.equal(error.detail.code, 'popup_closed');
      await logInAtProvider(again);
      const [token] = await waitForEvents(page, 'token');
      assert.equal(token.detail.claims.sub, DEMO_USER.sub);
      assert.deepEqual((await events(page)).map((e) => e.type), ['auth-error', 'token']);
    } finally {
      env.provider.settings.openerPolicy = null;
    }
  });

  it('runs docs/examples/popup-login.js: welcome after a login the provider\'s COOP cut off; a message when the user closes the window', async () => {
    env.provider.settings.openerPolicy = 'same-origin';
    try {
      const { page } = await openPage();
      await addExampleButton(page);
      const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in here' }).click()]);
      await logInAtProvider(popup);
      await page.evaluate(() => window.__done);
      assert.deepEqual(await page.evaluate(() => window.__shown), [`Welcome, ${DEMO_USER.name}.`]);
    } finally {
      env.provider.settings.openerPolicy = null;
    }
    const { page } = await openPage();
    await addExampleButton(page);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in here' }).click()]);
    await popup.waitForURL(/\/u\/login\//);
    await popup.waitForTimeout(1000); // the user reads the login page, then closes the window
    await popup.close();
    await page.evaluate(() => window.__done);
    assert.deepEqual(await page.evaluate(() => window.__shown), ['The login window was closed.']);
  });

  it('answers on the channel only from the popup of that login: a page opened on a callback URL by the user keeps it', async () => {
    const { page } = await openPage();
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Log in' }).click()]);
    await popup.waitForURL(/\/u\/login\//);
    const authorize = env.provider.requests.filter(isAuthorizeRequest).at(-1);
    // Another tab of this origin, not the popup, lands on a callback URL with that login's state: it does not answer or close.
    const other = await page.context().newPage();
    const forged = `${env.origin}/fixtures/popup.html?code=forged-code&state=${authorize.params.state}&iss=${encodeURIComponent(env.issuer)}`;
    await other.goto(forged);
    await other.waitForTimeout(500);
    assert.equal(other.isClosed(), false);
    assert.equal(other.url(), forged, 'its URL is left as it was');
    // The real popup still completes the login.
    await logInAtProvider(popup);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.claims.sub, DEMO_USER.sub);
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
    await popup.waitForTimeout(1000); // the user reads the login page, then closes the window
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
