// Against Glewlwyd 2.7.5 (Debian's `glewlwyd`, an OpenID Provider written in C), started here on
// loopback by test/providers/glewlwyd.mjs, through its real login form in Chromium: redirect and
// popup login, getAccessToken(), a forced refresh, silent sign-in with and without a provider
// session, and logout. What is asserted is what a user (and the page's code) notices.
// Without the package this file is skipped, except in CI, where .ci/run installs it: there a
// missing package fails the run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { events, jwtClaims, logIn as logInAt, useStack, waitForEvents } from './harness.mjs';
import { GLEWLWYD_INSTALL, glewlwydMissingPackages, startGlewlwyd } from '../providers/glewlwyd.mjs';

const CLIENT_ID = 'closo-glewlwyd';
/** Per test: a login through a real form on a busy 2-core machine. Generous, and no retries. */
const TEST_MS = 90_000;
/** The pages, each with the element on Glewlwyd as written by `writePages`; also the client's redirect URIs. */
const PAGES = {
  redirect: {},
  popup: { mode: 'popup' },
  silent: { silent: '' },
  session: { storage: 'session', silent: '' },
};

const missing = glewlwydMissingPackages();
const skip = missing.length > 0 && !process.env.CI
  ? `Glewlwyd is not installed here (missing Debian packages: ${missing.join(', ')}). To run this file, as root: ${GLEWLWYD_INSTALL}`
  : false;

if (skip) {
  describe('Glewlwyd 2.7.5 as the OpenID Provider', { skip }, () => {});
} else {
  const dir = mkdtempSync(join(tmpdir(), 'closo-glewlwyd-pages-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // The pages name Glewlwyd's issuer themselves; the demo's CSP knows only its own provider.
  const env = useStack({}, { '/glewlwyd/': { dir, csp: false } });
  const pageUrl = (name) => `${env.origin}/glewlwyd/${name}.html`;
  let glewlwyd;

  /** Writes the pages once Glewlwyd's issuer is known. The default scope: `openid profile email offline_access`. */
  function writePages() {
    for (const [name, attributes] of Object.entries(PAGES)) {
      const attrs = Object.entries({ issuer: glewlwyd.issuer, 'client-id': CLIENT_ID, ...attributes })
        .map(([key, value]) => (value === '' ? key : `${key}="${value}"`)).join(' ');
      writeFileSync(join(dir, `${name}.html`), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${name} on Glewlwyd</title>
<script type="module" src="/dist/closo-login.min.js"></script></head>
<body><closo-login ${attrs}></closo-login></body></html>
`);
    }
  }

  const element = (page) => page.locator('closo-login');
  const loginButton = (page) => page.getByRole('button', { name: 'Log in' });

  /** Requests the browser sends to Glewlwyd's token endpoint (pages and workers of `context`), with their parsed bodies. */
  function tokenRequests(context) {
    const seen = [];
    context.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === `${glewlwyd.issuer}/token`) seen.push(Object.fromEntries(new URLSearchParams(request.postData() ?? '')));
    });
    return seen;
  }

  /** Opens `name`, clicks Log in and logs in through Glewlwyd's form; resolves with the token event. */
  const logIn = (page, name) => logInAt(page, pageUrl(name), (p) => glewlwyd.logIn(p));

  /** On failure, Glewlwyd's own log says what it refused. */
  const withLog = (message) => `${message}\nGlewlwyd's log:\n${glewlwyd.log().slice(-2_000)}`;

  describe('Glewlwyd 2.7.5 as the OpenID Provider', () => {
    // In the suite, so that it runs after useStack's hook has started the demo server (whose origin the client needs).
    before(async () => {
      glewlwyd = await startGlewlwyd({
        clientId: CLIENT_ID,
        redirectUris: Object.keys(PAGES).map(pageUrl),
        postLogoutRedirectUris: [`${env.origin}/`],
      });
      writePages();
    });
    // Whatever happened: Glewlwyd ends and its folder goes (its watchdog ends it if this process dies first).
    after(() => glewlwyd?.stop());

    it('logs in by redirect through its login form: a token event for the user, back on the page with a clean address bar', { timeout: TEST_MS }, async () => {
      const page = await env.newPage();
      const token = await logIn(page, 'redirect');
      assert.equal(token.detail.claims.iss, glewlwyd.issuer);
      assert.equal(token.detail.claims.aud, CLIENT_ID);
      assert.equal(typeof token.detail.claims.sub, 'string');
      assert.ok(token.detail.claims.sub.length > 0, 'a subject');
      assert.equal(token.detail.claims.name, 'Closo Glewlwyd', 'the profile scope brought the name');
      assert.equal(token.detail.tokenType.toLowerCase(), 'bearer');
      assert.equal(page.url(), pageUrl('redirect'), 'back on the page, code and state gone');
      await element(page).getByText('Closo Glewlwyd').waitFor();
      assert.deepEqual((await events(page)).map((e) => e.type), ['token'], withLog('one token event, no auth-error'));
    });

    it('getAccessToken() hands out the token; asked for more validity than it has, it refreshes once and hands out a new one', { timeout: TEST_MS }, async () => {
      const page = await env.newPage();
      const requests = tokenRequests(page.context());
      const token = await logIn(page, 'redirect');
      assert.deepEqual(requests.map((r) => r.grant_type), ['authorization_code']);
      assert.ok(requests[0].code_verifier, 'PKCE');
      assert.equal(await element(page).evaluate((el) => el.getAccessToken()), token.detail.accessToken);

      // Glewlwyd's access tokens live an hour: asking for two makes the element use its refresh token.
      const renewed = await element(page).evaluate((el) => el.getAccessToken({ minValidity: 7200 }));
      assert.notEqual(renewed, token.detail.accessToken, 'a new access token');
      assert.deepEqual(requests.map((r) => r.grant_type), ['authorization_code', 'refresh_token'], withLog('exactly one refresh grant'));
      assert.equal(jwtClaims(renewed).sub, jwtClaims(token.detail.accessToken).sub, 'for the same user');
      const tokens = (await events(page)).filter((e) => e.type === 'token');
      assert.equal(tokens.at(-1).detail.accessToken, renewed, 'the renewal is announced with a token event');
      assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 0);
    });

    it('logs in in a popup: the page stays where it is, the popup closes', { timeout: TEST_MS }, async () => {
      const page = await env.newPage();
      await page.goto(pageUrl('popup'));
      const [popup] = await Promise.all([page.waitForEvent('popup'), loginButton(page).click()]);
      await glewlwyd.logIn(popup);
      const [token] = await waitForEvents(page, 'token');
      if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 10_000 });
      assert.equal(typeof token.detail.claims.sub, 'string');
      assert.equal(page.url(), pageUrl('popup'), 'the page never left');
      await element(page).getByText('Closo Glewlwyd').waitFor();
      assert.deepEqual((await events(page)).map((e) => e.type), ['token'], withLog('one token event, no auth-error'));
    });

    it('silent, holding an ID token: a session whose access token expired and has no refresh token is renewed through Glewlwyd\'s session, with id_token_hint', { timeout: TEST_MS }, async () => {
      const page = await env.newPage();
      const first = await logIn(page, 'session');
      // The stored session (storage="session"): its access token expired, its refresh token gone.
      await page.evaluate(() => {
        const key = Object.keys(sessionStorage).find((k) => k.includes(':session:'));
        const stored = JSON.parse(sessionStorage.getItem(key));
        sessionStorage.setItem(key, JSON.stringify({ ...stored, expiresAt: Date.now() - 1000, refreshToken: null }));
      });
      const authorizations = [];
      page.on('request', (request) => { if (request.url().startsWith(`${glewlwyd.issuer}/auth?`)) authorizations.push(new URL(request.url()).searchParams); });
      await page.reload();
      const outcome = await page.waitForFunction(() => window.__closoEvents.find((e) => e.type === 'token' || e.type === 'auth-error'), null, { timeout: 20_000 });
      const seen = await outcome.jsonValue();
      assert.equal(seen.type, 'token', withLog(`a token event after the reload, not ${JSON.stringify(seen.detail)}`));
      assert.equal(seen.detail.claims.sub, first.detail.claims.sub, 'the same user');
      assert.notEqual(seen.detail.accessToken, first.detail.accessToken);
      const [silent] = authorizations;
      assert.equal(silent?.get('prompt'), 'none');
      assert.equal(silent.get('id_token_hint'), first.detail.idToken, 'the ID token the session held, as Glewlwyd requires');
      assert.equal(page.url(), pageUrl('session'));
      assert.equal(await page.locator('iframe').count(), 0, 'the hidden frame is gone');
    });

    it('silent, holding no ID token (memory mode after a reload): Glewlwyd wants one, and says so; storage="session" keeps the session instead', { timeout: TEST_MS }, async () => {
      const page = await env.newPage();
      await logIn(page, 'silent');
      await page.reload();
      const [error] = await waitForEvents(page, 'auth-error');
      // Glewlwyd answers prompt=none for a logged-in user only with an id_token_hint (docs/providers.md).
      assert.equal(error.detail.code, 'invalid_request', error.detail.message);
      assert.match(error.detail.message, /id_token mandatory/);
      await loginButton(page).waitFor();
      // The same user with storage="session": back from storage after a reload, with no request to Glewlwyd.
      const kept = await env.newPage();
      const first = await logIn(kept, 'session');
      const toGlewlwyd = [];
      kept.on('request', (request) => { if (request.url().startsWith(glewlwyd.issuer)) toGlewlwyd.push(request.url()); });
      await kept.reload();
      const [restored] = await waitForEvents(kept, 'token');
      assert.equal(restored.detail.accessToken, first.detail.accessToken);
      assert.deepEqual(toGlewlwyd, []);
    });

    it('silent: with no session at Glewlwyd, the page quietly shows the Log in button, and no error', { timeout: TEST_MS }, async () => {
      const page = await env.newPage();
      await page.goto(pageUrl('silent'));
      const [error] = await waitForEvents(page, 'auth-error');
      // Glewlwyd answers prompt=none with interaction_required when nobody is logged in there.
      assert.equal(error.detail.code, 'interaction_required', error.detail.message);
      await loginButton(page).waitFor();
      assert.equal(await loginButton(page).isEnabled(), true);
      assert.deepEqual(await element(page).locator('[part=error]').allInnerTexts(), [], 'no error text: a first visit is not an error to show');
      assert.equal((await events(page)).filter((e) => e.type === 'token').length, 0);
      assert.equal(await page.locator('iframe').count(), 0, 'the hidden frame is gone');
    });

    /** Logs in on the redirect page and clicks Log out; records what leaves the page as it goes to Glewlwyd. */
    async function logInThenOut() {
      const page = await env.newPage();
      // The logout event fires just before the page leaves for Glewlwyd: it is kept outside the page.
      const logouts = [];
      await page.exposeFunction('__glewlwydLogout', (detail) => logouts.push(detail));
      await page.addInitScript(() => addEventListener('logout', (event) => window.__glewlwydLogout(JSON.parse(JSON.stringify(event.detail))), true));
      const warnings = [];
      page.on('console', (message) => { if (message.type() === 'warning' && message.text().startsWith('closo-login:')) warnings.push(message.text()); });
      const revocations = [];
      page.context().on('response', (response) => { if (response.url() === `${glewlwyd.issuer}/revoke`) revocations.push(response.status()); });
      const endSessions = [];
      page.on('request', (request) => { if (request.url().startsWith(`${glewlwyd.issuer}/end_session`)) endSessions.push(request.url()); });
      await logIn(page, 'redirect');
      await page.getByRole('button', { name: 'Log out' }).click();
      // Glewlwyd asks the user to confirm on its end-session page.
      await glewlwyd.confirmLogout(page);
      return { page, logouts, warnings, revocations, endSessions };
    }

    it('logs out: a logout event, Glewlwyd\'s session ends, and one console warning that it refused the revocation', { timeout: TEST_MS }, async () => {
      const { page, logouts, warnings, revocations } = await logInThenOut();
      assert.deepEqual(logouts.map((detail) => detail.reason), ['user'], 'one logout event');
      assert.deepEqual(revocations, [401], 'Glewlwyd refuses revocation from a public client');
      // Back from Glewlwyd first (a navigation under way would abort the next one).
      await page.waitForURL((url) => `${url.origin}${url.pathname}` === `${env.origin}/`, { timeout: 10_000 });
      // Its session ended: logging in again asks for the password.
      await page.goto(pageUrl('redirect'));
      await loginButton(page).click();
      await page.waitForURL(/\/login\.html\?/);
      await page.getByLabel('Password', { exact: true }).waitFor();
      assert.equal(warnings.length, 1, `one console warning about the refused revocation, not ${JSON.stringify(warnings)}`);
      assert.match(warnings[0], /revo/i);
    });

    it('logs out: after the user confirms at Glewlwyd, the browser comes back to the app\'s logout URI', { timeout: TEST_MS }, async () => {
      const { page, endSessions } = await logInThenOut();
      // Glewlwyd 2.7.5 redirects to post_logout_redirect_uri only when the logout request has a `state`
      // (optional in RP-Initiated Logout); it may come back with it in the query.
      const back = await page.waitForURL((url) => `${url.origin}${url.pathname}` === `${env.origin}/`, { timeout: 10_000 }).then(() => true, () => false);
      const shown = back ? '' : (await page.locator('body').innerText()).replace(/\s+/g, ' ').trim();
      assert.ok(back, `the user is left on ${page.url()}, which says "${shown}"; the logout request was ${endSessions.join(', ')}`);
    });
  });
}
