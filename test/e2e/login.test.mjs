// The whole redirect flow in a real Chromium against the real local provider.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEMO_USER, base64urlSha256, cspViolations, events, fetchThroughElement, isAuthorizeRequest, isTokenRequest, jwtClaims, jwtHeader, logIn, logInAtProvider, useStack,
  waitForEvents,
} from './harness.mjs';

const AUDIENCE = 'https://api.thecloso.com';
const env = useStack();

describe('redirect login on the demo page', () => {
  it('sends the guide\'s authorization request and exchanges the code with the matching verifier', async () => {
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(`${env.origin}/`);
    await page.locator('closo-login').getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');

    // What the provider saw: one authorization request with the guide's parameters...
    const [authorize] = env.requests(since, isAuthorizeRequest);
    assert.deepEqual(Object.keys(authorize.params).sort(), [
      'audience', 'client_id', 'code_challenge', 'code_challenge_method', 'nonce', 'redirect_uri', 'response_type', 'scope', 'state',
    ]);
    assert.equal(authorize.params.audience, AUDIENCE);
    assert.equal(authorize.params.scope, 'openid profile email offline_access');
    assert.equal(authorize.params.response_type, 'code');
    assert.equal(authorize.params.client_id, env.clientId);
    assert.equal(authorize.params.redirect_uri, `${env.origin}/callback`);
    assert.equal(authorize.params.code_challenge_method, 'S256');
    assert.match(authorize.params.state, /^[A-Za-z0-9_-]{43}$/);
    assert.match(authorize.params.nonce, /^[A-Za-z0-9_-]{43}$/);

    // ...and one code exchange whose verifier hashes to that challenge (RFC 7636 §4.6).
    const exchanges = env.requests(since, isTokenRequest);
    assert.equal(exchanges.length, 1);
    const body = exchanges[0].body;
    assert.equal(body.grant_type, 'authorization_code');
    assert.equal(body.client_id, env.clientId);
    assert.equal(body.redirect_uri, `${env.origin}/callback`);
    assert.equal(await base64urlSha256(body.code_verifier), authorize.params.code_challenge);
    assert.equal(body.client_secret, undefined);
    assert.equal(exchanges[0].headers.origin, env.origin);

    // The token event.
    assert.equal(token.isCustomEvent, true);
    assert.equal(token.bubbles, true);
    assert.equal(token.composed, true);
    assert.equal(token.target, 'closo-login');
    assert.deepEqual(Object.keys(token.detail).sort(), ['accessToken', 'audience', 'claims', 'expiresAt', 'idToken', 'scope', 'tokenType']);
    assert.equal(token.detail.tokenType, 'Bearer');
    assert.equal(token.detail.audience, AUDIENCE);
    assert.equal(token.detail.scope, 'openid profile email offline_access');
    assert.equal(token.detail.claims.sub, DEMO_USER.sub);
    assert.equal(token.detail.claims.email, DEMO_USER.email);
    assert.equal(token.detail.claims.name, DEMO_USER.name);
    assert.equal(token.detail.claims.nonce, authorize.params.nonce);
    assert.equal(token.detail.claims.aud, env.clientId);
    assert.ok(Math.abs(token.detail.expiresAt - (Date.now() + 3600_000)) < 60_000, 'expiresAt is about an hour away');

    // The access token is an RS256 JWT for the API, shaped like Auth0's.
    const header = jwtHeader(token.detail.accessToken);
    const claims = jwtClaims(token.detail.accessToken);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, 'JWT');
    assert.equal(claims.iss, env.issuer);
    assert.ok(claims.aud.includes(AUDIENCE), `aud ${claims.aud} contains the audience`);
    assert.equal(claims.sub, DEMO_USER.sub);
    assert.equal(claims.azp, env.clientId);
    assert.equal(claims.scope, 'openid profile email offline_access');
    assert.ok(claims.exp > Date.now() / 1000 + 3000);

    // The address bar: back on the page the login started from, no response parameters.
    assert.equal(page.url(), `${env.origin}/`);

    // The element shows the user; the page can call the API with the token.
    await assert.doesNotReject(page.locator('closo-login').getByText(DEMO_USER.name).waitFor());
    assert.equal(await page.locator('closo-login').evaluate((el) => el.authenticated), true);
    await page.getByRole('button', { name: 'Call the API' }).click();
    await page.locator('#api-result', { hasText: '"status": 200' }).waitFor();
    assert.match(await page.locator('#api-result').textContent(), /The API accepted your access token/);

    // Nothing token-like was stored: tokens live in memory by default.
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) + document.cookie);
    assert.ok(!stored.includes(token.detail.accessToken));
    assert.ok(!stored.includes(token.detail.idToken));
    assert.ok(!/closo-login:[^"]*:login:/.test(stored), 'the pending login was consumed');
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(await cspViolations(page), [], 'works under the strict CSP with Trusted Types');
  });

  it('returns to the path the login started from, with its query and fragment', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/account.html?tab=2#billing`);
    const historyBefore = await page.evaluate(() => history.length);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    assert.equal(page.url(), `${env.origin}/fixtures/account.html?tab=2#billing`);
    // The callback URL (with the code) was replaced, not pushed: account page, provider
    // login page, callback-turned-account page.
    assert.equal(await page.evaluate(() => history.length), historyBefore + 2);
    await page.goBack();
    assert.doesNotMatch(page.url(), /[?&](code|state|iss)=/);
  });

  it('passes further authorization parameters to the provider', async () => {
    const page = await env.newPage();
    const since = env.mark();
    await page.goto(`${env.origin}/fixtures/params.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/u\/login\//);
    const [authorize] = env.requests(since, isAuthorizeRequest);
    assert.equal(authorize.params.ui_locales, 'fr');
    assert.equal(authorize.params.login_hint, DEMO_USER.email);
    assert.equal(authorize.params.screen_hint, 'login');
    assert.equal(await page.getByLabel('Email').inputValue(), DEMO_USER.email, 'the provider used login_hint');
  });
});

describe('userinfo', () => {
  it("the provider's /userinfo answers for the API access token the login gave (its aud includes <issuer>userinfo), as Auth0's does", async () => {
    const page = await env.newPage();
    const token = await logIn(page, `${env.origin}/fixtures/memory.html`);
    assert.ok(jwtClaims(token.detail.accessToken).aud.includes(`${env.issuer}userinfo`));
    const userinfo = `${env.issuer}userinfo`;
    // From the page, through the element (Authorization: Bearer, cross-origin with CORS).
    const viaElement = await fetchThroughElement(page, userinfo);
    assert.equal(viaElement.status, 200, JSON.stringify(viaElement.body));
    assert.deepEqual(viaElement.body, {
      sub: DEMO_USER.sub, name: DEMO_USER.name, nickname: DEMO_USER.nickname, updated_at: viaElement.body.updated_at, email: DEMO_USER.email, email_verified: true,
    });
    const [seen] = env.requests(0, (r) => r.path === '/userinfo' && r.method === 'GET').slice(-1);
    assert.equal(seen.params.access_token, undefined, 'the token travels in the header, never the URL');
    // The same token altered, or no token, is refused.
    const [header, payload, signature] = token.detail.accessToken.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...jwtClaims(token.detail.accessToken), sub: 'auth0|someone-else' })).toString('base64url')}.${signature}`;
    for (const bad of [forged, `${header}.${payload}.${signature.slice(0, -4)}AAAA`]) {
      const refused = await fetch(userinfo, { headers: { authorization: `Bearer ${bad}` } });
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate'), /^Bearer error="invalid_token"/);
    }
    assert.equal((await fetch(userinfo)).status, 401, "no token");
  });
});
