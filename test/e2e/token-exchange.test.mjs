// Custom Token Exchange (RFC 8693, docs/auth0.md) against the local tenant, which exchanges the
// tokens of a "legacy" identity system whose key the tests hold (demo/servers/token-exchange.mjs):
// a login with such a token gives an ordinary session; exchangeToken() gives the caller a token
// and touches nothing else; tokens the tenant refuses end in token_exchange_failed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_AUDIENCE, ORGANIZATIONS, SECOND_AUDIENCE } from '../../demo/servers/provider.mjs';
import { LEGACY_TOKEN_TYPE, legacyToken, TOKEN_EXCHANGE_GRANT } from '../../demo/servers/token-exchange.mjs';
import { DEMO_USER, events, isAuthorizeRequest, isRefreshRequest, isTokenRequest, jwtClaims, storedSession, useStack, waitForEvents } from './harness.mjs';

const env = useStack({}, { '/examples/': fileURLToPath(new URL('../../docs/examples/', import.meta.url)) });
const [ACME] = ORGANIZATIONS;
const isExchange = (r) => isTokenRequest(r) && r.body?.grant_type === TOKEN_EXCHANGE_GRANT;
const isRevocation = (r) => r.method === 'POST' && r.path === '/oauth/revoke';
const userToken = () => legacyToken({ email: DEMO_USER.email });

/** Runs `name` from docs/examples/token-exchange.js on the page's element; resolves with its value or `{ error: { code, message } }`. */
const example = (page, name, ...args) => page.evaluate(async ([n, a]) => {
  try {
    return await (await import('/examples/token-exchange.js'))[n](document.querySelector('closo-login'), ...a);
  } catch (error) {
    return { error: { code: error.code, message: error.message } };
  }
}, [name, args]);
/** Calls `method` on the element; resolves with its value or `{ error: { code, message } }`. */
const call = (page, method, ...args) => page.locator('closo-login').evaluate(async (el, [name, list]) => {
  try {
    const value = await el[name](...list);
    return value instanceof Response ? { status: value.status, body: await value.json() } : value;
  } catch (error) {
    return { error: { code: error.code, message: error.message } };
  }
}, [method, args]);

async function openPage(fixture = 'memory') {
  const page = await env.newPage();
  await page.goto(`${env.origin}/fixtures/${fixture}.html`);
  await page.locator('closo-login').getByRole('button', { name: 'Log in' }).waitFor();
  const navigations = [];
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
  return { page, navigations };
}

describe('logging in with a token from elsewhere', () => {
  it('runs docs/examples/token-exchange.js: an ordinary session from a legacy token, with no login page, renewed and revoked as any', async () => {
    const { page, navigations } = await openPage();
    const since = env.mark();
    const token = await userToken();
    const view = await example(page, 'logInWithLegacyToken', token);
    assert.equal(view.claims.sub, DEMO_USER.sub, JSON.stringify(view));
    const [event] = await waitForEvents(page, 'token');
    assert.deepEqual([event.isCustomEvent, event.bubbles, event.composed, event.detail.claims.email], [true, true, true, DEMO_USER.email]);
    assert.ok([jwtClaims(event.detail.accessToken).aud].flat().includes(DEFAULT_AUDIENCE), 'a JWT for the element\'s API');
    await page.locator('closo-login').getByText(DEMO_USER.name).waitFor();
    // What the tenant saw: one exchange with the element's audience and scope, no authorization request.
    const [exchange, ...more] = env.requests(since, isExchange);
    assert.equal(more.length, 0);
    assert.deepEqual(
      [exchange.body.subject_token, exchange.body.subject_token_type, exchange.body.audience, exchange.body.scope],
      [token, LEGACY_TOKEN_TYPE, DEFAULT_AUDIENCE, 'openid profile email offline_access']);
    assert.equal(env.requests(since, isAuthorizeRequest).length, 0);
    assert.deepEqual(navigations, [], 'the page never left');
    // The refresh token stays in the worker: the page holds a handle.
    assert.equal(await page.locator('closo-login').evaluate((el) => el.tokenIsolation), 'worker');
    const issued = env.provider.issuedRefreshTokens.at(-1);
    assert.ok(issued, 'the tenant issued a refresh token');
    assert.ok(!JSON.stringify(await storedSession(page) ?? '').includes(issued));
    // Renewed as any session: a refresh grant with the real refresh token, sent by the worker.
    const renewing = env.mark();
    const renewed = await call(page, 'getAccessToken', { minValidity: 1e9 });
    assert.notEqual(renewed, event.detail.accessToken);
    assert.equal(env.requests(renewing, isRefreshRequest).length, 1);
    // Logged out as any: the refresh token revoked.
    const leaving = env.mark();
    await call(page, 'logout', { localOnly: true });
    assert.equal(env.requests(leaving, isRevocation).length, 1);
    assert.deepEqual((await events(page)).map((e) => e.type), ['token', 'token', 'logout']);
  });

  it('gets a token for another API of the MRRT policy from the session\'s refresh token, as any login does', async () => {
    const { page } = await openPage();
    await example(page, 'logInWithLegacyToken', await userToken());
    const since = env.mark();
    const other = await call(page, 'getAccessToken', { audience: SECOND_AUDIENCE, scope: 'read:reports' });
    assert.equal(typeof other, 'string', JSON.stringify(other));
    assert.ok([jwtClaims(other).aud].flat().includes(SECOND_AUDIENCE));
    assert.match(jwtClaims(other).scope, /read:reports/);
    assert.equal(env.requests(since, isRefreshRequest)[0].body.audience, SECOND_AUDIENCE, 'a refresh grant with the API as audience (Auth0 MRRT)');
  });

  it('logs in to an organization with it: the ID token names the organization', async () => {
    const { page } = await openPage();
    const since = env.mark();
    const view = await call(page, 'login', { subjectToken: await userToken(), subjectTokenType: LEGACY_TOKEN_TYPE, organization: ACME.id });
    assert.deepEqual([view.claims.org_id, view.claims.org_name], [ACME.id, ACME.name]);
    assert.equal(env.requests(since, isExchange)[0].body.organization, ACME.id);
  });

  it('with DPoP: the tokens are bound to the page\'s key, and the API takes them with a proof', async () => {
    const { page } = await openPage('dpop');
    const since = env.mark();
    const view = await call(page, 'login', { subjectToken: await userToken(), subjectTokenType: LEGACY_TOKEN_TYPE });
    assert.equal(view.tokenType, 'DPoP');
    assert.ok(env.requests(since, isExchange)[0].headers.dpop, 'the exchange carried a proof');
    assert.ok(jwtClaims(view.accessToken).cnf?.jkt, 'bound to a key');
    const answer = await call(page, 'fetch', '/api/claims');
    assert.deepEqual([answer.status, answer.body.scheme], [200, 'DPoP']);
  });

  for (const [what, token, code] of [
    ['signed with another key', () => legacyToken({ email: DEMO_USER.email, forged: true }), 'token_exchange_failed'],
    ['expired', () => legacyToken({ email: DEMO_USER.email, expiresIn: -60 }), 'token_exchange_failed'],
    ['of another issuer', () => legacyToken({ email: DEMO_USER.email, issuer: 'https://elsewhere.example/' }), 'token_exchange_failed'],
    ['for nobody the tenant knows', () => legacyToken({ email: 'stranger@closo.test' }), 'token_exchange_failed'],
  ]) {
    it(`refuses a legacy token ${what}: token_exchange_failed, no session, the Log in button back`, async () => {
      const { page } = await openPage();
      const result = await call(page, 'login', { subjectToken: await token(), subjectTokenType: LEGACY_TOKEN_TYPE });
      assert.equal(result.error?.code, code, JSON.stringify(result));
      const [error] = await waitForEvents(page, 'auth-error');
      assert.match(error.detail.message, /invalid_grant/);
      assert.deepEqual((await events(page)).map((e) => e.type), ['auth-error']);
      assert.equal(await storedSession(page), null);
      await page.locator('closo-login').getByRole('button', { name: 'Log in' }).waitFor();
    });
  }

  it('uses a legacy token once: a second login with it is refused', async () => {
    const { page } = await openPage();
    const token = await userToken();
    assert.equal((await call(page, 'login', { subjectToken: token, subjectTokenType: LEGACY_TOKEN_TYPE })).claims.sub, DEMO_USER.sub);
    await call(page, 'logout', { localOnly: true });
    assert.equal((await call(page, 'login', { subjectToken: token, subjectTokenType: LEGACY_TOKEN_TYPE })).error?.code, 'token_exchange_failed');
  });

  it('refuses bad calls with config_invalid before any request: no token type, a token type that is no URI, a popup', async () => {
    const { page } = await openPage();
    const since = env.mark();
    const token = await userToken();
    for (const options of [{ subjectToken: token }, { subjectToken: token, subjectTokenType: 'legacy' }, { subjectToken: '', subjectTokenType: LEGACY_TOKEN_TYPE }, { subjectToken: token, subjectTokenType: LEGACY_TOKEN_TYPE, popup: true }]) {
      assert.equal((await call(page, 'login', options)).error?.code, 'config_invalid', JSON.stringify(options));
    }
    assert.equal(env.requests(since, isTokenRequest).length, 0);
    assert.equal(env.requests(since, isAuthorizeRequest).length, 0);
    assert.equal(page.context().pages().length, 1, 'no popup opened');
  });
});

describe('exchanging a token for the caller', () => {
  it('runs docs/examples/token-exchange.js: an agent\'s token for the reports API names the agent; nothing else changes', async () => {
    const { page } = await openPage();
    const since = env.mark();
    const report = await example(page, 'reportsAsAgent', await userToken(), await legacyToken({ email: 'agent@closo.test', sub: 'agent-7' }));
    assert.equal(report.claims?.sub, DEMO_USER.sub, JSON.stringify(report));
    assert.deepEqual(report.claims.act, { sub: 'agent-7' });
    assert.ok([report.claims.aud].flat().includes(SECOND_AUDIENCE));
    assert.equal(report.scheme, 'Bearer');
    const [exchange] = env.requests(since, isExchange);
    assert.deepEqual([exchange.body.actor_token_type, exchange.body.audience, exchange.body.scope], [LEGACY_TOKEN_TYPE, SECOND_AUDIENCE, 'read:reports']);
    // Nothing stored, no event, nobody logged in.
    assert.deepEqual(await events(page), []);
    assert.equal(await storedSession(page), null);
    assert.equal(await page.locator('closo-login').evaluate((el) => el.authenticated), false);
  });

  it('leaves a logged-in session as it was, never asks for offline_access, and sends no DPoP proof', async () => {
    const { page } = await openPage('dpop');
    const view = await call(page, 'login', { subjectToken: await userToken(), subjectTokenType: LEGACY_TOKEN_TYPE });
    const since = env.mark();
    const issuedBefore = env.provider.issuedRefreshTokens.length;
    const exchanged = await call(page, 'exchangeToken', {
      subjectToken: await userToken(), subjectTokenType: LEGACY_TOKEN_TYPE, audience: SECOND_AUDIENCE, scope: 'openid offline_access read:reports',
    });
    assert.deepEqual([exchanged.tokenType, exchanged.issuedTokenType], ['Bearer', 'urn:ietf:params:oauth:token-type:access_token'], JSON.stringify(exchanged));
    assert.ok(exchanged.expiresAt > Date.now());
    assert.equal(jwtClaims(exchanged.accessToken).cnf, undefined, 'not bound to the session\'s key');
    const [exchange] = env.requests(since, isExchange);
    assert.equal(exchange.body.scope, 'openid read:reports');
    assert.equal(exchange.headers.dpop, undefined, 'no DPoP proof');
    assert.equal(env.provider.issuedRefreshTokens.length, issuedBefore, 'no refresh token issued');
    assert.equal(await call(page, 'getAccessToken'), view.accessToken, 'the session\'s own token is unchanged');
    assert.deepEqual((await events(page)).map((e) => e.type), ['token']);
  });

  it('rejects a refused token with token_exchange_failed and fires no event', async () => {
    const { page } = await openPage();
    const result = await call(page, 'exchangeToken', { subjectToken: await legacyToken({ email: DEMO_USER.email, forged: true }), subjectTokenType: LEGACY_TOKEN_TYPE });
    assert.equal(result.error?.code, 'token_exchange_failed');
    assert.deepEqual(await events(page), []);
  });
});
