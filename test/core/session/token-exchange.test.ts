import { expect } from '@esm-bundle/chai';
import { DPoP } from 'oauth4webapi';
import { resolveConfig } from '../../../src/core/config.js';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { exchangeLogin, exchangeToken, subjectOf } from '../../../src/core/session/token-exchange.js';
import { rejection, throwsFor } from '../../support/assertions.js';
import { AUDIENCE, CLIENT_ID, ISSUER, clearClosoStorage, idTokenClaims, json, metadata, signJwt, type SeenRequest } from '../../support/responses.js';
import { config, tenant } from '../../support/tenant.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TYPE = 'urn:acme:legacy-token';
const subject = { token: 'legacy-jwt', type: TYPE };

/** An answer to a token exchange: a JWT access token for `aud`, and an ID token with `claims` unless `idToken` is false. */
async function exchanged({ aud = AUDIENCE, claims = {}, idToken = true, ...fields }: { aud?: string; claims?: Record<string, unknown>; idToken?: boolean } & Record<string, unknown> = {}) {
  const { nonce: _, ...withoutNonce } = idTokenClaims('', claims);
  return json({
    access_token: await signJwt({ iss: ISSUER, aud: [aud], sub: 'auth0|unit-user' }),
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    token_type: 'Bearer',
    expires_in: 600,
    scope: 'openid profile email offline_access',
    ...(idToken ? { id_token: await signJwt({ ...withoutNonce, ...claims }) } : {}),
    ...fields,
  });
}

const tokenRequest = (seen: SeenRequest[]) => seen.find((r) => r.url === metadata.token_endpoint)!;

describe('subjectOf', () => {
  it('is null for a login at the provider\'s page, and the token and its type for a token exchange', () => {
    expect(subjectOf({})).to.equal(null);
    expect(subjectOf({ appState: 1, organization: 'org_1' })).to.equal(null);
    expect(subjectOf({ subjectToken: 't', subjectTokenType: TYPE, appState: 1, organization: 'org_1' })).to.deep.equal({ token: 't', type: TYPE });
  });

  it('refuses a missing or empty token, a type that is no URI, and options of a login at the provider\'s page, with config_invalid', () => {
    const calls = [
      { subjectToken: 't' },
      { subjectTokenType: TYPE },
      { subjectToken: ' ', subjectTokenType: TYPE },
      { subjectToken: 't', subjectTokenType: 'legacy token' },
      { subjectToken: 't', subjectTokenType: TYPE, popup: true },
      { subjectToken: 't', subjectTokenType: TYPE, returnTo: '/' },
      { subjectToken: 't', subjectTokenType: TYPE, authorizationParams: { prompt: 'login' } },
    ];
    throwsFor(subjectOf, calls, 'config_invalid');
  });
});

describe('exchangeLogin', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });

  it('sends the token exchange grant with the session\'s audience and scope and the organization, and makes a session of the answer', async () => {
    const network = tenant(() => exchanged({ claims: { org_id: 'org_1' }, refresh_token: 'rt-x' }));
    const tokens = await exchangeLogin(config, subject, 'org_1', network);
    expect(Object.fromEntries(tokenRequest(network.seen).body!)).to.deep.equal({
      grant_type: GRANT, subject_token: 'legacy-jwt', subject_token_type: TYPE, scope: config.scope, audience: AUDIENCE, organization: 'org_1', client_id: CLIENT_ID,
    });
    expect(tokens.claims.sub).to.equal('auth0|unit-user');
    expect([tokens.audience, tokens.scope, tokens.refreshToken, tokens.organization]).to.deep.equal([AUDIENCE, 'openid profile email offline_access', 'rt-x', 'org_1']);
    expect(tokens.expiresAt! - Date.now()).to.be.within(599_000, 600_000);
  });

  it('needs an ID token: without one, token_exchange_failed', async () => {
    const error = await rejection(exchangeLogin(config, subject, null, tenant(() => exchanged({ idToken: false }))));
    expect(error.code).to.equal('token_exchange_failed');
    expect(error.message).to.contain('ID token');
  });

  it('checks the ID token as at login: signature, audience, azp, iat, the organization', async () => {
    const forged = async () => {
      const answer = await (await exchanged()).json() as Record<string, string>;
      const [header, payload] = answer['id_token']!.split('.');
      return json({ ...answer, id_token: `${header}.${payload}.${'A'.repeat(342)}` });
    };
    const cases: Array<[string, () => Promise<Response>, string | null]> = [
      ['a bad signature', forged, null],
      ['another client', () => exchanged({ claims: { aud: 'someone-else' } }), null],
      ['azp of another client', () => exchanged({ claims: { azp: 'someone-else' } }), null],
      ['issued in the future', () => exchanged({ claims: { iat: Math.floor(Date.now() / 1000) + 3600 } }), null],
      ['another organization', () => exchanged({ claims: { org_id: 'org_2' } }), 'org_1'],
    ];
    for (const [what, answer, organization] of cases) {
      clearDiscoveryCache();
      clearClosoStorage();
      const error = await rejection(exchangeLogin(config, subject, organization, tenant(answer)));
      expect(error.code, what).to.equal('id_token_invalid');
    }
  });

  it('reports the provider\'s refusal as token_exchange_failed, with its error', async () => {
    const error = await rejection(exchangeLogin(config, subject, null, tenant(() => json({ error: 'invalid_grant', error_description: 'subject_token rejected' }, 400))));
    expect(error.code).to.equal('token_exchange_failed');
    expect(error.message).to.contain('invalid_grant: subject_token rejected');
  });
});

describe('exchangeToken', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });
  const options = { subjectToken: 'user-jwt', subjectTokenType: TYPE };

  it('sends the actor, audience, scope without offline_access and the requested type; resolves with the access token only', async () => {
    const network = tenant(() => exchanged({ aud: 'https://reports.example.com', idToken: false }));
    const dropped: string[] = [];
    const token = await exchangeToken(config, {
      ...options, actorToken: 'agent-jwt', actorTokenType: TYPE, audience: 'https://reports.example.com', scope: 'offline_access read:reports',
      requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    }, network, (rt) => dropped.push(rt));
    expect(Object.fromEntries(tokenRequest(network.seen).body!)).to.deep.equal({
      grant_type: GRANT, subject_token: 'user-jwt', subject_token_type: TYPE, actor_token: 'agent-jwt', actor_token_type: TYPE,
      audience: 'https://reports.example.com', scope: 'read:reports', requested_token_type: 'urn:ietf:params:oauth:token-type:access_token', client_id: CLIENT_ID,
    });
    expect(Object.keys(token).sort()).to.deep.equal(['accessToken', 'expiresAt', 'issuedTokenType', 'scope', 'tokenType']);
    expect([token.tokenType, token.issuedTokenType, token.scope]).to.deep.equal(['Bearer', 'urn:ietf:params:oauth:token-type:access_token', 'openid profile email offline_access']);
    expect(dropped).to.deep.equal([]);
  });

  it('defaults to the element\'s audience and organization', async () => {
    const withOrganization = resolveConfig({ issuer: ISSUER, clientId: CLIENT_ID, audience: AUDIENCE, organization: 'org_1', redirectUri: config.redirectUri }, { origin: 'https://app.example.com', pathname: '/' });
    const network = tenant(() => exchanged({ idToken: false }));
    await exchangeToken(withOrganization, options, network, () => {});
    const body = tokenRequest(network.seen).body!;
    expect([body.get('audience'), body.get('organization'), body.get('scope')]).to.deep.equal([AUDIENCE, 'org_1', null]);
  });

  it('hands a refresh token that came anyway to `drop`, never to the caller', async () => {
    const dropped: string[] = [];
    const token = await exchangeToken(config, options, tenant(() => exchanged({ idToken: false, refresh_token: 'closo-rt.handle' })), (rt) => dropped.push(rt));
    expect(dropped).to.deep.equal(['closo-rt.handle']);
    expect(JSON.stringify(token)).not.to.contain('closo-rt');
  });

  it('sends no DPoP proof, even when the session has a key, and refuses a DPoP-bound answer', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']) as CryptoKeyPair;
    const network = tenant(() => exchanged({ idToken: false, token_type: 'DPoP' }));
    const error = await rejection(exchangeToken(config, options, { ...network, dpop: DPoP({}, keys) }, () => {}));
    expect(tokenRequest(network.seen).headers.has('dpop'), 'no proof sent').to.equal(false);
    expect(error.code).to.equal('token_exchange_failed');
  });

  it('refuses a JWT for another API than asked with audience_mismatch', async () => {
    const error = await rejection(exchangeToken(config, { ...options, audience: 'https://reports.example.com' }, tenant(() => exchanged({ idToken: false })), () => {}));
    expect(error.code).to.equal('audience_mismatch');
  });

  it('refuses bad options with config_invalid before any request', async () => {
    const network = tenant(() => exchanged());
    for (const bad of [{}, { subjectToken: 'x' }, { ...options, actorToken: 'agent-jwt' }, { ...options, actorTokenType: TYPE }, { ...options, subjectTokenType: 'nope' }]) {
      expect((await rejection(exchangeToken(config, bad as typeof options, network, () => {}))).code, JSON.stringify(bad)).to.equal('config_invalid');
    }
    expect(network.seen).to.deep.equal([]);
  });
});
