// Against an OpenID Provider this project did not write: oauth2-mock-server (npm, axa-group),
// started here on loopback, as it is and shaped like Keycloak and like an Auth0 tenant behind a
// custom domain through its own hooks. Login, getAccessToken(), a forced refresh and logout,
// in Chromium. (Its /authorize answers at once: it has no login form.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HttpServer, OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';
import { jwtClaims, useStack, waitForEvents } from './harness.mjs';

const CLIENT_ID = 'interop-spa';
const dir = mkdtempSync(join(tmpdir(), 'closo-interop-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// The pages name the mocks' issuers themselves (the demo's {{issuer}} is its own provider). The
// custom-domain shape puts endpoints on another host than the demo's policy knows: no CSP here.
const env = useStack({}, { '/interop/': { dir, csp: false } });

/**
 * A started mock. `prefix` puts its issuer and every endpoint under a path (Keycloak's realms),
 * which the mock itself cannot do; `shape(mock)` configures it through its hooks.
 */
async function startMock({ prefix = '', shape = () => {} } = {}) {
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer);
  const http = new HttpServer((req, res) => {
    if (prefix && req.url.startsWith(`${prefix}/`)) req.url = req.url.slice(prefix.length);
    service.requestHandler(req, res);
  });
  await http.start(0, '127.0.0.1');
  const base = `http://127.0.0.1:${http.address().port}`;
  issuer.url = `${base}${prefix}`;
  const requests = [];
  // Every token unique, as a real provider's are (the mock's are the same within a second).
  service.on('beforeTokenSigning', (token) => { token.payload.jti = randomUUID(); });
  service.on('beforeResponse', (_response, req) => requests.push({ path: 'token', body: req.body }));
  service.on('beforeRevoke', () => requests.push({ path: 'revoke' }));
  const mock = { issuer, service, base, requests, stop: () => http.stop() };
  await shape(mock);
  return mock;
}

/** A page with the element on this mock, its attributes as given. */
function page(name, attributes) {
  const attrs = Object.entries(attributes).map(([key, value]) => `${key}="${value}"`).join(' ');
  writeFileSync(join(dir, `${name}.html`), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${name}</title>
<script type="module" src="/dist/closo-login.min.js"></script></head>
<body><closo-login ${attrs}></closo-login></body></html>
`);
  return `${env.origin}/interop/${name}.html`;
}

/** Clicks Log in; the mock answers at once, so the page comes straight back with the code. */
async function logIn(browserPage, url) {
  await browserPage.goto(url);
  await browserPage.getByRole('button', { name: 'Log in' }).click();
  const [token] = await waitForEvents(browserPage, 'token');
  return token;
}

const element = (browserPage) => browserPage.locator('closo-login');

describe('oauth2-mock-server, as it is', () => {
  let mock;
  before(async () => { mock = await startMock(); });
  after(() => mock.stop());

  it('logs in, hands out the token, refreshes when asked for more validity, and logs out at the provider', async () => {
    // Its issuer has no trailing slash; written here with one, it is the same issuer (one discovery).
    const url = page('plain', { issuer: `${mock.base}/`, 'client-id': CLIENT_ID, scope: 'openid offline_access', storage: 'session' });
    const browserPage = await env.newPage();
    const discoveries = [];
    browserPage.on('request', (request) => { if (request.url().endsWith('/.well-known/openid-configuration')) discoveries.push(request.url()); });
    const token = await logIn(browserPage, url);
    assert.equal(token.detail.claims.iss, mock.base);
    assert.equal(token.detail.claims.sub, 'johndoe');
    assert.equal(token.detail.claims.aud, CLIENT_ID);
    assert.equal(new URL(browserPage.url()).pathname, '/interop/plain.html', 'back on the page, the code gone');
    assert.equal(new URL(browserPage.url()).search, '');
    assert.equal(discoveries.length, 1, 'one discovery for the login page and the callback page');
    const [exchange] = mock.requests.filter((r) => r.path === 'token');
    assert.equal(exchange.body.grant_type, 'authorization_code');
    assert.ok(exchange.body.code_verifier, 'PKCE');

    const current = await element(browserPage).evaluate((el) => el.getAccessToken());
    assert.equal(current, token.detail.accessToken);
    // Its tokens live an hour: asking for two renews them with the refresh token.
    const renewed = await element(browserPage).evaluate((el) => el.getAccessToken({ minValidity: 7200 }));
    assert.notEqual(renewed, current);
    const refresh = mock.requests.filter((r) => r.path === 'token').at(-1);
    assert.equal(refresh.body.grant_type, 'refresh_token');
    assert.equal(jwtClaims(renewed).sub, 'johndoe');

    const endSession = browserPage.waitForRequest((request) => request.url().startsWith(`${mock.base}/endsession`));
    await element(browserPage).evaluate((el) => el.logout());
    const { state } = Object.fromEntries(new URL((await endSession).url()).searchParams);
    assert.match(state, /^[\w-]{43}$/, 'a state (RP-Initiated Logout §2)');
    // Back on the default logout-uri, which here holds an element of another client: the state is not its own to take.
    await browserPage.waitForURL(`${env.origin}/?state=${state}`);
    assert.equal(mock.requests.filter((r) => r.path === 'revoke').length, 1, 'the refresh token was revoked');
  });

  it('uses a JWT access token\'s exp when the answer has no expires_in: a token known to be expired is never handed out', async () => {
    const strip = (response) => { delete response.body.expires_in; };
    mock.service.on('beforeResponse', strip);
    try {
      const url = page('no-expires-in', { issuer: mock.base, 'client-id': CLIENT_ID, scope: 'openid offline_access' });
      const browserPage = await env.newPage();
      const token = await logIn(browserPage, url);
      const exp = jwtClaims(token.detail.accessToken).exp;
      assert.ok(Math.abs(token.detail.expiresAt - exp * 1000) < 2000, `expiresAt ${token.detail.expiresAt} from exp ${exp}`);
      const refreshes = () => mock.requests.filter((r) => r.path === 'token' && r.body.grant_type === 'refresh_token').length;
      const before = refreshes();
      const renewed = await element(browserPage).evaluate((el) => el.getAccessToken({ minValidity: 7200 }));
      assert.notEqual(renewed, token.detail.accessToken);
      assert.equal(refreshes(), before + 1);
    } finally {
      mock.service.off('beforeResponse', strip);
    }
  });
});

describe('oauth2-mock-server shaped like Keycloak: an issuer with a path, iss and session_state in the callback', () => {
  let mock;
  const realm = '/realms/closo';
  before(async () => {
    mock = await startMock({
      prefix: realm,
      shape({ issuer, service }) {
        service.on('beforeWellKnownOpenIdConfiguration', (response) => { response.body.authorization_response_iss_parameter_supported = true; });
        service.on('beforeAuthorizeRedirect', ({ url }) => {
          url.searchParams.set('session_state', 'b1c2d3');
          url.searchParams.set('iss', issuer.url);
        });
      },
    });
  });
  after(() => mock.stop());

  it('logs in, with the realm\'s issuer checked in the callback and the ID token', async () => {
    const url = page('keycloak', { issuer: mock.issuer.url, 'client-id': CLIENT_ID, scope: 'openid' });
    const browserPage = await env.newPage();
    const token = await logIn(browserPage, url);
    assert.equal(token.detail.claims.iss, `${mock.base}${realm}`);
    assert.equal(new URL(browserPage.url()).search, '', 'iss and session_state left the address bar with the code');
  });

  it('refuses the callback when its iss is another issuer (RFC 9207)', async () => {
    const forge = ({ url }) => url.searchParams.set('iss', `${mock.base}/realms/other`);
    mock.service.on('beforeAuthorizeRedirect', forge);
    try {
      const url = page('keycloak-mixup', { issuer: mock.issuer.url, 'client-id': CLIENT_ID, scope: 'openid' });
      const browserPage = await env.newPage();
      await browserPage.goto(url);
      const before = mock.requests.length;
      await browserPage.getByRole('button', { name: 'Log in' }).click();
      const [error] = await waitForEvents(browserPage, 'auth-error');
      assert.equal(error.detail.code, 'iss_mismatch');
      assert.equal(mock.requests.length, before, 'no token request');
    } finally {
      mock.service.off('beforeAuthorizeRedirect', forge);
    }
  });
});

describe('oauth2-mock-server shaped like an Auth0 tenant behind a custom domain', () => {
  let mock;
  before(async () => {
    mock = await startMock({
      shape({ service, base }) {
        // A real tenant's discovery: no end_session_endpoint, no RFC 9207, HS256 listed, Auth0's MFA API;
        // the custom domain's authorization endpoint and keys on another host than the issuer.
        const otherHost = base.replace('127.0.0.1', 'localhost');
        service.on('beforeWellKnownOpenIdConfiguration', ({ body }) => {
          delete body.end_session_endpoint;
          body.id_token_signing_alg_values_supported = ['HS256', 'RS256'];
          body.mfa_challenge_endpoint = `${base}/mfa/challenge`;
          body.authorization_endpoint = `${otherHost}/authorize`;
          body.jwks_uri = `${otherHost}/jwks`;
        });
        // Auth0's logout endpoint, which the mock does not have: back to returnTo.
        service.addRoute('GET', '/v2/logout', (req, res) => {
          mock.requests.push({ path: 'v2/logout', query: req.query });
          res.writeHead(302, { location: String(req.query.returnTo) }).end();
        });
      },
    });
  });
  after(() => mock.stop());

  it('logs in with the keys from the other host, and given as issuer= logs out through Auth0\'s /v2/logout', async () => {
    const url = page('auth0', { issuer: `${mock.base}/`, 'client-id': CLIENT_ID });
    const browserPage = await env.newPage();
    const token = await logIn(browserPage, url);
    assert.equal(token.detail.claims.sub, 'johndoe');
    await element(browserPage).evaluate((el) => el.logout());
    await browserPage.waitForURL(`${env.origin}/`);
    const [logout] = mock.requests.filter((r) => r.path === 'v2/logout');
    assert.deepEqual(logout.query, { client_id: CLIENT_ID, returnTo: `${env.origin}/` });
  });
});
