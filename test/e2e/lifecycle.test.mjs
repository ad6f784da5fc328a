// Token lifecycle against the real provider: renewal with rotation, restore after reload,
// getAccessToken, session end on invalid_grant, logout.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  DEMO_USER, events, isAuthorizeRequest, isRefreshRequest, isTokenRequest, logIn, logInAtProvider, storedSession, useStack, waitForEvents,
} from './harness.mjs';

const env = useStack();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  env.provider.settings.accessTokenTTL = 3600;
});

describe('renewal', () => {
  it('renews before expiry with the refresh token, rotating it every time', async () => {
    env.provider.settings.accessTokenTTL = 4;
    const page = await env.newPage();
    const since = env.mark();
    const first = await logIn(page, `${env.origin}/fixtures/storage-session.html`);
    assert.ok(first.detail.expiresAt - Date.now() <= 4000);
    const tokens = await waitForEvents(page, 'token', 3);
    const refreshes = env.requests(since, isRefreshRequest);
    assert.equal(refreshes.length, 2);
    // Each renewal used a different refresh token: the one the previous answer rotated in.
    assert.notEqual(refreshes[0].body.refresh_token, refreshes[1].body.refresh_token);
    assert.equal(new Set(tokens.map((t) => t.detail.accessToken)).size, 3);
    assert.ok(tokens.every((t) => t.bubbles && t.composed && t.detail.claims.sub === DEMO_USER.sub));
    assert.ok(tokens[2].detail.expiresAt > tokens[1].detail.expiresAt);
    // The stored refresh token is the newest one; the page never saw it in an event.
    assert.ok(!JSON.stringify(tokens).includes((await storedSession(page)).refreshToken));
    assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 0);
  });

  it('getAccessToken() answers from memory while valid, and shares one renewal between concurrent callers', async () => {
    const page = await env.newPage();
    const token = await logIn(page, `${env.origin}/fixtures/memory.html`);
    const since = env.mark();
    assert.equal(await page.locator('closo-login').evaluate((el) => el.getAccessToken()), token.detail.accessToken);
    assert.equal(env.requests(since).length, 0);

    const results = await page.locator('closo-login').evaluate((el) =>
      Promise.all(Array.from({ length: 5 }, () => el.getAccessToken({ minValidity: 7200 }))));
    assert.equal(env.requests(since, isRefreshRequest).length, 1);
    assert.equal(new Set(results).size, 1);
    assert.notEqual(results[0], token.detail.accessToken);
  });

  it('ends the session cleanly when the refresh token was reused (reuse detection revokes the grant)', async () => {
    const page = await env.newPage();
    await logIn(page, `${env.origin}/fixtures/storage-local.html`);
    const stolen = (await storedSession(page)).refreshToken;
    // Someone else redeems the refresh token first (as a thief would): the provider rotates it.
    const redeemed = await env.postTokenRequest({ grant_type: 'refresh_token', refresh_token: stolen, client_id: env.clientId });
    assert.equal(redeemed.status, 200);

    const since = env.mark();
    const rejected = await page.locator('closo-login').evaluate((el) =>
      el.getAccessToken({ minValidity: 7200 }).then(() => 'resolved', (e) => `${e.name}:${e.code}`));
    assert.equal(rejected, 'AuthError:login_required');
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'login_required');
    assert.match(error.detail.message, /invalid_grant/);
    const [logout] = await waitForEvents(page, 'logout');
    assert.equal(logout.detail.reason, 'session_ended');
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal(await storedSession(page), null);
    // No retry loop: one refresh request, nothing after it.
    await env.expectQuiet(page, { ms: 1500, events: [] });
    assert.equal(env.requests(since, isRefreshRequest).length, 1);
    assert.equal(env.requests(since).length, 1);
    // The thief's rotated token died with the grant, as with Auth0's reuse detection.
    const thief = await redeemed.json();
    const again = await env.postTokenRequest({ grant_type: 'refresh_token', refresh_token: thief.refresh_token, client_id: env.clientId });
    assert.equal((await again.json()).error, 'invalid_grant');
  });
});

describe('a sleeping tab', () => {
  it('renews at once on visibilitychange when the token expired while its timers slept', async () => {
    env.provider.settings.accessTokenTTL = 3;
    const page = await env.newPage();
    // A sleeping tab: its timers do not fire (long ones are held, never run), and the page
    // can be hidden and shown again.
    await page.addInitScript(() => {
      const setTimer = window.setTimeout;
      window.__heldTimers = 0;
      window.setTimeout = (fn, delay, ...args) => (delay >= 1000 ? (window.__heldTimers++, -1) : setTimer(fn, delay, ...args));
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => window.__visibility ?? 'visible' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__visibility === 'hidden' });
    });
    const setVisibility = (state) => page.evaluate((value) => { window.__visibility = value; document.dispatchEvent(new Event('visibilitychange')); }, state);
    const first = await logIn(page, `${env.origin}/fixtures/memory.html`);
    assert.ok(await page.evaluate(() => window.__heldTimers) >= 1, 'the renewal timer was held');
    const since = env.mark();
    await setVisibility('hidden');
    await page.waitForFunction((expiresAt) => Date.now() > expiresAt + 200, first.detail.expiresAt, { timeout: 6000 });
    assert.equal(env.requests(since, isRefreshRequest).length, 0, 'nothing renewed while asleep');

    await setVisibility('visible');
    const [, renewed] = await waitForEvents(page, 'token', 2);
    assert.equal(env.requests(since, isRefreshRequest).length, 1, 'one renewal on waking');
    assert.notEqual(renewed.detail.accessToken, first.detail.accessToken);
    assert.ok(renewed.detail.expiresAt > Date.now());
    assert.equal(await page.locator('closo-login').evaluate((el) => el.getAccessToken({ minValidity: 0 })), renewed.detail.accessToken);
    assert.equal(env.requests(since, isRefreshRequest).length, 1);
    assert.equal((await events(page)).filter((e) => e.type === 'auth-error' || e.type === 'logout').length, 0);
  });
});

describe('renewal racing a logout', () => {
  it('a renewal that finishes after logout does not bring the session back', async () => {
    const page = await env.newPage();
    await logIn(page, `${env.origin}/fixtures/storage-local.html`);
    env.provider.faults.token = { delayMs: 800 };
    // The renewal settles once the provider's late answer is in; nothing may follow it.
    const outcome = await page.locator('closo-login').evaluate(async (el) => {
      const renewal = el.getAccessToken({ minValidity: 1e9 }).then(() => 'resolved', (e) => e.code);
      await new Promise((r) => setTimeout(r, 100));
      await el.logout({ localOnly: true });
      return renewal;
    });
    delete env.provider.faults.token;
    assert.equal(outcome, 'login_required');
    await env.expectQuiet(page, { ms: 300, requests: null });
    const all = await events(page);
    assert.deepEqual(all.map((e) => e.type).slice(-1), ['logout'], 'nothing after the logout');
    assert.equal(await page.locator('closo-login').evaluate((el) => el.authenticated), false);
    assert.equal(await storedSession(page), null);
  });
});

describe('renewal without a refresh token', () => {
  it('with silent and no offline_access, renews through a prompt=none sign-in, for the same user', async () => {
    env.provider.settings.accessTokenTTL = 5;
    const page = await env.newPage();
    const since = env.mark();
    const first = await logIn(page, `${env.origin}/fixtures/silent-renewal.html`);
    assert.equal(env.requests(since, isRefreshRequest).length, 0);
    const tokens = await waitForEvents(page, 'token', 2);
    assert.notEqual(tokens[1].detail.accessToken, first.detail.accessToken);
    assert.equal(tokens[1].detail.claims.sub, first.detail.claims.sub);
    const authorizations = env.requests(since, isAuthorizeRequest);
    assert.equal(authorizations.at(-1).params.prompt, 'none');
    assert.equal(env.requests(since, isRefreshRequest).length, 0, 'no refresh token was ever used');
    // getAccessToken() renews the same way when asked for more validity than is left.
    const renewed = await page.locator('closo-login').evaluate((el) => el.getAccessToken({ minValidity: 60 }));
    assert.ok(renewed);
    assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 0);
  });
});

describe('restoring the session after a reload', () => {
  it('storage=session: restores from sessionStorage without a network request', async () => {
    const page = await env.newPage();
    const token = await logIn(page, `${env.origin}/fixtures/storage-session.html`);
    const since = env.mark();
    await page.reload();
    const [restored] = await waitForEvents(page, 'token');
    assert.equal(restored.detail.accessToken, token.detail.accessToken);
    assert.equal(env.requests(since).length, 0);
    await page.locator('closo-login').getByText(DEMO_USER.name).waitFor();
  });

  it('storage=local: a new tab is logged in at once; an expired token is renewed first', async () => {
    env.provider.settings.accessTokenTTL = 2;
    const context = (await env.newPage()).context();
    const first = context.pages()[0];
    await logIn(first, `${env.origin}/fixtures/storage-local.html`);
    await first.close();
    await sleep(2200); // the access token expires while no tab is open
    env.provider.settings.accessTokenTTL = 3600;
    const since = env.mark();
    const second = await env.newPage(context);
    await second.goto(`${env.origin}/fixtures/storage-local.html`);
    const [token] = await waitForEvents(second, 'token');
    assert.ok(token.detail.expiresAt > Date.now() + 3000_000, 'the page was told only about the renewed token');
    // A new tab has its own sessionStorage: discovery once, the keys that will check the
    // renewed ID token (fetched before the refresh token is spent), then one refresh.
    assert.deepEqual(env.requests(since).map((r) => r.body?.grant_type ?? r.path), ['/.well-known/openid-configuration', '/.well-known/jwks.json', 'refresh_token']);
  });

  it('storage=memory with silent: restores by a prompt=none sign-in in a hidden iframe', async () => {
    const page = await env.newPage();
    await logIn(page, `${env.origin}/fixtures/silent.html`);
    assert.equal(await storedSession(page), null, 'memory mode stores no tokens');
    const since = env.mark();
    await page.reload();
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.claims.sub, DEMO_USER.sub);
    const [authorize] = env.requests(since, isAuthorizeRequest);
    assert.equal(authorize.params.prompt, 'none');
    assert.equal(env.requests(since, isTokenRequest).length, 1);
    assert.equal(page.url(), `${env.origin}/fixtures/silent.html`);
    assert.equal(await page.locator('iframe').count(), 0, 'the iframe is removed');
  });

  it('storage=local: a reload with a valid token restores without any network request', async () => {
    const page = await env.newPage();
    const token = await logIn(page, `${env.origin}/fixtures/storage-local.html`);
    const providerOrigin = new URL(env.issuer).origin;
    const toProvider = [];
    page.on('request', (request) => { if (new URL(request.url()).origin === providerOrigin) toProvider.push(request.url()); });
    const since = env.mark();
    await page.reload();
    const [restored] = await waitForEvents(page, 'token');
    assert.equal(restored.detail.accessToken, token.detail.accessToken);
    await page.locator('closo-login').getByText(DEMO_USER.name).waitFor();
    await env.expectQuiet(page, { ms: 300, events: [], browserRequests: (request) => new URL(request.url()).origin === providerOrigin });
    assert.deepEqual(toProvider, [], 'the browser sent nothing to the provider');
    assert.equal(env.requests(since).length, 0);
  });

  it('storage=memory with silent: a hanging provider ends in exactly one timeout, not a stuck page', async () => {
    env.provider.faults.authorization = { hang: true };
    const page = await env.newPage();
    const since = env.mark();
    const started = Date.now();
    await page.goto(`${env.origin}/fixtures/silent-timeout.html`);
    const [error] = await waitForEvents(page, 'auth-error');
    const took = Date.now() - started;
    assert.equal(error.detail.code, 'timeout', error.detail.message);
    assert.equal(error.bubbles && error.composed && error.isCustomEvent, true);
    assert.ok(took >= 1900 && took < 4500, `timed out after ${took} ms (timeout="2")`);
    const [authorize] = env.requests(since, isAuthorizeRequest);
    assert.equal(authorize.params.prompt, 'none', 'the iframe reached the provider');
    await env.expectQuiet(page, { ms: 500, requests: isTokenRequest });
    const all = await events(page);
    assert.deepEqual(all.map((e) => e.type), ['auth-error'], 'one auth-error, no token');
    assert.equal(await page.locator('iframe').count(), 0, 'the iframe is removed');
    assert.equal(await page.getByRole('button', { name: 'Log in' }).isEnabled(), true);
    assert.equal(await page.locator('closo-login').evaluate((el) => el.authenticated), false);
    assert.equal(env.requests(since, isTokenRequest).length, 0);
  });

  it('storage=memory with silent: a provider that answers with a page refusing to be framed ends in login_required, not the timeout', async () => {
    env.provider.faults.authorization = { frameRefused: true };
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(`${env.origin}/fixtures/silent.html`);
    const [error] = await waitForEvents(page, 'auth-error');
    // The timeout would say `timeout`; the frame that loads and never answers says this.
    assert.equal(error.detail.code, 'login_required', error.detail.message);
    assert.match(error.detail.message, /refused to be framed/);
    const [authorize] = env.requests(since, isAuthorizeRequest);
    assert.equal(authorize.params.prompt, 'none');
    const button = page.getByRole('button', { name: 'Log in' });
    assert.equal(await button.isEnabled(), true);
    assert.equal(await button.getAttribute('aria-busy'), 'false', 'not stuck busy');
    assert.equal(await page.locator('iframe').count(), 0, 'the iframe is removed');
    await env.expectQuiet(page, { ms: 300, requests: isTokenRequest });
    assert.deepEqual((await events(page)).map((e) => e.type), ['auth-error']);
  });

  it('storage=memory with silent: a click while the first silent attempt waits on a refused frame starts the login at once', async () => {
    env.provider.faults.authorization = { frameRefused: true };
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(`${env.origin}/fixtures/silent.html`);
    await env.waitForRequests(since, isAuthorizeRequest); // the hidden frame is at the provider, refused
    const button = page.getByRole('button', { name: 'Logging in…' });
    assert.equal(await button.getAttribute('aria-busy'), 'true', 'the silent attempt is under way');
    env.resetFaults(); // the user's own login is answered normally
    await button.click({ force: true }); // aria-disabled, which Playwright will not click; a user's click arrives
    // A dropped click would leave the page here for good (the silent attempt only reports login_required).
    await page.waitForURL(/\/u\/login\//);
    const [, login] = env.requests(since, isAuthorizeRequest);
    assert.equal(login.params.prompt, undefined, 'the click\'s own login, not a silent one');
  });

  it('storage=memory with silent: reports login_required when the provider has no session', async () => {
    const page = await env.newPage();
    const started = Date.now();
    await page.goto(`${env.origin}/fixtures/silent.html`);
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'login_required');
    assert.ok(Date.now() - started < 5000);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    // A first visit: the Log in button, usable at once, and no error under it (docs/errors.md).
    assert.equal(await page.getByRole('button', { name: 'Log in' }).isEnabled(), true);
    assert.equal(await page.locator('closo-login').locator('[part=error]').count(), 0);
    assert.equal((await events(page)).filter((e) => e.type === 'token').length, 0);
    assert.equal(await page.locator('iframe').count(), 0);
  });
});

describe('many tabs', () => {
  it('renews once across tabs that share a refresh token; the other tab adopts the result', async () => {
    const page1 = await env.newPage();
    await logIn(page1, `${env.origin}/fixtures/storage-local.html`);
    const page2 = await env.newPage(page1.context());
    await page2.goto(`${env.origin}/fixtures/storage-local.html`);
    await waitForEvents(page2, 'token');
    const since = env.mark();
    // Both tabs ask while the first refresh is still unanswered, however slow the machine: otherwise the
    // second tab asks after the first adopted new tokens, and minValidity 7200 (over the tokens'
    // lifetime) makes it renew once more, rightly.
    let answer;
    env.provider.faults.token = { until: new Promise((resolve) => { answer = resolve; }) };
    const renew = (page) => page.locator('closo-login').evaluate((el) => el.getAccessToken({ minValidity: 7200 }));
    const renewals = Promise.all([renew(page1), renew(page2)]);
    await env.waitForRequests(since, isRefreshRequest);
    // …and the second tab waits for the first tab's renewal (the Web Lock every renewal takes).
    await page2.waitForFunction(async () => (await navigator.locks.query()).pending.some((lock) => lock.name.startsWith('closo-login:renew:')));
    answer();
    const [a, b] = await renewals;
    assert.equal(env.requests(since, isRefreshRequest).length, 1);
    assert.equal(a, b);
    assert.equal((await events(page1)).filter((e) => e.type === 'auth-error').length, 0);
    assert.equal((await events(page2)).filter((e) => e.type === 'auth-error').length, 0);

    // Logout in one tab reaches the other.
    await page1.locator('closo-login').evaluate((el) => el.logout({ localOnly: true }));
    const [logout] = await waitForEvents(page2, 'logout');
    assert.equal(logout.detail.reason, 'other_tab');
    await page2.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal(await storedSession(page2), null);
  });

  it('five tabs renewing at the same moment, 20 rounds: each refresh token reaches the provider once, nobody is logged out', async (t) => {
    const first = await env.newPage();
    await logIn(first, `${env.origin}/fixtures/storage-local.html`);
    const tabs = [first];
    for (let i = 1; i < 5; i++) {
      const tab = await env.newPage(first.context());
      await tab.goto(`${env.origin}/fixtures/storage-local.html`);
      await waitForEvents(tab, 'token');
      tabs.push(tab);
    }
    const since = env.mark();
    const rounds = 20;
    const perRound = [];
    const failed = [];
    for (let round = 0; round < rounds; round++) {
      const mark = env.mark();
      const at = Date.now() + 100; // one shared start instant for the five tabs
      const results = await Promise.all(tabs.map((tab) => tab.locator('closo-login').evaluate(async (el, startAt) => {
        await new Promise((resolve) => setTimeout(resolve, startAt - Date.now()));
        return el.getAccessToken({ minValidity: 1e9 }).then((token) => ({ token }), (e) => ({ code: e.code }));
      }, at)));
      const refreshes = env.requests(mark, isRefreshRequest).map((r) => r.body.refresh_token);
      perRound.push(refreshes.length);
      if (results.some((r) => r.code) || new Set(refreshes).size !== refreshes.length) failed.push(round);
    }
    const sent = new Map();
    for (const r of env.requests(since, isRefreshRequest)) sent.set(r.body.refresh_token, (sent.get(r.body.refresh_token) ?? 0) + 1);
    const reused = [...sent.values()].filter((n) => n > 1).length;
    t.diagnostic(`refresh requests per round: ${perRound.join(' ')}; rounds with a reuse or an error: ${failed.length}/${rounds}; refresh tokens sent more than once: ${reused}`);
    assert.equal(reused, 0, 'a refresh token was sent twice (reuse detection would end the session)');
    for (const [i, tab] of tabs.entries()) {
      const seen = (await events(tab)).filter((e) => e.type === 'logout' || e.type === 'auth-error');
      assert.deepEqual(seen.map((e) => `${e.type}:${e.detail.code ?? e.detail.reason}`), [], `tab ${i + 1}`);
      assert.equal(await tab.locator('closo-login').evaluate((el) => el.authenticated), true, `tab ${i + 1} logged in`);
    }
    assert.deepEqual(failed, []);
  });

  it('a login in one tab reaches the other tabs (storage=local)', async () => {
    const page1 = await env.newPage();
    const page2 = await env.newPage(page1.context());
    await page2.goto(`${env.origin}/fixtures/storage-local.html`);
    await page2.getByRole('button', { name: 'Log in' }).waitFor();
    const token = await logIn(page1, `${env.origin}/fixtures/storage-local.html`);
    const [adopted] = await waitForEvents(page2, 'token');
    assert.equal(adopted.detail.accessToken, token.detail.accessToken);
  });
});

describe('logout', () => {
  it('revokes the refresh token, dispatches logout and ends the provider session', async () => {
    const page = await env.newPage();
    const token = await logIn(page, `${env.origin}/fixtures/storage-local.html`);
    const refreshToken = (await storedSession(page)).refreshToken;
    const since = env.mark();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${env.origin}/`);
    const revoke = env.requests(since).find((r) => r.path === '/oauth/revoke');
    assert.equal(revoke.body.token, refreshToken);
    assert.equal(revoke.body.token_type_hint, 'refresh_token');
    const endSession = env.requests(since).find((r) => r.path === '/oidc/logout');
    assert.equal(endSession.params.id_token_hint, token.detail.idToken);
    assert.equal(endSession.params.client_id, env.clientId);
    assert.equal(endSession.params.post_logout_redirect_uri, `${env.origin}/`);
    // A state, which some providers need to come back (RP-Initiated Logout §2); back here, it left the address bar.
    assert.match(endSession.params.state, /^[\w-]{43}$/);
    assert.equal(page.url(), `${env.origin}/`);
    assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('closo-login')).length), 0);
    // The refresh token no longer works, and the provider asks for the password again.
    const reuse = await env.postTokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: env.clientId });
    assert.equal((await reuse.json()).error, 'invalid_grant');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/u\/login\//);
  });

  it('logs out locally even when revocation fails, and localOnly stays on the page', async () => {
    env.provider.faults.revocation = 'error';
    const page = await env.newPage();
    await logIn(page, `${env.origin}/fixtures/memory.html`);
    const since = env.mark();
    await page.locator('closo-login').evaluate((el) => el.logout({ localOnly: true }));
    const [logout] = await waitForEvents(page, 'logout');
    assert.equal(logout.detail.reason, 'user');
    assert.equal(logout.bubbles && logout.composed && logout.isCustomEvent, true);
    assert.ok(env.requests(since).some((r) => r.path === '/oauth/revoke'));
    assert.equal(page.url(), `${env.origin}/fixtures/memory.html`);
    assert.equal(await page.locator('closo-login').evaluate((el) => [el.authenticated, el.accessToken].join()), 'false,');
    const rejected = await page.locator('closo-login').evaluate((el) => el.getAccessToken().catch((e) => e.code));
    assert.equal(rejected, 'login_required');
    // The refresh token stays valid at the provider: the page's developer is told, once.
    const warnings = await page.evaluate(() => window.__consoleWarnings);
    assert.deepEqual(warnings.filter((w) => w.includes('refused to revoke')), [`closo-login: ${env.issuer} refused to revoke the refresh token (HTTP 500); it stays valid at the provider until it expires. See docs/providers.md.`]);
  });
});
