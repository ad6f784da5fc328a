// Against LemonLDAP::NG 2.16, a production Web-SSO product this project did not write, from
// Debian's packages (test/providers/lemonldap.mjs starts it), through its real login form in
// Chromium: redirect login, getAccessToken(), a forced refresh, popup login, silent sign-in with
// and without a provider session (and to an app the user has not consented to), renewal by a
// silent sign-in, and logout. What each test asserts is what the user sees (events, the page,
// the address bar) and what LemonLDAP saw (its access log).
//
// Skipped as a whole only on a machine without its packages and outside CI; in CI, .ci/run
// installs them, and a missing one fails the file's start loudly.
//
// What LemonLDAP does that other providers do not, and how the tests take it:
// - With prompt=none and nobody logged in, it answers with its login page (it has no
//   login_required answer), and that page refuses to be framed (X-Frame-Options: DENY). The
//   element ends the silent sign-in 2 s after the frame loads, with login_required.
// - That unanswered request stays in its "pending issuer request" cookie for two minutes
//   (issuersTimeout), and its next login answers THAT request once the form is submitted: the
//   page gets the silent request's state, which the element rightly refuses (state_mismatch,
//   shown to the user). The provider session exists by then, so the NEXT click logs in at once,
//   without the form. A test shows exactly that.
// - With prompt=none for a client whose consent screen is not bypassed, it answers consent_required.
// - It advertises no revocation endpoint, so the element's logout cannot end an offline refresh
//   token (one taken before a logout still gets new tokens for 30 days, checked by hand), and it
//   does not rotate refresh tokens.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lemonldapMissingPackages, startLemonLdap } from '../providers/lemonldap.mjs';
import { events, jwtClaims, jwtHeader, logIn as logInAt, useStack, waitForEvents } from './harness.mjs';

const CLIENT_ID = 'closo-spa';
/** The same app registered a second time, without bypassing LemonLDAP's consent screen. */
const CONSENT_CLIENT_ID = 'closo-spa-consent';

const missing = lemonldapMissingPackages();
const skip = missing.length > 0 && !process.env.CI
  ? `LemonLDAP::NG is not installed (missing Debian packages: ${missing.join(' ')}); .ci/run installs them`
  : false;

/** The element's pages, one per way of using it; all are the client's redirect URIs. */
const PAGES = {
  // Redirect login with a refresh token (offline_access); logout comes back here.
  app: {},
  popup: { mode: 'popup' },
  // Memory storage: a reload restores the session by a silent sign-in.
  silent: { silent: '' },
  // No offline_access, so no refresh token: the access token is renewed by a silent sign-in.
  'silent-renewal': { silent: '', scope: 'openid profile email' },
  // A client the user has not consented to yet: its silent sign-in gets consent_required.
  consent: { silent: '', 'client-id': CONSENT_CLIENT_ID },
};

describe('LemonLDAP::NG 2.16 as the OpenID Provider, through its login form', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'closo-lemonldap-pages-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // The pages name LemonLDAP's issuer, which the demo server's policy does not know: no CSP here.
  const env = useStack({}, { '/lemonldap/': { dir, csp: false } });
  let lemon;
  const url = (name) => `${env.origin}/lemonldap/${name}.html`;

  before(async () => {
    lemon = await startLemonLdap({
      clientId: CLIENT_ID,
      consentClientId: CONSENT_CLIENT_ID,
      redirectUris: Object.keys(PAGES).map(url),
      postLogoutRedirectUris: [url('app')],
    });
    for (const [name, attributes] of Object.entries(PAGES)) {
      const attrs = Object.entries({
        issuer: lemon.issuer,
        'client-id': CLIENT_ID,
        scope: 'openid profile email offline_access',
        'logout-uri': url('app'),
        ...attributes,
      }).map(([key, value]) => (value === '' ? key : `${key}="${value}"`)).join(' ');
      writeFileSync(join(dir, `${name}.html`), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${name}</title>
<script type="module" src="/dist/closo-login.min.js"></script></head>
<body><closo-login ${attrs}></closo-login></body></html>
`);
    }
  });
  after(() => lemon?.stop());

  /** The requests LemonLDAP answered since `since` (its access log), those that pass `filter`. */
  const mark = () => lemon.requests.length;
  const seen = (since, filter = () => true) => lemon.requests.slice(since).filter(filter);
  const isAuthorize = (r) => r.method === 'GET' && r.path === '/oauth2/authorize';
  /** The login form posts back to the authorization endpoint. */
  const isFormPost = (r) => r.method === 'POST' && r.path === '/oauth2/authorize';
  const isToken = (r) => r.method === 'POST' && r.path === '/oauth2/token';
  const isLogout = (r) => r.path === '/oauth2/logout';

  const element = (page) => page.locator('closo-login');
  const loginButton = (page) => page.getByRole('button', { name: 'Log in' });
  const errorText = (page) => element(page).locator('[part=error]');
  const getAccessToken = (page, options) => element(page).evaluate((el, o) => el.getAccessToken(o), options);

  /** Opens `name`, clicks Log in and signs in through LemonLDAP's form; resolves with the token event. */
  const logIn = (page, name) => logInAt(page, url(name), (p) => lemon.logIn(p));

  it('redirect login: the form, a token event for dwho, the address bar clean', async () => {
    const page = await env.newPage();
    const since = mark();
    const token = await logIn(page, 'app');
    const { claims } = token.detail;
    assert.equal(claims.sub, lemon.user.login);
    assert.equal(claims.iss, lemon.issuer);
    assert.deepEqual([claims.aud].flat(), [CLIENT_ID]);
    assert.equal(jwtHeader(token.detail.idToken).alg, 'RS256');
    assert.equal(page.url(), url('app'), 'back on the page, the code and state gone');
    // The access token is LemonLDAP's JWT for this user and client.
    const access = jwtClaims(token.detail.accessToken);
    assert.equal(access.sub, lemon.user.login);
    assert.ok(token.detail.expiresAt > Date.now(), 'an expiry');
    // What the provider saw: the authorization request with PKCE, then one code exchange.
    const [authorize] = seen(since, isAuthorize);
    assert.equal(authorize.query.get('code_challenge_method'), 'S256');
    assert.equal(authorize.query.get('client_id'), CLIENT_ID);
    assert.deepEqual(seen(since, isToken).map((r) => r.status), [200]);
    // What the user sees: who is logged in (the demo user's name), a Log out button, no error.
    assert.equal(claims.name, 'Doctor Who');
    assert.equal(claims.email, 'dwho@badwolf.org');
    await element(page).getByText('Doctor Who').waitFor();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    assert.equal(await errorText(page).count(), 0);
    assert.deepEqual((await events(page)).map((e) => e.type), ['token']);
    assert.deepEqual(page.pageErrors, []);
  });

  it('getAccessToken() hands out the current token; asked for more validity, one refresh grant gives a new one, again and again (no rotation)', async () => {
    const page = await env.newPage();
    const token = await logIn(page, 'app');
    assert.equal(await getAccessToken(page), token.detail.accessToken, 'no request for a valid token');

    // Its tokens live an hour: asking for two renews them with the refresh token.
    let since = mark();
    const renewed = await getAccessToken(page, { minValidity: 7200 });
    assert.notEqual(renewed, token.detail.accessToken);
    assert.equal(jwtClaims(renewed).sub, lemon.user.login);
    assert.deepEqual(seen(since, isToken).map((r) => r.status), [200], 'one refresh grant');
    const tokens = await waitForEvents(page, 'token', 2);
    assert.equal(tokens[1].detail.accessToken, renewed);

    // LemonLDAP does not rotate refresh tokens: the one kept is still good for the next renewal.
    since = mark();
    const again = await getAccessToken(page, { minValidity: 7200 });
    assert.notEqual(again, renewed);
    assert.deepEqual(seen(since, isToken).map((r) => r.status), [200]);
    assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 0);
  });

  it('popup login: the form in a popup, the page never leaves', async () => {
    const page = await env.newPage();
    await page.goto(url('popup'));
    const navigations = [];
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
    const [popup] = await Promise.all([page.waitForEvent('popup'), loginButton(page).click()]);
    await lemon.logIn(popup);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.claims.sub, lemon.user.login);
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 10_000 });
    assert.deepEqual(navigations, [], 'the page never navigated');
    assert.equal(page.url(), url('popup'));
    await page.getByRole('button', { name: 'Log out' }).waitFor();
  });

  it('silent sign-in with a provider session: the page with silent gets tokens on load and on reload, no form', async () => {
    // The provider session comes from a login on the app's page. (A login on the silent page
    // itself, after its first silent sign-in found nobody, meets the quirk tested below.)
    const page = await env.newPage();
    const first = await logIn(page, 'app');
    let since = mark();
    await page.goto(url('silent'));
    const [restored] = await waitForEvents(page, 'token');
    assert.equal(restored.detail.claims.sub, first.detail.claims.sub);
    assert.notEqual(restored.detail.accessToken, first.detail.accessToken, 'new tokens, from a new code');
    // LemonLDAP answered the prompt=none request with a redirect (302), not its login form (200).
    const [authorize] = seen(since, isAuthorize);
    assert.equal(authorize.query.get('prompt'), 'none');
    assert.equal(authorize.status, 302, 'a code at once, no form');
    assert.deepEqual(seen(since, isToken).map((r) => r.status), [200]);

    since = mark();
    await page.reload();
    const [again] = await waitForEvents(page, 'token');
    assert.equal(again.detail.claims.sub, lemon.user.login);
    assert.equal(page.url(), url('silent'), 'the page never left');
    assert.deepEqual(seen(since, isAuthorize).map((r) => [r.query.get('prompt'), r.status]), [['none', 302]]);
    assert.equal(await page.locator('iframe').count(), 0, 'the frame is gone');
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    assert.equal(await errorText(page).count(), 0);
  });

  it('renewal without a refresh token: a silent sign-in that names the user (id_token_hint with prompt=none)', async () => {
    const page = await env.newPage();
    await logIn(page, 'app');
    await page.goto(url('silent-renewal'));
    const [first] = await waitForEvents(page, 'token');
    const since = mark();
    const renewed = await getAccessToken(page, { minValidity: 7200 });
    assert.notEqual(renewed, first.detail.accessToken);
    assert.equal(jwtClaims(renewed).sub, lemon.user.login);
    const [authorize] = seen(since, isAuthorize);
    assert.equal(authorize.query.get('prompt'), 'none');
    assert.equal(authorize.status, 302);
    assert.deepEqual(seen(since, isToken).map((r) => r.status), [200], 'one code exchange, no refresh token');
    // The element holds an ID token: it tells the provider who is expected (LemonLDAP checks its sub,
    // and answers invalid_request "Current user does not match id_token_hint sub" for another user).
    const hint = authorize.query.get('id_token_hint');
    assert.ok(hint, 'the renewal\'s prompt=none request carries no id_token_hint');
    assert.ok(hint === first.detail.idToken, 'the id_token_hint is not the ID token the element holds');
  });

  it('silent sign-in without a provider session: the quiet login_required, the Log in button, no error text', async () => {
    const page = await env.newPage();
    const since = mark();
    await page.goto(url('silent'));
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'login_required', error.detail.message);
    // LemonLDAP answered prompt=none with its login page (it has no login_required answer).
    const [authorize] = seen(since, isAuthorize);
    assert.equal(authorize.query.get('prompt'), 'none');
    assert.equal(authorize.status, 200);
    assert.equal(await loginButton(page).isEnabled(), true);
    assert.equal(await errorText(page).count(), 0, 'no error text');
    assert.equal(await page.locator('iframe').count(), 0);
    await env.expectQuiet(page, { ms: 500, requests: null });
    assert.deepEqual((await events(page)).map((e) => e.type), ['auth-error']);
    assert.equal(seen(since, isToken).length, 0);
  });

  it('silent sign-in to an app the user has not consented to: LemonLDAP\'s consent_required is as quiet as login_required', async () => {
    const page = await env.newPage();
    await logIn(page, 'app');
    const since = mark();
    await page.goto(url('consent'));
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'consent_required', error.detail.message);
    // LemonLDAP has a session, and answered prompt=none with error=consent_required on the redirect URI.
    const [authorize] = seen(since, isAuthorize);
    assert.equal(authorize.query.get('client_id'), CONSENT_CLIENT_ID);
    assert.equal(authorize.status, 302);
    assert.equal(page.url(), url('consent'));
    // What the user sees: the Log in button (which will show the consent screen), no error text.
    assert.equal(await loginButton(page).isEnabled(), true);
    assert.equal(await errorText(page).count(), 0, `error text shown: "${await errorText(page).first().textContent().catch(() => '')}"`);
    assert.deepEqual((await events(page)).map((e) => e.type), ['auth-error']);
  });

  it('that app\'s Log in shows LemonLDAP\'s consent screen; once accepted, its silent sign-in succeeds', async () => {
    const page = await env.newPage();
    await logIn(page, 'app');
    await page.goto(url('consent'));
    await waitForEvents(page, 'auth-error');
    await loginButton(page).click();
    await page.waitForURL((u) => u.origin === lemon.issuer);
    await page.getByRole('button', { name: 'Accept' }).click();
    const [token] = await waitForEvents(page, 'token');
    assert.deepEqual([token.detail.claims.aud].flat(), [CONSENT_CLIENT_ID]);
    const since = mark();
    await page.reload();
    await waitForEvents(page, 'token');
    assert.deepEqual(seen(since, isAuthorize).map((r) => [r.query.get('prompt'), r.status]), [['none', 302]]);
  });

  it('after that failed silent sign-in, LemonLDAP answers the first login with the silent request\'s state (refused: state_mismatch); the next click logs in without the form', async () => {
    const page = await env.newPage();
    await page.goto(url('silent'));
    const [silent] = await waitForEvents(page, 'auth-error');
    assert.equal(silent.detail.code, 'login_required');
    const since = mark();
    await loginButton(page).click();
    await lemon.logIn(page);
    // Back on the page (a new document: its events start again) with the silent request's state.
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'state_mismatch', error.detail.message);
    assert.deepEqual(seen(since, isFormPost).map((r) => r.status), [302], 'the form was submitted and answered with a redirect');
    assert.equal(seen(since, isToken).length, 0, 'the code was never exchanged');
    assert.equal(page.url(), url('silent'), 'the address bar is clean all the same');
    // What the user sees: the error, and the Log in button.
    await errorText(page).waitFor();
    assert.equal(await loginButton(page).isEnabled(), true);
    // The provider session exists now: the next click comes back with a code at once.
    const next = mark();
    await loginButton(page).click();
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.claims.sub, lemon.user.login);
    assert.deepEqual(seen(next, isAuthorize).map((r) => r.status), [302], 'no form the second time');
    assert.equal(await errorText(page).count(), 0, 'the error is gone');
  });

  it('a click while the first silent sign-in waits on LemonLDAP\'s refused page starts the login at once', async (t) => {
    const page = await env.newPage();
    // LemonLDAP answers the hidden frame at once with its login page, which Chromium refuses to
    // frame (an error page loads instead); the element then waits 2 s for an answer that never
    // comes. The user clicks as soon as that frame has loaded.
    const frameRefused = page.waitForEvent('framenavigated', { predicate: (frame) => frame !== page.mainFrame() && frame.url().startsWith('chrome-error:') });
    await page.goto(url('silent'));
    await frameRefused;
    const toProvider = page.waitForRequest((request) => request.frame() === page.mainFrame() && request.url().startsWith(`${lemon.issuer}/oauth2/authorize`));
    const clicked = Date.now();
    // The button says "Logging in…" and is aria-disabled meanwhile; a user's click on it still
    // arrives (where Playwright would wait for it to be enabled).
    await element(page).locator('[part~=login-button]').click({ force: true, noWaitAfter: true });
    await toProvider;
    const took = Date.now() - clicked;
    t.diagnostic(`the page left for the login ${took} ms after the click`);
    assert.ok(took < 1000, `the page left for the login ${took} ms after the click: the element waited for the silent sign-in to give up`);
  });

  it('logout: ends LemonLDAP\'s session (no confirmation) and comes back to the app logged out', async () => {
    const page = await env.newPage();
    const token = await logIn(page, 'app');
    const since = mark();
    // The page is already at the logout URI: wait for the return from LemonLDAP, not the URL.
    const back = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
    await element(page).evaluate((el) => el.logout());
    await back;
    // Back with the state the logout sent, which the element then takes out of the address bar.
    await page.waitForFunction((app) => location.href === app, url('app'));
    await loginButton(page).waitFor();
    const [logout] = seen(since, isLogout);
    assert.equal(logout.query.get('id_token_hint'), token.detail.idToken);
    assert.equal(logout.query.get('post_logout_redirect_uri'), url('app'));
    assert.equal(logout.status, 302, 'straight back, no confirmation page');
    // LemonLDAP advertises no revocation endpoint: nothing else was asked of it.
    assert.deepEqual(seen(since).map((r) => r.path), ['/oauth2/logout']);
    // Its session is over: logging in again shows the form.
    const again = mark();
    await loginButton(page).click();
    await page.waitForURL((u) => u.origin === lemon.issuer);
    await page.locator('form#lform input[name="user"]').waitFor();
    assert.equal(seen(again, isAuthorize)[0].status, 200, 'the login form');
  });
});
