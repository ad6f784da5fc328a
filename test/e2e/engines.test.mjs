// The main flows in every browser engine: Chromium, Firefox ESR and WebKitGTK (engines/drivers.mjs),
// against the real local provider, with the page and the provider on one site (both on 127.0.0.1).
// What the other tests check in Chromium in depth, these check in each engine from the outside:
// the events, the address bar, the requests the provider saw.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_USER } from '../../demo/servers/provider.mjs';
import { startStack } from '../../demo/servers/stack.mjs';
import { enginesToRun } from '../support/engines.mjs';
import { launchEngine } from './engines/drivers.mjs';
import { events, FLOW_MS, signIn } from './engines/flows.mjs';
import { isAuthorizeRequest, isRefreshRequest, jwtClaims } from './harness.mjs';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

let stack;
/** The same on localhost, for passkeys: browsers take no IP address as a passkey's RP ID. */
let localhostStack;
before(async () => {
  const pages = { '/fixtures/': fixtures, '/engines/': join(fixtures, 'engines') };
  [stack, localhostStack] = await Promise.all([startStack({ pages }), startStack({ pages, host: 'localhost' })]);
});
after(() => Promise.all([stack?.close(), localhostStack?.close()]));

const mark = () => stack.provider.requests.length;
const requests = (since, filter) => stack.provider.requests.slice(since).filter(filter);
const url = (name) => `${stack.demo.origin}/engines/${name}.html`;
const isRevocation = (r) => r.method === 'POST' && r.path === '/oauth/revoke';

const waitForEvents = async (tab, type, count = 1) => {
  await tab.waitFor(([t, n]) => (window.__closoEvents ?? []).filter((e) => e.type === t).length >= n, [type, count], 15_000, `${count} ${type} event(s)`);
  return events(tab, type);
};
/** Calls a method of the page's <closo-login> and resolves with what it resolves with (plain values only). */
const callElement = (tab, method, arg) => tab.evaluate(([m, a]) => document.querySelector('closo-login')[m](a), [method, arg ?? {}]);

/** Opens `name`, clicks Log in as a user does, signs in at the provider; resolves with the token event. */
async function logIn(tab, name) {
  await tab.goto(url(name));
  await tab.waitFor(() => !!document.querySelector('closo-login')?.shadowRoot?.querySelector('[part~=login-button]'), null, 10_000, 'the Log in button');
  await tab.clickPart('closo-login', 'login-button');
  await signIn(tab);
  return (await waitForEvents(tab, 'token')).at(-1);
}

/** A refresh token sent from outside the browser, as a thief would: the provider's answer. */
const replay = async (refreshToken) => {
  const response = await fetch(`${stack.provider.issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: stack.provider.clientId }),
  });
  return { status: response.status, ...(await response.json()) };
};

for (const engine of enginesToRun()) {
  describe(`in ${engine}`, () => {
    let browser;
    const profiles = [];
    before(async () => { browser = await launchEngine(engine); });
    afterEach(async () => {
      for (const profile of profiles.splice(0)) await profile.close();
    });
    after(async () => { await browser?.close(); });
    /** A fresh profile (cookies, storage), closed after the test. */
    const profile = async () => {
      const opened = await browser.newProfile();
      profiles.push(opened);
      return opened;
    };
    const newTab = async () => (await profile()).newTab();

    it('logs in by redirect: one token event, the address bar clean, the refresh token in its worker', { timeout: FLOW_MS }, async () => {
      const tab = await newTab();
      const since = mark();
      const token = await logIn(tab, 'memory');
      assert.equal(token.isCustomEvent && token.bubbles && token.composed, true);
      assert.equal(token.detail.claims.email, DEMO_USER.email);
      assert.equal(jwtClaims(token.detail.accessToken).aud[0], 'https://api.thecloso.com');
      assert.equal(await tab.url(), url('memory'));
      assert.equal(await tab.evaluate(() => document.querySelector('closo-login').tokenIsolation), 'worker');
      const [authorize] = requests(since, isAuthorizeRequest);
      assert.deepEqual([authorize.params.code_challenge_method, typeof authorize.params.state, typeof authorize.params.nonce], ['S256', 'string', 'string']);
      assert.deepEqual((await events(tab, 'auth-error')), []);
    });

    it('renews through the refresh token\'s worker: a new access token, one refresh grant with the real refresh token', { timeout: FLOW_MS }, async () => {
      const tab = await newTab();
      const first = await logIn(tab, 'memory');
      const since = mark();
      const renewed = await callElement(tab, 'getAccessToken', { minValidity: 1e9 });
      assert.notEqual(renewed, first.detail.accessToken);
      const [refresh, ...more] = requests(since, isRefreshRequest);
      assert.equal(more.length, 0);
      assert.doesNotMatch(refresh.body.refresh_token, /^closo-rt\./, 'the worker sent the token, not the handle');
      assert.equal((await waitForEvents(tab, 'token', 2)).length, 2);
      // The page holds only the handle: nothing of the refresh token in its storage, events or element.
      const inPage = await tab.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage, events: window.__closoEvents }));
      assert.ok(!inPage.includes(refresh.body.refresh_token));
    });

    it('keeps the session across a reload, in each storage mode: session and local from storage, memory by silent sign-in', { timeout: FLOW_MS }, async () => {
      for (const name of ['session', 'local', 'silent']) {
        // One profile at a time: WebKitWebDriver drives one session.
        for (const open of profiles.splice(0)) await open.close();
        const tab = await newTab();
        const first = await logIn(tab, name);
        const since = mark();
        await tab.reload();
        const [restored] = await waitForEvents(tab, 'token');
        assert.equal(restored.detail.claims.sub, first.detail.claims.sub, name);
        const silent = requests(since, isAuthorizeRequest);
        if (name === 'silent') assert.equal(silent[0]?.params.prompt, 'none', 'a silent sign-in, in a hidden frame');
        else assert.deepEqual(requests(since, () => true), [], `${name}: restored without a request`);
        assert.deepEqual(await events(tab, 'auth-error'), [], name);
      }
    });

    // Cross-Origin-Opener-Policy same-origin cuts the popup off from the page, sent by the provider's login page or by the app's pages (popup-isolated.html).
    for (const [cutOff, page, openerPolicy] of [['', 'popup', null], [', cut off by the provider\'s COOP', 'popup', 'same-origin'], [', cut off by the app\'s COOP', 'popup-isolated', null]]) {
      it(`logs in in a popup, with the page and its unsaved state left as they were${cutOff}`, { timeout: FLOW_MS }, async () => {
        stack.provider.settings.openerPolicy = openerPolicy;
        try {
          const tab = await newTab();
          await tab.goto(url(page));
          await tab.waitFor(() => !!document.querySelector('closo-login')?.shadowRoot?.querySelector('[part~=login-button]'), null, 10_000, 'the Log in button');
          await tab.evaluate(() => { window.__unsaved = 'draft'; });
          const popup = await tab.waitForPopup(() => tab.clickPart('closo-login', 'login-button'));
          await popup.waitFor(() => location.pathname.startsWith('/u/login/') && document.readyState === 'complete', null, 15_000, 'the provider\'s login page');
          assert.equal(await popup.evaluate(() => window.opener === null), !!cutOff, 'cut off from the page only by COOP');
          await signIn(popup);
          const [token] = await waitForEvents(tab, 'token');
          assert.equal(token.detail.claims.email, DEMO_USER.email);
          assert.equal(await tab.url(), url(page));
          assert.equal(await tab.evaluate(() => window.__unsaved), 'draft');
          assert.deepEqual(await events(tab, 'auth-error'), []);
        } finally {
          stack.provider.settings.openerPolicy = null;
        }
      });
    }

    it('logs out and revokes the refresh token: the provider refuses it afterwards', { timeout: FLOW_MS }, async () => {
      const tab = await newTab();
      await logIn(tab, 'memory');
      const since = mark();
      await callElement(tab, 'logout', { localOnly: true });
      const [logout] = await waitForEvents(tab, 'logout');
      assert.equal(logout.detail.reason, 'user');
      const [revocation] = requests(since, isRevocation);
      assert.doesNotMatch(revocation.body.token, /^closo-rt\./);
      assert.deepEqual([(await replay(revocation.body.token)).error], ['invalid_grant']);
      assert.equal(await tab.evaluate(() => document.querySelector('closo-login').authenticated), false);
    });

    it('keeps DPoP across a reload: the key survives in IndexedDB, renewed tokens stay bound to it, the API accepts them', { timeout: FLOW_MS }, async () => {
      const tab = await newTab();
      const first = await logIn(tab, 'dpop');
      assert.equal(first.detail.tokenType, 'DPoP');
      const jkt = jwtClaims(first.detail.accessToken).cnf.jkt;
      await tab.reload();
      await waitForEvents(tab, 'token');
      const renewed = await callElement(tab, 'getAccessToken', { minValidity: 1e9 });
      assert.notEqual(renewed, first.detail.accessToken);
      assert.equal(jwtClaims(renewed).cnf.jkt, jkt, 'bound to the same key after the reload');
      const status = await tab.evaluate(async () => (await document.querySelector('closo-login').fetch('/api/claims')).status);
      assert.equal(status, 200);
    });

    // Chromium's ceremonies, with its virtual authenticator, are in passkeys.test.mjs; here, what each engine offers.
    it('offers passkeys where the browser has WebAuthn, and says so where it has none, with the normal login still there', { timeout: FLOW_MS }, async () => {
      const tab = await newTab();
      const since = localhostStack.provider.requests.length;
      await tab.goto(`${localhostStack.demo.origin}/engines/passkeys.html`);
      await tab.waitFor(() => !!document.querySelector('closo-login')?.shadowRoot?.querySelector('[part~=passkey-button]'), null, 10_000, 'the passkey button');
      const field = await tab.evaluate(() => document.querySelector('closo-login').shadowRoot.querySelector('[part~=passkey-username]').getAttribute('autocomplete'));
      assert.equal(field, 'username webauthn');
      const webauthn = await tab.evaluate(async () => typeof PublicKeyCredential === 'function' && (await PublicKeyCredential.isConditionalMediationAvailable?.()) === true);
      const challenges = () => localhostStack.provider.requests.slice(since).filter((r) => r.path === '/passkey/challenge' && r.method === 'POST');
      if (webauthn) {
        // Autofill: the element asked for a challenge at once, and waits for the user, quietly.
        for (const end = Date.now() + 10_000; !challenges().length && Date.now() < end;) await new Promise((resolve) => { setTimeout(resolve, 50); });
        assert.equal(challenges().length, 1);
        assert.deepEqual(await events(tab, 'auth-error'), []);
        return;
      }
      // WebKitGTK has no WebAuthn: autofill stays quiet and asks nothing; the button says why; Log in still works.
      assert.equal(engine, 'webkit', `${engine} offers no passkeys`);
      await tab.clickPart('closo-login', 'passkey-button');
      const [error] = await waitForEvents(tab, 'auth-error');
      assert.equal(error.detail.code, 'passkey_unsupported');
      assert.equal(challenges().length, 0);
      assert.equal(await tab.evaluate(() => document.querySelector('closo-login').shadowRoot.querySelector('[part~=login-button]').getAttribute('aria-disabled')), 'false');
      await tab.clickPart('closo-login', 'login-button');
      await signIn(tab);
      const [token] = await waitForEvents(tab, 'token');
      assert.equal(token.detail.claims.email, DEMO_USER.email);
    });

    it('renews once for two tabs that share a refresh token: one refresh grant, the same new token in both', { timeout: FLOW_MS }, async () => {
      const shared = await profile();
      const a = await shared.newTab();
      await logIn(a, 'local');
      const b = await shared.newTab();
      await b.goto(url('local'));
      await waitForEvents(b, 'token');
      const since = mark();
      // Both ask at once for a token valid longer than the one they hold.
      const renew = () => { window.__renewed = null; document.querySelector('closo-login').getAccessToken({ minValidity: 1e9 }).then((token) => { window.__renewed = token; }); };
      await a.evaluate(renew);
      await b.evaluate(renew);
      const [fromA, fromB] = [await a.waitFor(() => window.__renewed, null, 15_000, 'tab A\'s token'), await b.waitFor(() => window.__renewed, null, 15_000, 'tab B\'s token')];
      assert.equal(fromA, fromB);
      assert.equal(requests(since, isRefreshRequest).length, 1);
    });
  });
}
