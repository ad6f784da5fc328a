import { expect } from '@esm-bundle/chai';
import { resolveConfig } from '../../../src/core/config.js';
import { completeLogin } from '../../../src/core/session/callback.js';
import { takePendingLogin } from '../../../src/core/session/pending-login.js';
import { startLogin } from '../../../src/core/session/redirect-login.js';
import { AuthError } from '../../../src/core/errors.js';
import { assertAudience } from '../../../src/core/session/token-answer.js';
import type { PendingLogin } from '../../../src/core/session/pending-login.js';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { rejection } from '../../support/assertions.js';
import {
  AUDIENCE, CLIENT_ID, ISSUER, clearClosoStorage, fakeFetch, idTokenClaims, json, jwks, metadata, signJwt, tokenResponse, type Answer,
} from '../../support/responses.js';
import { begin, config, loginFailsWith, page, response, tenant } from '../../support/tenant.js';

// The checks on a code exchange's answer, reached as the callback reaches them (completeLogin).
// Refresh answers: refresh.test.ts.
describe('token answers: code exchange', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });

  const b64 = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

  /** Completes a login whose token response carries the ID token `make(nonce)` builds. */
  async function withIdToken(make: (nonce: string) => Promise<string> | string) {
    let nonce = '';
    const network = tenant(async () => json({ access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: await make(nonce) }));
    const { pending } = await begin(network);
    nonce = pending.nonce;
    return completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network);
  }

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

  it('reports token endpoint errors as token_exchange_failed with the OAuth error', async () => {
    const { error } = await loginFailsWith((p) => ({ code: 'c', state: p.state, iss: ISSUER }),
      () => json({ error: 'invalid_grant', error_description: 'Invalid authorization code' }, 400), 'token_exchange_failed');
    expect(error.message).to.contain('invalid_grant').and.contain('Invalid authorization code');
    await loginFailsWith((p) => ({ code: 'c', state: p.state, iss: ISSUER }), () => new Response('<html>oops</html>', { status: 500 }), 'token_exchange_failed');
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

  it('compares iss exactly with the discovered issuer, though discovery took the configured issuer spelled without its slash', async () => {
    // The page wrote the Auth0 issuer without its trailing slash; the metadata, and so the issuer, has it.
    const written = resolveConfig({ issuer: ISSUER.slice(0, -1), clientId: CLIENT_ID, audience: AUDIENCE, redirectUri: 'https://app.example.com/callback' }, page);
    const complete = async (idTokenIss: string, responseIss: string) => {
      clearClosoStorage();
      clearDiscoveryCache();
      let nonce = '';
      const network = fakeFetch({
        [`${written.issuer}/.well-known/openid-configuration`]: () => json(metadata),
        [metadata.token_endpoint]: () => tokenResponse(nonce, {}, { iss: idTokenIss }),
      });
      const url = await startLogin(written, { returnTo: '/' }, network);
      const pending = takePendingLogin(CLIENT_ID, url.searchParams.get('state')!)!;
      nonce = pending.nonce;
      return completeLogin(written, pending, response({ code: 'c', state: pending.state, iss: responseIss }), network);
    };
    expect((await complete(ISSUER, ISSUER)).claims.iss).to.equal(ISSUER);
    // The configured spelling is not the issuer's: neither the ID token nor the response may use it.
    expect((await rejection(complete(written.issuer, ISSUER))).code).to.equal('id_token_invalid');
    expect((await rejection(complete(ISSUER, written.issuer))).code).to.equal('iss_mismatch');
  });

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

  it('tells a body that is not JSON (token_exchange_failed) from an ID token that is not (id_token_invalid)', async () => {
    const truncated = await rejection(withAnswer(() => new Response('{"access_token":"abc","tok', { headers: { 'content-type': 'application/json' } })));
    expect(truncated.code).to.equal('token_exchange_failed');
    expect(truncated.message).to.contain('not JSON');
    const b64url = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const garbledHeader = await rejection(withAnswer(() => json({ access_token: 'at', token_type: 'Bearer', id_token: `${b64url('{"alg":')}.${b64url('{}')}.c2ln` })));
    expect(garbledHeader.code).to.equal('id_token_invalid');
  });

  /** Completes a login whose token endpoint answers `answer`. */
  async function withAnswer(answer: Answer) {
    const network = tenant(answer);
    const { pending } = await begin(network);
    return completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network);
  }

  it('takes a JWT access token\'s exp when the answer has no expires_in, and refuses one already expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    let nonce = '';
    let exp = now + 120;
    const network = tenant(async () => json({ access_token: await signJwt({ sub: 'u', exp }), token_type: 'Bearer', id_token: await signJwt(idTokenClaims(nonce)) }));
    let { pending } = await begin(network);
    nonce = pending.nonce;
    const tokens = await completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network);
    expect(tokens.expiresAt! - Date.now()).to.be.within(115_000, 121_000);
    exp = now - 10;
    ({ pending } = await begin(network));
    nonce = pending.nonce;
    const error = await rejection(completeLogin(config, pending, response({ code: 'c', state: pending.state, iss: ISSUER }), network));
    expect(error.code).to.equal('token_exchange_failed');
    expect(error.message).to.contain('already expired');
  });

  /** Completes a login started with `pendingFields` merged into its pending login, whose ID token has `claims`. */
  async function loginWith(pendingFields: Record<string, unknown>, claims: Record<string, unknown>) {
    let nonce = '';
    const network = tenant(async () => json({ access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: await signJwt(idTokenClaims(nonce, claims)) }));
    const { pending } = await begin(network);
    nonce = pending.nonce;
    return completeLogin(config, { ...pending, ...pendingFields } as PendingLogin, response({ code: 'c', state: pending.state, iss: ISSUER }), network);
  }

  it('keeps an Auth0 Organization login to its organization: org_id for an id, org_name (lower case) for a name', async () => {
    const byId = await loginWith({ organization: 'org_abc123' }, { org_id: 'org_abc123', org_name: 'acme' });
    expect(byId.organization).to.equal('org_abc123');
    expect(byId.claims).to.include({ org_id: 'org_abc123' });
    expect((await loginWith({ organization: 'Acme' }, { org_id: 'org_abc123', org_name: 'acme' })).organization).to.equal('Acme');
    for (const [organization, claims] of [['org_abc123', { org_id: 'org_other' }], ['org_abc123', {}], ['Acme', { org_id: 'org_abc123' }], ['Acme', { org_name: 'globex' }]] as const) {
      const error = await rejection(loginWith({ organization }, claims));
      expect(error.code, `${organization} ${JSON.stringify(claims)}`).to.equal('id_token_invalid');
      expect(error.message).to.match(/organization .* its org_(id|name)/);
    }
  });

  it('enforces step-up: acr among the acr_values asked for, and a recent enough auth_time with max_age', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await loginWith({ acrValues: 'urn:loa:mfa urn:loa:hw' }, { acr: 'urn:loa:mfa' })).claims['acr']).to.equal('urn:loa:mfa');
    expect((await rejection(loginWith({ acrValues: 'urn:loa:mfa' }, { acr: 'urn:loa:pwd' }))).message).to.contain('acr');
    expect((await rejection(loginWith({ acrValues: 'urn:loa:mfa' }, {}))).code).to.equal('id_token_invalid');
    expect((await loginWith({ maxAge: 300 }, { auth_time: now - 10 })).claims['auth_time']).to.equal(now - 10);
    expect((await rejection(loginWith({ maxAge: 300 }, { auth_time: now - 3600 }))).code, 'stale auth_time').to.equal('id_token_invalid');
    expect((await rejection(loginWith({ maxAge: 300 }, {}))).code, 'auth_time missing').to.equal('id_token_invalid');
  });
});

describe('assertAudience', () => {
  const jwt = (payload: Record<string, unknown>) => `e30.${btoa(JSON.stringify(payload)).replace(/=+$/, '')}.sig`;

  it('accepts a token for the API asked for, in a string or a list, and an opaque token (its API checks it)', () => {
    expect(() => assertAudience(jwt({ aud: 'https://api2.example' }), 'https://api2.example')).not.to.throw();
    expect(() => assertAudience(jwt({ aud: ['https://api2.example', 'https://t/userinfo'] }), 'https://api2.example')).not.to.throw();
    expect(() => assertAudience('opaque-token', 'https://api2.example')).not.to.throw();
  });

  it('refuses a token for another API with audience_mismatch (Auth0\'s silent fallback to the default audience)', () => {
    expect(() => assertAudience(jwt({ aud: ['https://api.example', 'https://t/userinfo'] }), 'https://api2.example')).to.throw(AuthError).with.property('code', 'audience_mismatch');
  });
});
