// DPoP (RFC 9449) against the real provider and the demo API: bound tokens, proofs,
// nonces, a key that cannot leave the page, and renewal after a reload.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createJtiCache } from '../../demo/servers/demo-server.mjs';
import {
  fetchThroughElement, isTokenRequest, jwtClaims, logIn, logInAtProvider, storedSession, useStack, waitForEvents,
} from './harness.mjs';

const env = useStack();

afterEach(() => {
  env.provider.settings.requireDpopNonce = false;
  env.demo.apiSettings.dpopNonce = null;
});

/** The page's DPoP key pair from IndexedDB: the public JWK, and whether the private key can be exported. */
const keyFacts = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open('closo-login');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const store = open.result.transaction('dpop-keys').objectStore('dpop-keys');
    const all = store.getAll();
    all.onsuccess = async () => {
      const [pair] = all.result;
      const publicJwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
      const exportable = await crypto.subtle.exportKey('jwk', pair.privateKey).then(() => 'exported', (e) => e.name);
      resolve({ count: all.result.length, publicJwk, extractable: pair.privateKey.extractable, exportable });
    };
  };
}));

describe('DPoP', () => {
  it('binds the tokens to a non-extractable key and calls the API with proofs', async () => {
    const page = await env.newPage();
    const token = await logIn(page, `${env.origin}/fixtures/dpop.html`);
    assert.equal(token.detail.tokenType, 'DPoP');
    const key = await keyFacts(page);
    assert.equal(key.count, 1);
    assert.equal(key.extractable, false);
    assert.equal(key.exportable, 'InvalidAccessError', 'the private key cannot be exported');
    assert.equal(jwtClaims(token.detail.accessToken).cnf.jkt, await calculateJwkThumbprint(key.publicJwk));

    // The element's fetch sends the token with a fresh proof; the API accepts it.
    const viaElement = await fetchThroughElement(page, '/api/claims');
    assert.equal(viaElement.status, 200, JSON.stringify(viaElement.body));
    assert.equal(viaElement.body.scheme, 'DPoP');
    // Without a proof, or as a Bearer token, the API refuses it.
    const stolen = await page.evaluate(async (accessToken) => Promise.all(['DPoP', 'Bearer'].map(async (scheme) =>
      (await fetch('/api/claims', { headers: { authorization: `${scheme} ${accessToken}` } })).status)), token.detail.accessToken);
    assert.deepEqual(stolen, [401, 401]);
  });

  it('a refresh token copied out of the page is useless without the key; the page renews after a reload', async () => {
    const page = await env.newPage();
    const first = await logIn(page, `${env.origin}/fixtures/dpop.html`);
    const { refreshToken } = await storedSession(page);
    const thief = await env.postTokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: env.clientId });
    assert.equal(thief.status, 400);
    assert.match((await thief.json()).error, /invalid_grant|invalid_dpop_proof/);

    await page.reload();
    await waitForEvents(page, 'token');
    const since = env.mark();
    const renewed = await page.locator('closo-login').evaluate((el) => el.getAccessToken({ minValidity: 1e9 }));
    assert.equal(env.requests(since, isTokenRequest).length, 1);
    assert.notEqual(renewed, first.detail.accessToken);
    assert.equal(jwtClaims(renewed).cnf.jkt, jwtClaims(first.detail.accessToken).cnf.jkt, 'the same key after the reload');
  });

  it("a refresh token copied out of the page is refused with the thief's own DPoP key, and stays the page's", async () => {
    const page = await env.newPage();
    const first = await logIn(page, `${env.origin}/fixtures/dpop.html`);
    const { refreshToken } = await storedSession(page);
    // The thief's own key pair, and a well-formed proof for the token endpoint signed with it.
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const thiefJwk = await exportJWK(publicKey);
    const proof = await new SignJWT({ htm: 'POST', htu: `${env.issuer}oauth/token`, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: thiefJwk })
      .setIssuedAt()
      .sign(privateKey);
    assert.notEqual(await calculateJwkThumbprint(thiefJwk), jwtClaims(first.detail.accessToken).cnf.jkt);
    let refusal;
    const onError = (_ctx, error) => { refusal = error; };
    env.provider.provider.on('grant.error', onError);
    const since = env.mark();
    const thief = await env.postTokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: env.clientId }, { dpop: proof });
    env.provider.provider.off('grant.error', onError);
    assert.equal(thief.status, 400);
    const answer = await thief.json();
    assert.equal(answer.error, 'invalid_grant', JSON.stringify(answer));
    assert.ok(!answer.access_token);
    // The proof itself was accepted as a proof: the refusal is the key binding.
    assert.equal(refusal?.error_detail, 'failed jkt verification');
    assert.equal(env.requests(since, isTokenRequest).length, 1);

    // The refused attempt spent nothing: the page still renews with the same refresh token.
    const renewedAt = env.mark();
    const renewed = await page.locator('closo-login').evaluate((el) => el.getAccessToken({ minValidity: 1e9 }));
    const [refresh] = env.requests(renewedAt, isTokenRequest);
    assert.equal(refresh.body.refresh_token, refreshToken);
    assert.notEqual(renewed, first.detail.accessToken);
  });

  it('the demo API accepts a DPoP proof once: a replayed proof is refused', async () => {
    const page = await env.newPage();
    await logIn(page, `${env.origin}/fixtures/dpop.html`);
    const sent = [];
    page.on('request', (request) => { if (request.url().endsWith('/api/claims')) sent.push(request.allHeaders()); });
    const call = () => page.locator('closo-login').evaluate(async (el) => (await el.fetch('/api/claims')).status);
    assert.equal(await call(), 200);
    const { authorization, dpop } = await sent[0];
    assert.match(authorization, /^DPoP /);
    const replay = await fetch(`${env.origin}/api/claims`, { headers: { authorization, dpop } });
    assert.equal(replay.status, 401);
    assert.match((await replay.json()).message, /replayed/);
    // Each call of the page brings a fresh proof.
    assert.equal(await call(), 200);
  });

  it("the provider's /userinfo takes a DPoP-bound access token only with a proof of the page's key", async () => {
    const page = await env.newPage();
    const token = await logIn(page, `${env.origin}/fixtures/dpop.html`);
    const userinfo = `${env.issuer}userinfo`;
    const viaElement = await fetchThroughElement(page, userinfo);
    assert.equal(viaElement.status, 200, JSON.stringify(viaElement.body));
    assert.equal(viaElement.body.sub, jwtClaims(token.detail.accessToken).sub);
    // Copied out of the page: as a Bearer token, or with no proof, it is refused.
    for (const scheme of ['Bearer', 'DPoP']) {
      const stolen = await fetch(userinfo, { headers: { authorization: `${scheme} ${token.detail.accessToken}` } });
      assert.equal(stolen.status, 401, scheme);
    }
  });

  it('the proof cache is bounded and forgets a jti once its proof could no longer pass', () => {
    let now = 1_000;
    const cache = createJtiCache({ windowS: 60, max: 2, now: () => now });
    assert.equal(cache.add('a'), true);
    assert.equal(cache.add('a'), false, 'replay');
    assert.equal(cache.add('b'), true);
    assert.equal(cache.add('c'), 'full', 'refused, not forgotten, while full');
    now += 119;
    assert.equal(cache.add('a'), false, 'still remembered within twice the window');
    now += 2;
    assert.equal(cache.add('c'), true, 'expired entries are dropped');
    assert.equal(cache.size, 1);
  });

  it('answers use_dpop_nonce once, at the token endpoint and at the API', async () => {
    env.provider.settings.requireDpopNonce = true;
    const page = await env.newPage();
    const since = env.mark();
    const token = await logIn(page, `${env.origin}/fixtures/dpop.html`);
    assert.equal(token.detail.tokenType, 'DPoP');
    // First token request refused for its missing nonce, the second carries it.
    assert.equal(env.requests(since, isTokenRequest).length, 2);
    env.demo.apiSettings.dpopNonce = 'api-nonce-1';
    const status = await page.locator('closo-login').evaluate(async (el) => (await el.fetch('/api/claims')).status);
    assert.equal(status, 200);
  });

  it('with dpop="required", refuses a Bearer answer', async () => {
    env.provider.faults.token = { json: { token_type: 'Bearer' } };
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/dpop-required.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'token_exchange_failed');
    assert.match(error.detail.message, /dpop="required"/);
  });
});
