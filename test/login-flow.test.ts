import { expect } from '@esm-bundle/chai';
import { resolveConfig } from '../src/config.js';
import { clearDiscoveryCache, type NetworkOptions } from '../src/authorization-server.js';
import { completeLogin, startLogin } from '../src/login-flow.js';
import { takePendingLogin, type PendingLogin } from '../src/storage.js';
import {
  AUDIENCE, CLIENT_ID, ISSUER, clearClosoStorage, fakeFetch, idTokenClaims, json, jwks, metadata, sha256Base64url, signJwt, tokenResponse, type Answer,
} from './support/responses.js';
import { rejection } from './support/assertions.js';

const page = { origin: 'https://app.example.com', pathname: '/account' };
const config = resolveConfig({ issuer: ISSUER, clientId: CLIENT_ID, audience: AUDIENCE, redirectUri: 'https://app.example.com/callback' }, page);

function tenant(token?: Answer) {
  return fakeFetch({
    [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata),
    ...(token ? { [metadata.token_endpoint]: token } : {}),
  });
}

/** Starts a login and returns its authorization URL and the pending login it stored. */
async function begin(network: NetworkOptions) {
  const url = await startLogin(config, { returnTo: '/account?tab=2' }, network);
  const state = url.searchParams.get('state')!;
  const pending = takePendingLogin(CLIENT_ID, state)!;
  return { url, pending };
}

const response = (params: Record<string, string>) => new URL(`https://app.example.com/callback?${new URLSearchParams(params)}`);

describe('startLogin', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });

  it('refuses provider metadata whose endpoints are not https: nothing to navigate to', async () => {
    for (const [name, value] of [
      ['authorization_endpoint', 'javascript:alert(document.domain)//'],
      ['authorization_endpoint', 'http://tenant.example.com/authorize'],
      ['end_session_endpoint', 'javascript:alert(1)'],
      ['token_endpoint', 'data:text/html,x'],
      ['jwks_uri', 'http://tenant.example.com/jwks'],
    ]) {
      clearClosoStorage();
      clearDiscoveryCache();
      const network = fakeFetch({ [`${ISSUER}.well-known/openid-configuration`]: () => json({ ...metadata, [name!]: value }) });
      const error = await rejection(startLogin(config, { returnTo: '/' }, network));
      expect(error.code, `${name} ${value}`).to.equal('discovery_failed');
      expect(sessionStorage.length, 'nothing cached or pending').to.equal(0);
    }
  });

  it('builds the authorization request of the guide, plus state and nonce', async () => {
    const { url, pending } = await begin(tenant());
    expect(url.origin + url.pathname).to.equal(metadata.authorization_endpoint);
    const params = Object.fromEntries(url.searchParams);
    expect(params).to.include({
      audience: AUDIENCE,
      scope: 'openid profile email offline_access',
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: 'https://app.example.com/callback',
      code_challenge_method: 'S256',
    });
    expect(params.code_challenge).to.equal(await sha256Base64url(pending.codeVerifier));
    expect(pending.codeVerifier).to.match(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(params.state).to.equal(pending.state);
    expect(params.nonce).to.equal(pending.nonce);
    expect(pending).to.include({ issuer: ISSUER, clientId: CLIENT_ID, audience: AUDIENCE, returnTo: '/account?tab=2' });
    expect(pending.expiresAt - Date.now()).to.be.within(9 * 60_000, 10 * 60_000);
  });

  it('makes fresh verifier, state and nonce every time', async () => {
    const network = tenant();
    const a = await begin(network);
    const b = await begin(network);
    expect(a.pending.codeVerifier).not.to.equal(b.pending.codeVerifier);
    expect(a.pending.state).not.to.equal(b.pending.state);
    expect(a.pending.nonce).not.to.equal(b.pending.nonce);
  });

  it('fetches discovery once per page session', async () => {
    const network = tenant();
    await begin(network);
    await begin(network);
    clearDiscoveryCache(); // memory gone, sessionStorage copy remains
    await begin(network);
    expect(network.seen.filter((r) => r.url.endsWith('openid-configuration'))).to.have.length(1);
  });

  it('reports discovery_failed when the metadata names another issuer', async () => {
    const network = fakeFetch({ [`${ISSUER}.well-known/openid-configuration`]: () => json({ ...metadata, issuer: 'https://evil.example/' }) });
    const error = await rejection(startLogin(config, { returnTo: '/' }, network));
    expect(error.code).to.equal('discovery_failed');
    expect(sessionStorage.length).to.equal(0);
  });

  it('reports network_error and timeout', async () => {
    expect((await rejection(startLogin(config, { returnTo: '/' }, fakeFetch({})))).code).to.equal('network_error');
    clearDiscoveryCache();
    const hanging = { fetch: ((_url: string, init: RequestInit) => new Promise((_, reject) => {
      init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
    })) as unknown as typeof fetch, timeoutMs: 50 };
    expect((await rejection(startLogin(config, { returnTo: '/' }, hanging))).code).to.equal('timeout');
  });
});

describe('completeLogin', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });

  it('exchanges the code with the verifier and returns validated tokens', async () => {
    const network = tenant(async (request) => tokenResponse(pendingLogin.nonce));
    const { pending } = await begin(network);
    const pendingLogin: PendingLogin = pending;
    const tokens = await completeLogin(config, pending, response({ code: 'the-code', state: pending.state, iss: ISSUER }), network);

    const exchange = network.seen.filter((r) => r.url === metadata.token_endpoint);
    expect(exchange).to.have.length(1);
    expect(Object.fromEntries(exchange[0]!.body!)).to.deep.equal({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'https://app.example.com/callback',
      code_verifier: pending.codeVerifier,
      client_id: CLIENT_ID,
    });
    expect(tokens.tokenType).to.equal('Bearer');
    expect(tokens.claims).to.include({ sub: 'auth0|unit-user', email: 'unit@example.com', nonce: pending.nonce });
    expect(tokens.expiresAt! - Date.now()).to.be.within(86_390_000, 86_400_000);
    expect(tokens.audience).to.equal(AUDIENCE);
    expect(tokens.refreshToken).to.equal('rt-1');
  });

  it('reports a missing expires_in as an unknown expiry, not NaN', async () => {
    let nonce = '';
    const network = tenant(() => tokenResponse(nonce, { expires_in: undefined }));
    const { pending } = await begin(network);
    nonce = pending.nonce;
    const tokens = await completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network);
    expect(tokens.expiresAt).to.equal(null);
  });

  const rejects = async (params: (p: PendingLogin) => Record<string, string>, token: Answer | undefined, code: string) => {
    const network = tenant(token);
    const { pending } = await begin(network);
    const error = await rejection(completeLogin(config, pending, response(params(pending)), network));
    expect(error.code).to.equal(code);
    return { error, network };
  };

  it('passes OAuth errors through, with the description as text', async () => {
    const { error, network } = await rejects((p) => ({ error: 'access_denied', error_description: '<img src=x onerror=alert(1)>', state: p.state, iss: ISSUER }), undefined, 'access_denied');
    expect(error.message).to.equal('access_denied: <img src=x onerror=alert(1)>');
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
  });

  it('maps unknown OAuth error values to authorization_failed', async () => {
    await rejects((p) => ({ error: 'weird<b>', state: p.state, iss: ISSUER }), undefined, 'authorization_failed');
  });

  it('rejects a response from another issuer (RFC 9207) before any token request', async () => {
    const { network } = await rejects((p) => ({ code: 'c', state: p.state, iss: 'https://evil.example/' }), () => json({}), 'iss_mismatch');
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
    await rejects((p) => ({ code: 'c', state: p.state }), () => json({}), 'iss_mismatch');
  });

  it('rejects a state that is not the pending login\'s', async () => {
    await rejects((p) => ({ code: 'c', state: `${p.state}1`, iss: ISSUER }), () => json({}), 'state_mismatch');
  });

  it('refuses an expired pending login without a network request', async () => {
    const network = tenant(() => json({}));
    const { pending } = await begin(network);
    const before = network.seen.length;
    const error = await rejection(completeLogin(config, { ...pending, expiresAt: Date.now() - 1 }, response({ code: 'c', state: pending.state, iss: ISSUER }), network));
    expect(error.code).to.equal('login_expired');
    expect(network.seen.length).to.equal(before);
  });

  it('refuses a pending login started for another issuer (mix-up, RFC 9700 §4.4)', async () => {
    const network = tenant(() => json({}));
    const { pending } = await begin(network);
    const error = await rejection(completeLogin(config, { ...pending, issuer: 'https://other.example/' }, response({ code: 'c', state: pending.state, iss: ISSUER }), network));
    expect(error.code).to.equal('iss_mismatch');
  });

  it('reports token endpoint errors as token_exchange_failed with the OAuth error', async () => {
    const { error } = await rejects((p) => ({ code: 'c', state: p.state, iss: ISSUER }),
      () => json({ error: 'invalid_grant', error_description: 'Invalid authorization code' }, 400), 'token_exchange_failed');
    expect(error.message).to.contain('invalid_grant').and.contain('Invalid authorization code');
    await rejects((p) => ({ code: 'c', state: p.state, iss: ISSUER }), () => new Response('<html>oops</html>', { status: 500 }), 'token_exchange_failed');
  });

  it('rejects ID tokens whose nonce, audience or issuer is wrong', async () => {
    for (const claims of [{ nonce: 'other' }, { aud: 'someone-else' }, { iss: 'https://evil.example/' }, { exp: Math.floor(Date.now() / 1000) - 600 }]) {
      let nonce = '';
      const network = tenant(() => tokenResponse(nonce, {}, claims));
      const { pending } = await begin(network);
      nonce = pending.nonce;
      const error = await rejection(completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network));
      expect(error.code, JSON.stringify(claims)).to.equal('id_token_invalid');
    }
  });

  const b64 = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

  /** Completes a login whose token response carries the ID token `make(nonce)` builds. */
  async function withIdToken(make: (nonce: string) => Promise<string> | string) {
    let nonce = '';
    const network = tenant(async () => json({ access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: await make(nonce) }));
    const { pending } = await begin(network);
    nonce = pending.nonce;
    return completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network);
  }

  it('fetches the signing keys at login, so the callback needs only the token request', async () => {
    const network = tenant(() => json({}));
    await begin(network);
    expect(network.seen.map((r) => r.url)).to.deep.equal([`${ISSUER}.well-known/openid-configuration`, metadata.jwks_uri]);
  });

  it('rejects ID tokens whose signature does not verify, or that are unsigned or HMAC-signed', async () => {
    const cases: Record<string, (nonce: string) => Promise<string>> = {
      'flipped signature bits': async (nonce) => {
        const token = await signJwt(idTokenClaims(nonce));
        const [h, p, sig] = token.split('.');
        return `${h}.${p}.${sig!.slice(0, 10)}${sig![10] === 'A' ? 'B' : 'A'}${sig!.slice(11)}`;
      },
      'payload changed after signing': async (nonce) => {
        const [h, , sig] = (await signJwt(idTokenClaims(nonce))).split('.');
        return `${h}.${b64(idTokenClaims(nonce, { sub: 'auth0|admin' }))}.${sig}`;
      },
      'alg none': async (nonce) => `${b64({ alg: 'none' })}.${b64(idTokenClaims(nonce))}.`,
      'HS256': async (nonce) => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(idTokenClaims(nonce))}.c2lnbmF0dXJl`,
      'crit header': async (nonce) => signJwt(idTokenClaims(nonce), { crit: ['exp'] }),
      'unknown kid': async (nonce) => signJwt(idTokenClaims(nonce), { kid: 'not-a-key' }),
    };
    for (const [name, make] of Object.entries(cases)) {
      clearDiscoveryCache();
      const error = await rejection(withIdToken(make));
      expect(error.code, name).to.equal('id_token_invalid');
    }
  });

  it('fetches the JWKS again when the key is not in the cached set (key rotation)', async () => {
    const network = tenant(async () => json({ access_token: 'at', token_type: 'Bearer', id_token: await signJwt(idTokenClaims(nonce)) }));
    let nonce = '';
    const { pending } = await begin(network);
    nonce = pending.nonce;
    // The cached set, fetched two minutes ago, holds another key only (oauth4webapi refetches
    // for an unknown key once its cache is a minute old).
    const stale = await jwks();
    const uat = Math.floor(Date.now() / 1000) - 120;
    sessionStorage.setItem(`closo-login:jwks:${ISSUER}`, JSON.stringify({ at: Date.now(), value: { uat, jwks: { keys: [{ ...stale.keys[0], kid: 'old', n: stale.keys[0]!.n!.replace(/^./, 'x') }] } } }));
    const tokens = await completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network);
    expect(tokens.claims.sub).to.equal('auth0|unit-user');
    expect(network.seen.filter((r) => r.url === metadata.jwks_uri)).to.have.length(2);
  });

  it('rejects ID tokens issued in the future or long before the login', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await rejection(withIdToken((nonce) => signJwt(idTokenClaims(nonce, { iat: now + 3600 }))))).code).to.equal('id_token_invalid');
    expect((await rejection(withIdToken((nonce) => signJwt(idTokenClaims(nonce, { iat: now - 86400 }))))).code).to.equal('id_token_invalid');
  });

  it('refuses a response with two codes, or none, without sending anything', async () => {
    const network = tenant(() => json({}));
    const { pending } = await begin(network);
    for (const url of [
      new URL(`https://app.example.com/callback?code=a&code=b&state=${pending.state}&iss=${encodeURIComponent(ISSUER)}`),
      new URL(`https://app.example.com/callback?access_token=at&state=${pending.state}&iss=${encodeURIComponent(ISSUER)}`),
      response({ state: pending.state, iss: ISSUER }),
    ]) {
      const error = await rejection(completeLogin(config, pending, url, network));
      expect(error.code, url.search).to.equal('authorization_failed');
    }
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
  });

  it('refuses a DPoP-bound token when DPoP is off, and caps an absurd lifetime', async () => {
    let nonce = '';
    let answer: Record<string, unknown> = {};
    const network = tenant(async () => json({ access_token: 'at', id_token: await signJwt(idTokenClaims(nonce)), ...answer }));
    answer = { token_type: 'DPoP', expires_in: 60 };
    let { pending } = await begin(network);
    nonce = pending.nonce;
    expect((await rejection(completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network))).code).to.equal('token_exchange_failed');
    answer = { token_type: 'Bearer', expires_in: 1e308 };
    ({ pending } = await begin(network));
    nonce = pending.nonce;
    const tokens = await completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network);
    expect(Number.isFinite(tokens.expiresAt)).to.equal(true);
    expect(JSON.parse(JSON.stringify(tokens)).expiresAt).to.equal(tokens.expiresAt);
  });

  it('refuses an implausibly long code without sending it', async () => {
    const network = tenant(() => json({}));
    const { pending } = await begin(network);
    const error = await rejection(completeLogin(config, pending, response({ code: 'c'.repeat(5000), state: pending.state, iss: ISSUER }), network));
    expect(error.code).to.equal('authorization_failed');
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
  });
});
