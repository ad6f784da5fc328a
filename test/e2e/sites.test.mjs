// The page and the provider on two sites, as in production (an app never shares a site with
// *.auth0.com), and on one site (an Auth0 custom domain, login.example.com for app.example.com),
// in each engine with its default third-party cookie policy and the other one it is tested with.
// Both servers are on HTTPS (a certificate made now) and the provider's cookies are
// SameSite=None; Secure, as Auth0's: each engine's own policy decides whether the silent sign-in
// frame gets them. The results are the table of docs/browsers.md.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { startStack } from '../../demo/servers/stack.mjs';
import { enginesToRun } from '../support/engines.mjs';
import { makeCertificate } from '../support/tls.mjs';
import { launchEngine } from './engines/drivers.mjs';
import { events, FLOW_MS, signIn } from './engines/flows.mjs';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const pages = { '/fixtures/': fixtures, '/engines/': join(fixtures, 'engines') };
const tls = makeCertificate(['localhost', 'app.closo.localhost', 'login.closo.localhost']);

/** Where the page and the provider are. `127.0.0.1` and `localhost` are two sites; two names under one `.localhost` name, one site. */
const LAYOUTS = {
  'two sites': { host: '127.0.0.1', providerHost: 'localhost' },
  'one site': { host: 'app.closo.localhost', providerHost: 'login.closo.localhost' },
};

/**
 * What a silent sign-in after a reload gives, by engine, cookie policy and layout: `restored`, or
 * the error. Measured; docs/browsers.md shows the same table.
 */
const SILENT_AFTER_RELOAD = {
  chromium: {
    default: { 'two sites': 'login_required', 'one site': 'restored' }, // Debian's Chromium blocks third-party cookies
    'third-party-allowed': { 'two sites': 'restored', 'one site': 'restored' },
  },
  firefox: {
    default: { 'two sites': 'restored', 'one site': 'restored' }, // the login's redirect grants the provider storage access
    'third-party-blocked': { 'two sites': 'login_required', 'one site': 'restored' },
  },
  webkit: {
    default: { 'two sites': 'restored', 'one site': 'restored' }, // WebKitGTK without ITP
    'third-party-blocked': { 'two sites': 'login_required', 'one site': 'restored' }, // with ITP, as Safari
  },
};

const stacks = {};
before(async () => {
  for (const [layout, hosts] of Object.entries(LAYOUTS)) stacks[layout] = await startStack({ ...hosts, tls, pages });
});
after(async () => { for (const stack of Object.values(stacks)) await stack.close(); });

const waitForOutcome = (tab) => tab.waitFor(() => (window.__closoEvents ?? []).find((e) => e.type === 'token' || e.type === 'auth-error'), null, 20_000, 'a token or an error');

/** Logs in by redirect (through login(): what this file tests is cookies; engines.test.mjs clicks the button). */
async function logIn(tab, pageUrl) {
  await tab.goto(pageUrl);
  await tab.waitFor(() => !!document.querySelector('closo-login')?.shadowRoot?.querySelector('[part~=login-button]'), null, 10_000, 'the Log in button');
  await tab.evaluate(() => { document.querySelector('closo-login').login(); });
  await signIn(tab);
  const outcome = await waitForOutcome(tab);
  assert.equal(outcome.type, 'token', JSON.stringify(outcome.detail));
  return outcome;
}

/** POSTs a refresh grant for `refreshToken` to the provider from outside the browser, as a thief would; `dpop`: a proof. */
function replay(stack, refreshToken, dpop) {
  const endpoint = new URL('oauth/token', stack.provider.issuer);
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: stack.provider.clientId }).toString();
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', servername: endpoint.hostname, port: endpoint.port, path: endpoint.pathname, method: 'POST', ca: tls.cert,
      headers: { host: endpoint.host, 'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, ...JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A well-formed DPoP proof for `endpoint`, signed with a key of the thief's own. */
async function thiefProof(endpoint) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return new SignJWT({ htm: 'POST', htu: endpoint, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
    .setIssuedAt()
    .sign(privateKey);
}

for (const engine of enginesToRun()) {
  for (const [cookies, expected] of Object.entries(SILENT_AFTER_RELOAD[engine])) {
    describe(`${engine}, third-party cookies ${cookies}`, () => {
      let browser;
      before(async () => { browser = await launchEngine(engine, { cookies }); });
      after(async () => { await browser?.close(); });

      for (const layout of Object.keys(LAYOUTS)) {
        it(`${layout}: a silent sign-in after a reload is ${expected[layout] === 'restored' ? 'restored' : `refused (${expected[layout]})`}, quietly${expected[layout] === 'restored' ? '' : ', with one console note'}`, { timeout: FLOW_MS }, async () => {
          const stack = stacks[layout];
          const profile = await browser.newProfile();
          try {
            const tab = await profile.newTab();
            const first = await logIn(tab, `${stack.demo.origin}/engines/silent.html`);
            await tab.reload();
            const outcome = await waitForOutcome(tab);
            const result = outcome.type === 'token' ? 'restored' : outcome.detail.code;
            assert.equal(result, expected[layout]);
            if (result === 'restored') {
              assert.equal(outcome.detail.claims.sub, first.detail.claims.sub);
              return;
            }
            // Refused: the Log in button, usable at once, no error text; one console note says why.
            const shown = await tab.evaluate(() => {
              const root = document.querySelector('closo-login').shadowRoot;
              return { button: !!root.querySelector('[part~=login-button]:not([aria-busy=true])'), error: !!root.querySelector('[part=error]') };
            });
            assert.deepEqual(shown, { button: true, error: false });
            const notes = await tab.evaluate(() => window.__consoleWarnings.filter((w) => w.startsWith('closo-login: silent sign-in found no session')));
            assert.equal(notes.length, 1);
            assert.match(notes[0], /docs\/browsers\.md/);
            assert.equal((await events(tab, 'auth-error')).length, 1);
          } finally {
            await profile.close();
          }
        });
      }

      if (cookies === 'default') {
        it('two sites, storage="local" with dpop: the session survives a reload and a new tab without third-party cookies; its stored refresh token is worthless to a thief', { timeout: FLOW_MS }, async () => {
          const stack = stacks['two sites'];
          const profile = await browser.newProfile();
          try {
            const tab = await profile.newTab();
            const first = await logIn(tab, `${stack.demo.origin}/engines/dpop.html`);
            assert.equal(first.detail.tokenType, 'DPoP');
            const since = stack.provider.requests.length;
            await tab.reload();
            assert.equal((await waitForOutcome(tab)).type, 'token');
            const other = await profile.newTab();
            await other.goto(`${stack.demo.origin}/engines/dpop.html`);
            assert.equal((await waitForOutcome(other)).type, 'token');
            assert.deepEqual(stack.provider.requests.slice(since), [], 'restored from storage, no request');
            // The stored refresh token, taken out of the browser and sent from elsewhere: without a proof, and with the thief's own key.
            const refreshToken = await tab.evaluate(() => JSON.parse(Object.values({ ...localStorage }).find((v) => v.includes('"refreshToken"'))).refreshToken);
            const endpoint = new URL('oauth/token', stack.provider.issuer).href;
            for (const dpop of [undefined, await thiefProof(endpoint)]) {
              const answer = await replay(stack, refreshToken, dpop);
              assert.equal(answer.status, 400, JSON.stringify(answer));
              assert.ok(!answer.access_token);
            }
            // The page's key still renews it.
            const renewed = await tab.evaluate(() => document.querySelector('closo-login').getAccessToken({ minValidity: 1e9 }));
            assert.notEqual(renewed, first.detail.accessToken);
          } finally {
            await profile.close();
          }
        });
      }
    });
  }
}
