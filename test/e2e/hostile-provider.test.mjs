// The real local provider, told to misbehave (hostile mode): every bad answer ends in
// exactly one auth-error with the right code, no token, a consumed pending login, no
// token in storage, a clean address bar, and a new login that works afterwards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELETE } from '../../demo/servers/hostile.mjs';
import { events, isRefreshRequest, isTokenRequest, jwtClaims, jwtHeader, logIn, logInAtProvider, useStack, waitForEvents } from './harness.mjs';

const env = useStack();
const now = () => Math.floor(Date.now() / 1000);

/** Cases where the authorization response itself is bad: the token endpoint is never called. */
const badResponses = [
  ['state removed (A1)', { authorization: { state: 'missing' } }, 'state_missing'],
  ['state altered (A2)', { authorization: { state: 'wrong' } }, 'state_mismatch'],
  ['state duplicated', { authorization: { state: 'duplicate' } }, 'state_mismatch'],
  ['state of an earlier login replayed', { authorization: { state: 'Qm9ndXNTdGF0ZVRoYXRJc0xvbmdFbm91Z2hUb1Bhc3M' } }, 'state_mismatch'],
  ['error=access_denied with a valid state (A6)', { authorization: { error: 'access_denied' } }, 'access_denied'],
  ['error=login_required with a valid state', { authorization: { error: 'login_required' } }, 'login_required'],
  ['error without a state', { authorization: { error: 'access_denied', state: 'missing' } }, 'state_missing'],
  ['error and code together (A12)', { authorization: { error: 'access_denied', keepCode: true } }, 'access_denied'],
  ['unknown error value', { authorization: { error: 'totally_made_up' } }, 'authorization_failed'],
  ['iss of another issuer (A9)', { authorization: { iss: 'wrong' } }, 'iss_mismatch'],
  ['iss missing though advertised (A10)', { authorization: { iss: 'missing' } }, 'iss_mismatch'],
  ['access_token in the query (A15)', { authorization: { tokenInQuery: true } }, 'authorization_failed'],
  ['response in the fragment', { authorization: { fragment: true } }, 'authorization_failed'],
  // No code: only the token parameters tell the first load that this URL is an answer to refuse and clean.
  ['tokens in the fragment and no code (an implicit-flow answer)', { authorization: { implicit: true } }, 'authorization_failed'],
  ['huge parameter', { authorization: { extra: { padding: 'x'.repeat(10_000) } } }, 'authorization_failed'],
  ['error with the iss of another issuer', { authorization: { error: 'access_denied', iss: 'wrong' } }, 'iss_mismatch'],
  ['iss duplicated', { authorization: { iss: 'duplicate' } }, 'iss_mismatch'],
  ['id_token in the query together with a code (A15)', { authorization: { tokenInQuery: 'id_token' } }, 'authorization_failed'],
];

/** Cases where the token endpoint or the ID token is bad: one token request, then REJECT. */
const badTokens = [
  ['ID token iss wrong (B4)', { idToken: { claims: { iss: 'http://evil.example/' } } }, 'id_token_invalid'],
  ['ID token aud wrong (B5)', { idToken: { claims: { aud: 'someone-else' } } }, 'id_token_invalid'],
  ['ID token aud missing', { idToken: { claims: { aud: DELETE } } }, 'id_token_invalid'],
  ['ID token azp wrong', { idToken: { claims: { aud: ['closo-demo-spa', 'other'], azp: 'other' } } }, 'id_token_invalid'],
  ['ID token nonce wrong (B10)', { idToken: { claims: { nonce: 'not-the-nonce' } } }, 'id_token_invalid'],
  ['ID token sub missing (B12)', { idToken: { claims: { sub: DELETE } } }, 'id_token_invalid'],
  ['ID token expired (B7)', { idToken: { claims: { exp: now() - 360 } } }, 'id_token_invalid'],
  ['ID token iat missing (B8)', { idToken: { claims: { iat: DELETE } } }, 'id_token_invalid'],
  ['ID token iat in the future', { idToken: { claims: { iat: now() + 3600, exp: now() + 7200 } } }, 'id_token_invalid'],
  ['ID token iat far in the past', { idToken: { claims: { iat: now() - 86400 } } }, 'id_token_invalid'],
  ['ID token alg none (B2)', { idToken: { signature: 'none' } }, 'id_token_invalid'],
  ['ID token HS256 (B3)', { idToken: { signature: 'hs256' } }, 'id_token_invalid'],
  ['ID token bad signature (B1)', { idToken: { signature: 'bad' } }, 'id_token_invalid'],
  ['ID token crit header (B14)', { idToken: { header: { crit: ['exp'], exp: 1 } } }, 'id_token_invalid'],
  ['ID token nonce missing', { idToken: { claims: { nonce: DELETE } } }, 'id_token_invalid'],
  ['ID token exp missing (B7)', { idToken: { claims: { exp: DELETE } } }, 'id_token_invalid'],
  ['ID token iss missing (B4)', { idToken: { claims: { iss: DELETE } } }, 'id_token_invalid'],
  ['ID token with several aud and no azp', { idToken: { claims: { aud: ['closo-demo-spa', 'other'], azp: DELETE } } }, 'id_token_invalid'],
  ['ID token with one aud and a wrong azp', { idToken: { claims: { aud: 'closo-demo-spa', azp: 'other' } } }, 'id_token_invalid'],
  ['ID token signed under an unknown kid', { idToken: { header: { kid: 'no-such-key' } } }, 'id_token_invalid'],
  ['ID token without kid while the JWKS has several keys (B15)', { jwks: ['primary', 'spare'], idToken: { header: { kid: DELETE } } }, 'id_token_invalid'],
  ['token endpoint 500 HTML (C1)', { token: { status: 500, type: 'text/html', body: '<html><b>oops</b></html>' } }, 'token_exchange_failed'],
  ['token endpoint 200 HTML (C2)', { token: { status: 200, type: 'text/html', body: '<html>hi</html>' } }, 'token_exchange_failed'],
  ['token endpoint truncated JSON', { token: { body: '{"access_token":"abc","tok' } }, 'token_exchange_failed'],
  ['token endpoint null', { token: { body: 'null' } }, 'token_exchange_failed'],
  ['token endpoint []', { token: { body: '[]' } }, 'token_exchange_failed'],
  ['token endpoint redirect', { token: { redirect: true } }, 'token_exchange_failed'],
  ['token endpoint 400 invalid_grant (C1)', { token: { status: 400, body: JSON.stringify({ error: 'invalid_grant', error_description: 'grant request is invalid' }) } }, 'token_exchange_failed'],
  ['token endpoint JSON body a bare string', { token: { body: '"eyJhbGciOiJSUzI1NiJ9.e30.x"' } }, 'token_exchange_failed'],
  ['access_token not a string (C7)', { token: { json: { access_token: 42 } } }, 'token_exchange_failed'],
  ['no access_token (C7)', { token: { json: { access_token: DELETE } } }, 'token_exchange_failed'],
  ['unknown token_type (C6)', { token: { json: { token_type: 'mac' } } }, 'token_exchange_failed'],
  ['token_type missing', { token: { json: { token_type: DELETE } } }, 'token_exchange_failed'],
  ['expires_in 0', { token: { json: { expires_in: 0 } } }, 'token_exchange_failed'],
  ['expires_in negative', { token: { json: { expires_in: -60 } } }, 'token_exchange_failed'],
  ['expires_in not a number', { token: { json: { expires_in: 'soon' } } }, 'token_exchange_failed'],
  ['refresh_token not a string (C11)', { token: { json: { refresh_token: 42 } } }, 'token_exchange_failed'],
  ['hanging token endpoint', { token: { hang: true } }, 'timeout'],
  ['connection dropped (C3)', { token: { drop: true } }, 'network_error'],
];

async function attempt(faults, { prepare } = {}) {
  const page = await env.newPage();
  const prepared = await prepare?.(page);
  await page.goto(`${env.origin}/fixtures/hostile.html`);
  Object.assign(env.provider.faults, faults);
  const since = env.mark();
  const started = Date.now();
  await page.getByRole('button', { name: 'Log in' }).click();
  await logInAtProvider(page);
  const [error] = await waitForOutcome(page);
  return { page, since, error, took: Date.now() - started, prepared };
}

/** Waits for the first token or auth-error event: a token where an error was due fails fast. */
async function waitForOutcome(page) {
  await page.waitForFunction(() => window.__closoEvents.some((e) => e.type === 'token' || e.type === 'auth-error'));
  return (await events(page)).filter((e) => e.type === 'token' || e.type === 'auth-error');
}

async function assertRejected({ page, since, error }, code, { tokenRequests }) {
  assert.equal(error.type, 'auth-error', `expected auth-error ${code}, got a ${error.type} event`);
  assert.equal(error.detail.code, code, error.detail.message);
  assert.equal(error.isCustomEvent && error.bubbles && error.composed, true);
  await env.expectQuiet(page, { ms: 100, events: ['token', 'auth-error'], requests: isTokenRequest }); // nothing more may arrive
  const all = await events(page);
  assert.equal(all.filter((e) => e.type === 'token').length, 0, 'no token event');
  assert.equal(all.filter((e) => e.type === 'auth-error').length, 1, 'exactly one auth-error');
  assert.equal(env.requests(since, isTokenRequest).length, tokenRequests, 'token endpoint calls');
  const url = new URL(page.url());
  assert.equal(url.pathname, '/fixtures/hostile.html');
  assert.equal(url.search + url.hash, '', 'address bar cleaned');
  // Only the public caches (provider metadata and keys) remain: no pending login, no tokens.
  const stored = await page.evaluate(() => [...Object.keys(sessionStorage), ...Object.keys(localStorage)]);
  assert.deepEqual(stored.filter((key) => !/^closo-login:(discovery|jwks):/.test(key)), [], 'nothing else stored');
  // Cookies on this host are the provider's session (ports don't separate cookies): none holds a token.
  const cookies = await page.context().cookies(env.origin);
  assert.deepEqual(cookies.filter((c) => /eyJ[\w-]+\.[\w-]+\./.test(c.value)), [], 'no token in cookies');
  assert.equal(await page.locator('closo-login').evaluate((el) => el.authenticated), false);
  // The provider's text is shown as text.
  assert.equal(await page.locator('closo-login').locator('[part=error] *').count(), 0);
  // A new login works afterwards (the provider's session makes it a round trip).
  env.resetFaults();
  await page.getByRole('button', { name: 'Log in' }).click();
  const [token] = await waitForEvents(page, 'token');
  assert.ok(token.detail.accessToken);
}

describe('hostile authorization responses', () => {
  for (const [name, faults, code] of badResponses) {
    it(`${name} → ${code}, token endpoint never called`, async () => {
      await assertRejected(await attempt(faults), code, { tokenRequests: 0 });
    });
  }

  it('a pending login older than ten minutes → login_expired, token endpoint never called', async () => {
    // The user lingered at the provider: the pending login is aged before the callback page reads it.
    const result = await attempt({}, {
      prepare: (page) => page.addInitScript(() => {
        if (!/[?&]code=/.test(location.search)) return;
        for (const key of Object.keys(sessionStorage).filter((k) => k.includes(':login:'))) {
          const login = JSON.parse(sessionStorage.getItem(key));
          sessionStorage.setItem(key, JSON.stringify({ ...login, createdAt: login.createdAt - 11 * 60_000, expiresAt: login.expiresAt - 11 * 60_000 }));
        }
      }),
    });
    await result.prepared.dispose(); // the next login is not aged
    await assertRejected(result, 'login_expired', { tokenRequests: 0 });
  });

  it('extra parameters (session_state, utm_*) are ignored (A13)', async () => {
    env.provider.faults.authorization = { extra: { session_state: 'x', utm_source: 'mail', foo: 'bar' } };
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    assert.equal(page.url(), `${env.origin}/fixtures/hostile.html`);
  });
});

describe('hostile token endpoint and ID tokens', () => {
  for (const [name, faults, code] of badTokens) {
    it(`${name} → ${code}`, async () => {
      const result = await attempt(faults);
      await assertRejected(result, code, { tokenRequests: 1 });
    });
  }

  it('a hanging token endpoint ends in timeout within the configured limit, not a stuck busy state', async () => {
    const result = await attempt({ token: { hang: true } });
    assert.equal(result.error.detail.code, 'timeout');
    assert.ok(result.took < 6000, `took ${result.took} ms`);
    assert.equal(await result.page.getByRole('button', { name: 'Log in' }).isEnabled(), true);
  });

  it('an authorization endpoint that answers 204 (the browser stays) ends in timeout: busy until then, the button usable after', async () => {
    env.provider.faults.authorization = { noContent: true };
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    const login = page.locator('closo-login');
    await login.getByRole('button', { name: 'Log in' }).click();
    await login.getByRole('button', { name: 'Logging in…' }).waitFor();
    const [error] = await waitForEvents(page, 'auth-error');
    assert.deepEqual([error.detail.code, error.detail.message], ['timeout', 'The browser did not open the login page.']);
    assert.equal(new URL(page.url()).pathname, '/fixtures/hostile.html');
    assert.equal(await login.getByRole('button', { name: 'Log in' }).isEnabled(), true);
    assert.deepEqual((await events(page)).filter((e) => e.type === 'auth-error').map((e) => e.detail.code), ['timeout']);
  });

  it('accepts token_type in any case (C5), a numeric-string expires_in and a slow answer', async () => {
    Object.assign(env.provider.faults, { token: { delayMs: 500, json: { token_type: 'bEARER', expires_in: '120' } } });
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.tokenType, 'Bearer');
    assert.ok(Math.abs(token.detail.expiresAt - Date.now() - 120_000) < 5000);
  });

  it('reports an unknown lifetime when expires_in is absent and the access token is opaque (C8)', async () => {
    Object.assign(env.provider.faults, { token: { json: { expires_in: DELETE, access_token: 'an-opaque-access-token' } } });
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(token.detail.accessToken, 'an-opaque-access-token');
    assert.equal(token.detail.expiresAt, null);
  });

  it('takes the lifetime from a JWT access token\'s exp when expires_in is absent (C8)', async () => {
    Object.assign(env.provider.faults, { token: { json: { expires_in: DELETE } } });
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    const { exp } = jwtClaims(token.detail.accessToken);
    assert.ok(Math.abs(token.detail.expiresAt - exp * 1000) < 2000, `expiresAt ${token.detail.expiresAt}, exp ${exp}`);
  });

  it('a code redeemed once is refused the second time (invalid_grant, the grant revoked), and the element never sends it again', async () => {
    const page = await env.newPage();
    let callback;
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame() && frame.url().includes('code=')) callback ??= frame.url(); });
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    const since = env.mark();
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    await waitForEvents(page, 'token');
    // The element redeemed the code once, with the real PKCE verifier.
    const [redemption] = env.requests(since, isTokenRequest);
    assert.equal(env.requests(since, isTokenRequest).length, 1);
    assert.equal(redemption.body.code, new URL(callback).searchParams.get('code'));
    assert.match(redemption.body.code_verifier, /^[\w.~-]{43,128}$/);

    // A real reuse: the exact redemption (same code, same verifier) replayed from outside.
    const replay = await env.postTokenRequest(redemption.body, { origin: env.origin });
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).error, 'invalid_grant');
    // The provider revoked what the code had granted (RFC 6749 §4.1.2): the page's renewal is refused.
    const renewal = await page.locator('closo-login').evaluate((el) => el.getAccessToken({ minValidity: 1e9 }).then(() => 'renewed', (e) => e.code));
    assert.equal(renewal, 'login_required');

    // The same response again (Back, a reload, a bookmarked callback): nothing is sent.
    const again = env.mark();
    await page.goto(callback);
    await page.getByRole('button', { name: 'Log in' }).waitFor(); // rendered: the element has looked at the URL
    await env.expectQuiet(page, { ms: 300, requests: isTokenRequest });
    assert.equal(env.requests(again, isTokenRequest).length, 0, 'the element never sends a code twice');
    assert.equal((await events(page)).length, 0, 'and reports nothing for a response it does not own');
  });

  it('after a dropped connection the code is not sent again, though it was still redeemable', async () => {
    const page = await env.newPage();
    let callback;
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame() && frame.url().includes('code=')) callback ??= frame.url(); });
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    Object.assign(env.provider.faults, { token: { drop: true } });
    const since = env.mark();
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [error] = await waitForEvents(page, 'auth-error');
    assert.equal(error.detail.code, 'network_error');
    delete env.provider.faults.token;
    const [lost] = env.requests(since, isTokenRequest); // the request that died before oidc-provider saw it
    assert.equal(env.requests(since, isTokenRequest).length, 1);
    await page.goto(callback); // the same response again
    await page.getByRole('button', { name: 'Log in' }).waitFor(); // rendered: the element has looked at the URL
    await env.expectQuiet(page, { ms: 300, events: [], requests: isTokenRequest });
    assert.equal(env.requests(since, isTokenRequest).length, 1, 'the element did not send the code again');
    // The code was live: the element's restraint, not the provider, kept it unused. Once redeemed, it is spent.
    const redeem = () => env.postTokenRequest(lost.body, { origin: env.origin });
    const first = await redeem();
    assert.equal(first.status, 200, JSON.stringify(await first.clone().json()));
    assert.equal((await (await redeem()).json()).error, 'invalid_grant');
  });
});

describe('signing keys (B15)', () => {
  const isJwksRequest = (r) => r.path === '/.well-known/jwks.json';

  it('an ID token without kid verifies when the JWKS has a single key', async () => {
    env.provider.faults.idToken = { header: { kid: DELETE } };
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [token] = await waitForEvents(page, 'token');
    assert.equal(jwtHeader(token.detail.idToken).kid, undefined);
    assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 0);
  });

  it('after a key rotation, a new login in the same tab fetches the keys again and verifies', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/fixtures/hostile.html`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await logInAtProvider(page);
    const [first] = await waitForEvents(page, 'token');
    await page.locator('closo-login').evaluate((el) => el.logout({ localOnly: true }));

    // The tenant rotates: it publishes a second key and signs ID tokens with it. The page
    // cached the old key set two minutes ago (older than oauth4webapi's 60 s refetch guard).
    Object.assign(env.provider.faults, { jwks: ['primary', 'spare'], idToken: { key: 'spare' } });
    await page.evaluate(() => {
      const key = Object.keys(sessionStorage).find((k) => k.startsWith('closo-login:jwks:'));
      const cached = JSON.parse(sessionStorage.getItem(key));
      cached.value.uat -= 120;
      sessionStorage.setItem(key, JSON.stringify(cached));
    });
    const since = env.mark();
    const landed = page.waitForURL(/[?&]code=/, { waitUntil: 'commit' });
    await page.getByRole('button', { name: 'Log in' }).click();
    await landed;
    const [outcome] = await waitForOutcome(page);
    assert.equal(outcome.type, 'token', JSON.stringify(outcome.detail));
    const second = outcome;
    assert.notEqual(jwtHeader(second.detail.idToken).kid, jwtHeader(first.detail.idToken).kid, 'signed with the new key');
    assert.equal(env.requests(since, isJwksRequest).length, 1, 'the new key set was fetched once');
    assert.equal((await events(page)).filter((e) => e.type === 'auth-error').length, 0);
  });
});

/**
 * Refresh answers (the same faults apply to refresh_token POSTs). `ended`: the session is over
 * (logout session_ended, tokens purged); else it is kept, with its unspent refresh token, for a retry.
 */
const badRefreshes = [
  ['500 HTML', { token: { status: 500, type: 'text/html', body: '<html><b>down</b></html>' } }, 'refresh_failed', { ended: false }],
  ['connection dropped', { token: { drop: true } }, 'network_error', { ended: false }],
  ['hanging response', { token: { hang: true } }, 'timeout', { ended: false }],
  ['400 invalid_grant (D1)', { token: { status: 400, body: JSON.stringify({ error: 'invalid_grant', error_description: 'refresh token revoked' }) } }, 'login_required', { ended: true }],
  ['200 HTML', { token: { status: 200, type: 'text/html', body: '<html>hi</html>' } }, 'login_required', { ended: true }],
  ['no access_token', { token: { json: { access_token: DELETE } } }, 'login_required', { ended: true }],
  ['ID token for another sub (OIDC §12.2)', { idToken: { claims: { sub: 'auth0|someone-else' } } }, 'id_token_invalid', { ended: true }],
  ['ID token with a bad signature', { idToken: { signature: 'bad' } }, 'id_token_invalid', { ended: true }],
];

describe('hostile refresh answers', () => {
  const stored = (page) => page.evaluate(() => ({ ...localStorage, ...sessionStorage }));
  const sessionOf = (area) => {
    const key = Object.keys(area).find((k) => k.includes(':session:'));
    return key ? JSON.parse(area[key]) : null;
  };

  for (const [name, faults, code, { ended }] of badRefreshes) {
    it(`refresh: ${name} → ${code}, ${ended ? 'the session ends' : 'the session is kept for a retry'}, the refresh token sent once`, async () => {
      const page = await env.newPage();
      await logIn(page, `${env.origin}/fixtures/hostile-session.html`);
      const { refreshToken } = sessionOf(await stored(page));
      assert.ok(refreshToken);
      Object.assign(env.provider.faults, faults);
      const browserSaw = [];
      const isTokenEndpoint = (request) => request.url() === `${env.issuer}oauth/token`;
      page.on('request', (request) => { if (isTokenEndpoint(request)) browserSaw.push(request.method()); });
      if (faults.token?.drop) env.provider.closeIdleConnections();
      const since = env.mark();
      const started = Date.now();
      const outcome = await page.locator('closo-login').evaluate((el) => el.getAccessToken({ minValidity: 1e9 }).then(() => 'resolved', (e) => e.code));
      assert.equal(outcome, code);
      assert.ok(Date.now() - started < 4000, `settled in ${Date.now() - started} ms`);
      await env.expectQuiet(page, { ms: 300, requests: isRefreshRequest, browserRequests: isTokenEndpoint }); // nothing more may arrive
      const all = await events(page);
      const errors = all.filter((e) => e.type === 'auth-error');
      assert.equal(errors.length, 1, 'exactly one auth-error');
      assert.equal(errors[0].detail.code, code, errors[0].detail.message);
      assert.equal(errors[0].bubbles && errors[0].composed && errors[0].isCustomEvent, true);
      assert.equal(all.filter((e) => e.type === 'token').length, 1, 'no token after the login one');
      const refreshes = env.requests(since, isRefreshRequest);
      assert.deepEqual(browserSaw, ['POST'], 'the page sent one refresh request');
      assert.equal(refreshes.length, 1, 'the provider saw one refresh request, no retry');
      assert.equal(refreshes[0].body.refresh_token, refreshToken);
      const area = await stored(page);
      const logouts = all.filter((e) => e.type === 'logout');
      if (ended) {
        assert.deepEqual(logouts.map((e) => e.detail.reason), ['session_ended']);
        assert.equal(sessionOf(area), null, 'tokens purged from storage');
        assert.doesNotMatch(JSON.stringify(area), /eyJ[\w-]+\.[\w-]+\./, 'nothing token-like stored');
        assert.equal(await page.locator('closo-login').evaluate((el) => el.authenticated), false);
        await page.getByRole('button', { name: 'Log in' }).waitFor();
      } else {
        assert.deepEqual(logouts, [], 'still logged in');
        assert.equal(sessionOf(area)?.refreshToken, refreshToken, 'the unspent refresh token is kept');
        assert.equal(await page.locator('closo-login').evaluate((el) => el.authenticated), true);
        // Kept for a retry: once the provider answers again, the same refresh token renews.
        env.resetFaults();
        const retried = env.mark();
        await page.locator('closo-login').evaluate((el) => el.getAccessToken({ minValidity: 1e9 }));
        assert.equal(env.requests(retried, isRefreshRequest).length, 1);
        assert.notEqual(sessionOf(await stored(page)).refreshToken, refreshToken, 'rotated on the retry');
      }
    });
  }
});
