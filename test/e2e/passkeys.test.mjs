// Passkeys (docs/passkeys.md) against the local tenant's native passkey API, as Auth0's
// (demo/servers/passkeys.mjs: @simplewebauthn/server checks every credential), in Chromium with
// the DevTools protocol's virtual authenticator standing for the user's device. Everything runs
// on localhost: browsers take no IP address as a passkey's RP ID.
//
// The virtual authenticator answers at once, as a user who confirms at once; with its automatic
// presence off, a request waits, as for a user who has not picked anything yet. A request for a
// passkey it does not hold fails with NotAllowedError at once, as when the user cancels (WebAuthn
// §5.1.4.1 hides which).
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WEBAUTHN_GRANT } from '../../demo/servers/passkeys.mjs';
import { DEFAULT_AUDIENCE, ORGANIZATIONS, SECOND_AUDIENCE } from '../../demo/servers/provider.mjs';
import { events, isRefreshRequest, isTokenRequest, jwtClaims, useStack, waitForEvents } from './harness.mjs';

// The HTML examples of docs/passkeys.md, as written but for the CDN, the domain and the client ID.
const exampleDir = mkdtempSync(join(tmpdir(), 'closo-passkeys-'));
const passkeysDoc = readFileSync(new URL('../../docs/passkeys.md', import.meta.url), 'utf8');
for (const [, name, code] of passkeysDoc.matchAll(/^<!-- runnable example: ([\w-]+) -->\n```html\n([\s\S]*?)\n```/gm)) {
  const local = code.replaceAll('https://cdn.jsdelivr.net/npm/closo-login@0.1.0/dist/', '/dist/')
    .replace('domain="login.example.com"', 'issuer="{{issuer}}"').replace('client-id="yourClientId"', 'client-id="{{clientId}}"');
  writeFileSync(join(exampleDir, `${name}.html`), `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>docs/passkeys.md</title></head>\n<body>\n${local}\n</body></html>\n`);
}
after(() => rmSync(exampleDir, { recursive: true, force: true }));

const env = useStack({}, { '/examples/': fileURLToPath(new URL('../../docs/examples/', import.meta.url)), '/docs-passkeys/': exampleDir }, {}, { host: 'localhost' });
const isPasskeyGrant = (r) => isTokenRequest(r) && r.body?.grant_type === WEBAUTHN_GRANT;
const isPasskeyApi = (r) => r.method === 'POST' && r.path.startsWith('/passkey/');
const element = (page) => page.locator('closo-login');
const button = (page, name) => element(page).getByRole('button', { name, exact: true });
let users = 0;
const newEmail = () => `passkey-${++users}-${randomBytes(3).toString('hex')}@closo.test`;

/** A page of `fixture` in a browser with a virtual authenticator (a platform authenticator with user verification). */
async function passkeyPage(fixture = 'passkeys', { presence = true } = {}) {
  const page = await env.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: presence },
  });
  const authenticator = {
    presence: (enabled) => cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled }),
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    add: (credential) => cdp.send('WebAuthn.addCredential', { authenticatorId, credential }),
    override: (bits) => cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, ...bits }),
  };
  // The page's WebAuthn requests, by mediation: tests wait for the autofill request to be made.
  await page.addInitScript(() => {
    const get = navigator.credentials.get.bind(navigator.credentials);
    window.__webauthnRequests = [];
    navigator.credentials.get = (options) => {
      window.__webauthnRequests.push(options?.mediation ?? 'modal');
      return get(options);
    };
  });
  const bodies = [];
  page.on('request', (request) => { if (request.url().endsWith('/oauth/token')) bodies.push(request.postData()); });
  if (fixture) {
    const before = env.mark();
    await page.goto(`${env.origin}/fixtures/${fixture}.html`);
    if (fixture === 'passkeys') {
      await button(page, 'Sign in with a passkey').waitFor();
      // Logged out, the element asks for the passkeys to offer in autofill at once.
      await env.waitForRequests(before, isPasskeyApi);
    }
  }
  return { page, authenticator, bodies };
}

/** Signs up `email` through the element's form; resolves with the token event. */
async function signUp(page, email = newEmail()) {
  await element(page).getByRole('textbox', { name: 'Email' }).fill(email);
  await button(page, 'Sign up with a passkey').click();
  const [token] = await waitForEvents(page, 'token');
  return { token, email };
}

const logOutHere = (page) => element(page).evaluate((el) => el.logout({ localOnly: true }));
const autofillRequests = (page) => page.evaluate(() => window.__webauthnRequests.filter((m) => m === 'conditional').length);

/** Logs out here, and waits until the element's autofill request waits for a user who picks nothing. */
async function logOutToAutofill(page, authenticator) {
  await authenticator.presence(false);
  const before = await autofillRequests(page);
  await logOutHere(page);
  await page.waitForFunction((count) => window.__webauthnRequests.filter((m) => m === 'conditional').length > count, before);
  await authenticator.presence(true);
}

/** Calls login() on the (headless) element; resolves with its value or `{ error: { code, message } }`. */
const login = (page, options) => element(page).evaluate(async (el, given) => {
  try {
    return await el.login(given);
  } catch (error) {
    return { error: { code: error.code, message: error.message } };
  }
}, options);

/** A passkey the virtual authenticator holds for this RP that the tenant has never seen. */
function unknownCredential() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    credentialId: randomBytes(16).toString('base64'),
    isResidentCredential: true,
    rpId: 'localhost',
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    userHandle: Buffer.from('not-a-user-of-the-tenant').toString('base64'),
    signCount: 0,
  };
}

/** POSTs JSON to the tenant from outside the browser, as an attacker's server would. */
async function postJson(path, body) {
  const response = await fetch(new URL(path, env.issuer), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

describe('passkeys in the element', () => {
  it('signs up with an email and a new passkey: no redirect, an ordinary session (token event, the worker holds the refresh token, renewal)', async () => {
    const { page, authenticator, bodies } = await passkeyPage();
    const navigations = [];
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
    const since = env.mark();
    const { token, email } = await signUp(page);
    assert.deepEqual([token.isCustomEvent, token.bubbles, token.composed], [true, true, true]);
    assert.equal(token.detail.claims.email, email);
    assert.match(token.detail.claims.sub, /^auth0\|[0-9a-f]{32}$/);
    assert.equal(jwtClaims(token.detail.accessToken).sub, token.detail.claims.sub);
    assert.deepEqual(navigations, [], 'the page never left');
    await element(page).getByText(email).waitFor();
    assert.equal((await authenticator.credentials()).length, 1, 'the device holds the new passkey');

    // What the tenant saw: a sign-up challenge, then the passkey grant, sent as JSON with the
    // credential as an object (as Auth0 takes it only), with the element's audience and scope.
    assert.deepEqual(env.requests(since, isPasskeyApi).map((r) => r.path), ['/passkey/register']);
    const [grant, ...more] = env.requests(since, isPasskeyGrant);
    assert.equal(more.length, 0);
    assert.equal(grant.headers['content-type'], 'application/json');
    assert.deepEqual([grant.body.audience, grant.body.scope], [DEFAULT_AUDIENCE, 'openid profile email offline_access']);
    const sent = JSON.parse(bodies.at(-1));
    assert.equal(typeof sent.authn_response, 'object');
    assert.deepEqual(Object.keys(sent.authn_response.response).sort(), ['attestationObject', 'clientDataJSON']);
    assert.equal(sent.refresh_token, undefined);

    // The refresh token stayed in the vault worker: the page got a handle; renewal uses it.
    assert.equal(await element(page).evaluate((el) => el.tokenIsolation), 'worker');
    const renewed = await element(page).evaluate((el) => el.getAccessToken({ minValidity: 7200 }));
    assert.notEqual(renewed, token.detail.accessToken);
    assert.equal(env.requests(since, isRefreshRequest).length, 1);
    const issued = env.provider.issuedRefreshTokens.at(-1);
    assert.ok(!(await page.content()).includes(issued));
    // Several APIs: a token for another API of the MRRT policy, from the same refresh token.
    const other = await element(page).evaluate((el, audience) => el.getAccessToken({ audience, scope: 'read:reports' }), SECOND_AUDIENCE);
    assert.ok([jwtClaims(other).aud].flat().includes(SECOND_AUDIENCE));
    assert.match(jwtClaims(other).scope, /read:reports/);
  });

  it('signs in with the passkey after a reload, from the button, and with autofill: the site\'s passkeys in the field\'s list', async () => {
    const { page, authenticator } = await passkeyPage();
    const { email } = await signUp(page);
    // The user has not picked anything yet: the autofill request waits.
    await authenticator.presence(false);
    const since = env.mark();
    await page.reload();
    await button(page, 'Sign in with a passkey').waitFor();
    const field = element(page).getByRole('textbox', { name: 'Email' });
    assert.equal(await field.getAttribute('autocomplete'), 'username webauthn');
    await page.waitForFunction(() => window.__webauthnRequests.includes('conditional'));
    await env.expectQuiet(page, { ms: 300, requests: isTokenRequest });

    // The button: the autofill request gives way to the browser's passkey prompt, confirmed at once.
    await authenticator.presence(true);
    await button(page, 'Sign in with a passkey').click();
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.claims.email, email);
    assert.equal(env.requests(since, isPasskeyGrant).length, 1);
    assert.ok(env.requests(since, isPasskeyApi).every((r) => r.path === '/passkey/challenge'));
    const sent = env.requests(since, isPasskeyGrant)[0];
    assert.deepEqual(Object.keys(JSON.parse(sent.body.authn_response).response).sort(), ['authenticatorData', 'clientDataJSON', 'signature', 'userHandle']);

    // Autofill: logged out, the element offers the passkeys in the field at once; the virtual
    // authenticator picks the one passkey as the user would from the list: signed in, no click.
    const clicks = (await page.evaluate(() => window.__clicks.length));
    await logOutHere(page);
    const [, again] = await waitForEvents(page, 'token', 2);
    assert.equal(again.detail.claims.email, email);
    assert.equal(await page.evaluate(() => window.__clicks.length), clicks, 'no click');
  });

  it('runs docs/examples/passkeys.js with the page\'s own field (light DOM) and DPoP: sign up, sign in, autofill', async () => {
    const { page, authenticator } = await passkeyPage('passkeys-headless');
    const run = (name, ...args) => page.evaluate(async ([n, a]) => {
      try {
        return await (await import('/examples/passkeys.js'))[n](document.querySelector('closo-login'), ...a);
      } catch (error) {
        return { error: { code: error.code, message: error.message } };
      }
    }, [name, args]);
    const email = newEmail();
    const signedUp = await run('signUpWithPasskey', email);
    assert.equal(signedUp.claims?.email, email, JSON.stringify(signedUp));
    assert.equal(signedUp.tokenType, 'DPoP');
    assert.ok(jwtClaims(signedUp.accessToken).cnf?.jkt, 'the access token is bound to the page\'s key');
    await logOutHere(page);
    const signedIn = await run('signInWithPasskey');
    assert.equal(signedIn.claims?.email, email);
    assert.equal(signedIn.tokenType, 'DPoP');
    await logOutHere(page);
    const [autofilled] = await Promise.all([run('offerPasskeysInAutofill'), page.locator('#email').focus()]);
    assert.equal(autofilled.claims?.email, email);
    await authenticator.presence(false);
  });

  it('logs in to the organization authorization-params names: sent with the grant, and named by the ID token', async () => {
    const { page } = await passkeyPage('passkeys-org');
    const since = env.mark();
    const signedUp = await login(page, { passkey: { signup: { email: newEmail() } } });
    assert.equal(signedUp.claims?.org_id, ORGANIZATIONS[0].id, JSON.stringify(signedUp));
    assert.equal(env.requests(since, isPasskeyGrant)[0].body.organization, 'acme');
  });

  it('a cancelled prompt, or no passkey on this device: passkey_cancelled, nothing sent, every button usable at once', async () => {
    const { page } = await passkeyPage();
    const since = env.mark();
    await button(page, 'Sign in with a passkey').click();
    const [error] = await waitForEvents(page, 'auth-error');
    assert.deepEqual([error.isCustomEvent, error.bubbles, error.composed, error.detail.code], [true, true, true, 'passkey_cancelled']);
    await element(page).getByRole('alert').getByText('cancelled').waitFor();
    assert.equal(env.requests(since, isTokenRequest).length, 0);
    for (const name of ['Log in', 'Sign in with a passkey', 'Sign up with a passkey']) {
      assert.equal(await button(page, name).getAttribute('aria-disabled'), 'false', name);
    }
    assert.equal(await element(page).evaluate((el) => el.authenticated), false);
    // The normal login is still there, and works.
    await button(page, 'Log in').click();
    await page.waitForURL(/\/u\/login\//);
  });

  it('refuses a passkey the tenant does not know, and a sign-up for an existing user: passkey_refused, logged out', async () => {
    const { page, authenticator } = await passkeyPage('passkeys-headless');
    await authenticator.add(unknownCredential());
    const unknown = await login(page, { passkey: true });
    assert.equal(unknown.error?.code, 'passkey_refused', JSON.stringify(unknown));
    const [refused] = await waitForEvents(page, 'auth-error');
    assert.deepEqual([refused.detail.code, refused.detail.message], [unknown.error.code, unknown.error.message]);
    assert.equal(env.provider.passkeyRefusals.at(-1), 'the passkey is not known to this tenant');
    assert.equal(await element(page).evaluate((el) => el.authenticated), false);

    const since = env.mark();
    const exists = await login(page, { passkey: { signup: { email: 'demo@closo.test' } } });
    assert.equal(exists.error?.code, 'passkey_refused');
    assert.match(exists.error.message, /already exists/);
    assert.equal(env.requests(since, isPasskeyGrant).length, 0, 'no ceremony, no grant');
  });

  it('does not wait in autofill while someone is logged in: a session restored after a reload asks nothing, a logout starts it', async () => {
    const { page } = await passkeyPage('passkeys-stored');
    await signUp(page);
    const since = env.mark();
    await page.reload();
    const [restored] = await waitForEvents(page, 'token');
    assert.ok(restored.detail.accessToken);
    await env.expectQuiet(page, { ms: 500, events: ['auth-error'], requests: isPasskeyApi });
    assert.deepEqual(await page.evaluate(() => window.__webauthnRequests), [], 'no WebAuthn request');
    await logOutHere(page);
    await page.waitForFunction(() => window.__webauthnRequests.includes('conditional'));
    assert.equal(env.requests(since, isPasskeyApi).length, 1, 'one challenge, for autofill');
  });

  it('keeps autofill alive past its challenge\'s life: a new challenge a little before the old one runs out, quietly', async () => {
    env.provider.settings.passkeyTimeoutMs = 10_000;
    try {
      const { page, authenticator } = await passkeyPage(null, { presence: false });
      await authenticator.add(unknownCredential());
      const since = env.mark();
      await page.goto(`${env.origin}/fixtures/passkeys.html`);
      const [first] = await env.waitForRequests(since, isPasskeyApi);
      const [, second] = await env.waitForRequests(since, isPasskeyApi, 2, 15_000);
      assert.ok(second.at - first.at >= 8_500, `renewed after ${second.at - first.at} ms, not before 90% of the challenge's 10 s`);
      assert.deepEqual(await events(page), [], 'no event: nothing the user did');
      assert.equal(await page.evaluate(() => window.__webauthnRequests.filter((m) => m === 'conditional').length), 2);
    } finally {
      env.provider.settings.passkeyTimeoutMs = 60_000;
    }
  });

  it('refuses an authenticator that did not check the user was present (UP flag off)', async () => {
    const { page, authenticator } = await passkeyPage();
    await signUp(page);
    await authenticator.override({ isBadUP: true });
    await logOutHere(page);
    // Logged out, autofill asks at once, and the virtual authenticator answers with the bad flag.
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'passkey_refused');
    assert.match(env.provider.passkeyRefusals.at(-1), /user presence|not present/i);
    assert.equal(await element(page).evaluate((el) => el.authenticated), false);
  });
});

describe('docs/passkeys.md', () => {
  it('the page with passkeys: signs up through the element\'s form, and its audience is the token\'s', async () => {
    const { page } = await passkeyPage(null);
    await page.goto(`${env.origin}/docs-passkeys/passkeys.html`);
    const { token, email } = await signUp(page);
    assert.equal(token.detail.claims.email, email);
    assert.ok([jwtClaims(token.detail.accessToken).aud].flat().includes('https://api.thecloso.com'));
  });

  it('the page\'s own field in light DOM (for Safari\'s autofill): the element uses it, and shows none of its own', async () => {
    const { page } = await passkeyPage(null);
    await page.goto(`${env.origin}/docs-passkeys/passkeys-slotted.html`);
    await button(page, 'Sign up with a passkey').waitFor();
    assert.equal(await element(page).evaluate((el) => el.shadowRoot.querySelector('[part~=passkey-username]')?.checkVisibility() ?? false), false);
    const email = newEmail();
    await page.locator('input[slot=passkey-username]').fill(email);
    await button(page, 'Sign up with a passkey').click();
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.claims.email, email);
  });
});

describe('the demo', () => {
  it('its passkeys page (npm start, /passkeys) signs up and shows the user', async () => {
    const { page } = await passkeyPage(null);
    await page.goto(`${env.origin}/passkeys`);
    const { email } = await signUp(page);
    await page.locator('#status').getByText(`Logged in as ${email}`).waitFor();
  });
});

describe('what the tenant refuses, as an attacker would try it', () => {
  it('a replayed sign-in: the same request again, or its assertion with a new challenge', async () => {
    const { page, bodies } = await passkeyPage('passkeys-headless');
    await login(page, { passkey: { signup: { email: newEmail() } } });
    await logOutHere(page);
    const signedIn = await login(page, { passkey: true });
    assert.ok(signedIn.accessToken, JSON.stringify(signedIn));
    const signIn = JSON.parse(bodies.at(-1));
    assert.ok(signIn.authn_response.response.signature);

    const replay = await postJson('/oauth/token', signIn);
    assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
    assert.equal(env.provider.passkeyRefusals.at(-1), 'auth_session is unknown, expired or already used');

    const { body: fresh } = await postJson('/passkey/challenge', { client_id: env.clientId });
    const withNewChallenge = await postJson('/oauth/token', { ...signIn, auth_session: fresh.auth_session });
    assert.deepEqual([withNewChallenge.status, withNewChallenge.body.error], [400, 'invalid_grant']);
    assert.match(env.provider.passkeyRefusals.at(-1), /challenge/i);
  });

  it('a challenge used twice: the element, handed a spent challenge, gets passkey_refused and stays logged out', async () => {
    const { page } = await passkeyPage('passkeys-headless');
    await login(page, { passkey: { signup: { email: newEmail() } } });
    await logOutHere(page);
    // The first sign-in's challenge, kept as the provider sent it.
    let spent;
    await page.route('**/passkey/challenge', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      if (spent) return route.fulfill({ status: 200, contentType: 'application/json', headers: { 'access-control-allow-origin': env.origin }, body: spent });
      const response = await route.fetch();
      spent = await response.text();
      return route.fulfill({ response, body: spent });
    });
    assert.ok((await login(page, { passkey: true })).accessToken);
    await logOutHere(page);
    const since = env.mark();
    const again = await login(page, { passkey: true });
    assert.equal(again.error?.code, 'passkey_refused');
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'passkey_refused');
    assert.equal(env.requests(since, isPasskeyGrant).length, 1);
    assert.equal(env.provider.passkeyRefusals.at(-1), 'auth_session is unknown, expired or already used');
    assert.equal(await element(page).evaluate((el) => el.authenticated), false);
  });

  it('a phishing page on another origin: the browser keeps the tenant\'s RP ID from another host; from another port, the tenant refuses the assertion', async () => {
    const { page } = await passkeyPage();
    await signUp(page);
    const { body: challenge } = await postJson('/passkey/challenge', { client_id: env.clientId });
    const port = new URL(env.origin).port;
    await page.goto(`http://phish.localhost:${port}/fixtures/blank.html`);
    const refused = await page.evaluate(ceremony, { kind: 'get', options: challenge.authn_params_public_key });
    assert.match(refused.error, /^SecurityError/);

    // localhost is the RP ID of every port of it: there, the browser signs, and the signature names the page's origin.
    const phishing = createServer((_req, res) => res.end('<!doctype html><title>Log in</title>'));
    await new Promise((resolve) => { phishing.listen(0, 'localhost', resolve); });
    let credential;
    try {
      await page.goto(`http://localhost:${phishing.address().port}/`);
      credential = await page.evaluate(ceremony, { kind: 'get', options: challenge.authn_params_public_key });
    } finally {
      phishing.close();
    }
    assert.ok(credential.response?.signature, JSON.stringify(credential));
    const stolen = await postJson('/oauth/token', { grant_type: WEBAUTHN_GRANT, client_id: env.clientId, auth_session: challenge.auth_session, authn_response: credential, scope: 'openid' });
    assert.deepEqual([stolen.status, stolen.body.error], [400, 'invalid_grant']);
    assert.match(env.provider.passkeyRefusals.at(-1), /origin/i);
  });

  it('a passkey made for another RP ID, on an origin the tenant allows: refused', async () => {
    const port = new URL(env.origin).port;
    const origin = `http://app.localhost:${port}`;
    env.provider.webOrigins.push(origin);
    try {
      const { page } = await passkeyPage(null);
      const { body: register } = await postJson('/passkey/register', { client_id: env.clientId, user_profile: { email: newEmail() } });
      await page.goto(`${origin}/fixtures/blank.html`);
      // The page asks for its own host as the RP ID, which browsers allow it; the tenant's is localhost.
      const options = { ...register.authn_params_public_key, rp: { ...register.authn_params_public_key.rp, id: 'app.localhost' } };
      const credential = await page.evaluate(ceremony, { kind: 'create', options });
      assert.ok(credential.response?.attestationObject, JSON.stringify(credential));
      const answer = await postJson('/oauth/token', { grant_type: WEBAUTHN_GRANT, client_id: env.clientId, auth_session: register.auth_session, authn_response: credential, scope: 'openid' });
      assert.deepEqual([answer.status, answer.body.error], [400, 'invalid_grant']);
      assert.match(env.provider.passkeyRefusals.at(-1), /RP ID/i);
    } finally {
      env.provider.webOrigins.pop();
    }
  });
});

describe('what loads when', () => {
  it('a page without `passkeys` loads no passkey code; one with it loads the form, and the passkey code once the user is logged out', async () => {
    const loaded = async (fixture) => {
      const page = await env.newPage();
      const scripts = [];
      page.on('request', (request) => { if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname); });
      await page.goto(`${env.origin}/fixtures/${fixture}.html`);
      await element(page).getByRole('button', { name: 'Log in' }).waitFor();
      await new Promise((resolve) => { setTimeout(resolve, 500); });
      return scripts.filter((path) => /passkey/.test(path));
    };
    assert.deepEqual(await loaded('memory'), []);
    const withPasskeys = await loaded('passkeys');
    assert.ok(withPasskeys.some((path) => /passkey-form/.test(path)), JSON.stringify(withPasskeys));
    assert.ok(withPasskeys.some((path) => /passkey-login/.test(path)), 'the autofill request needs the passkey code');
  });
});

/** In the page: a WebAuthn ceremony with options in Auth0's JSON form; the credential in the same form. */
async function ceremony({ kind, options }) {
  const bytes = (value) => Uint8Array.from(atob(value.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const text = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  try {
    const credential = kind === 'create'
      ? await navigator.credentials.create({ publicKey: { ...options, challenge: bytes(options.challenge), user: { ...options.user, id: bytes(options.user.id) } } })
      : await navigator.credentials.get({ publicKey: { ...options, challenge: bytes(options.challenge) } });
    const response = Object.fromEntries(['clientDataJSON', 'attestationObject', 'authenticatorData', 'signature', 'userHandle']
      .filter((name) => credential.response[name]).map((name) => [name, text(credential.response[name])]));
    return { id: credential.id, rawId: text(credential.rawId), type: credential.type, response, clientExtensionResults: {} };
  } catch (error) {
    return { error: `${error.name}: ${error.message}` };
  }
}
