import { expect } from '@esm-bundle/chai';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { resolveConfig } from '../../../src/core/config.js';
import { refreshTokens } from '../../../src/core/session/refresh.js';
import { CLIENT_ID, ISSUER, clearClosoStorage, fakeFetch, idTokenClaims, json, metadata, signJwt, type Answer } from '../../support/responses.js';
import { rejection } from '../../support/assertions.js';
import type { IdTokenClaims, TokenSet } from '../../../src/core/session-contract.js';

const config = resolveConfig({ issuer: ISSUER, clientId: CLIENT_ID }, { origin: 'https://app.example.com', pathname: '/' });

const current: TokenSet = {
  accessToken: 'old-at',
  tokenType: 'Bearer',
  expiresAt: Date.now() - 1,
  scope: 'openid offline_access',
  audience: null,
  idToken: 'old-id-token',
  claims: idTokenClaims('n-1') as unknown as IdTokenClaims,
  refreshToken: 'rt-1',
};

const tenant = (token: Answer) => fakeFetch({
  [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata),
  [metadata.token_endpoint]: token,
});

describe('refreshTokens', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });

  it('sends the refresh_token grant and takes the rotated refresh token', async () => {
    const network = tenant(() => json({ access_token: 'new-at', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt-2' }));
    const renewed = await refreshTokens(config, current, network);
    const request = network.seen.find((r) => r.url === metadata.token_endpoint)!;
    expect(Object.fromEntries(request.body!)).to.deep.equal({ grant_type: 'refresh_token', refresh_token: 'rt-1', client_id: CLIENT_ID });
    expect(renewed.accessToken).to.equal('new-at');
    expect(renewed.refreshToken).to.equal('rt-2');
    expect(renewed.expiresAt! - Date.now()).to.be.within(59_000, 60_000);
    // No new ID token: the old one and its claims stay.
    expect(renewed.idToken).to.equal('old-id-token');
    expect(renewed.claims).to.equal(current.claims);
  });

  it('keeps the old refresh token when the answer carries none', async () => {
    const renewed = await refreshTokens(config, current, tenant(() => json({ access_token: 'new-at', token_type: 'bearer', expires_in: 60 })));
    expect(renewed.refreshToken).to.equal('rt-1');
  });

  it('accepts a new ID token for the same issuer and subject', async () => {
    const idToken = await signJwt(idTokenClaims('n-1', { name: 'Renamed' }));
    const renewed = await refreshTokens(config, current, tenant(() => json({ access_token: 'a', token_type: 'Bearer', id_token: idToken })));
    expect(renewed.idToken).to.equal(idToken);
    expect(renewed.claims.name).to.equal('Renamed');
  });

  it('refuses a new ID token for another subject (OpenID Connect Core §12.2)', async () => {
    const idToken = await signJwt(idTokenClaims('n-1', { sub: 'auth0|someone-else' }));
    const error = await rejection(refreshTokens(config, current, tenant(() => json({ access_token: 'a', token_type: 'Bearer', id_token: idToken }))));
    expect(error.code).to.equal('id_token_invalid');
  });

  it('refuses a new ID token from another issuer', async () => {
    const idToken = await signJwt(idTokenClaims('n-1', { iss: 'https://evil.example/' }));
    const error = await rejection(refreshTokens(config, current, tenant(() => json({ access_token: 'a', token_type: 'Bearer', id_token: idToken }))));
    expect(error.code).to.equal('id_token_invalid');
  });

  it('refuses a new ID token issued to another client (azp, OpenID Connect Core §3.1.3.7), whose aud still names this one', async () => {
    const answer = async (azp: string) => json({ access_token: 'a', token_type: 'Bearer', id_token: await signJwt(idTokenClaims('n-1', { azp })) });
    const error = await rejection(refreshTokens(config, current, tenant(() => answer('another-client'))));
    expect([error.code, error.message]).to.deep.equal(['id_token_invalid', 'The ID token was rejected: it was issued to another client (azp).']);
    clearDiscoveryCache();
    expect((await refreshTokens(config, current, tenant(() => answer(CLIENT_ID)))).claims.azp).to.equal(CLIENT_ID);
  });

  it('keeps an Auth0 Organization session to its organization: a new ID token for another one is refused', async () => {
    const inOrganization: TokenSet = { ...current, organization: 'org_acme' };
    const answer = async (org: Record<string, unknown>) => json({ access_token: 'a', token_type: 'Bearer', id_token: await signJwt(idTokenClaims('n-1', org)) });
    for (const org of [{ org_id: 'org_other' }, {}]) {
      clearDiscoveryCache();
      const error = await rejection(refreshTokens(config, inOrganization, tenant(() => answer(org))));
      expect(error.code, JSON.stringify(org)).to.equal('id_token_invalid');
      expect(error.message).to.contain('not for the organization "org_acme"');
    }
    clearDiscoveryCache();
    const renewed = await refreshTokens(config, inOrganization, tenant(() => answer({ org_id: 'org_acme' })));
    expect([renewed.claims['org_id'], renewed.organization]).to.deep.equal(['org_acme', 'org_acme']);
  });

  it('turns invalid_grant (expired, revoked, reused) into login_required', async () => {
    const error = await rejection(refreshTokens(config, current, tenant(() => json({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' }, 400))));
    expect(error.code).to.equal('login_required');
    expect(error.message).to.contain('invalid_grant');
  });

  it('reports failures before an answer, or OAuth errors, as retryable: refresh_failed, network_error', async () => {
    expect((await rejection(refreshTokens(config, current, tenant(() => json({ error: 'server_error' }, 500))))).code).to.equal('refresh_failed');
    expect((await rejection(refreshTokens(config, current, tenant(() => { throw new TypeError('Failed to fetch'); })))).code).to.equal('network_error');
  });

  it('ends the session when a 200 answer is refused: the old refresh token may already be spent', async () => {
    for (const answer of [() => json(null), () => json({ access_token: 'a', token_type: 'Bearer', expires_in: 0, refresh_token: 'rt-2' })]) {
      clearDiscoveryCache();
      const error = await rejection(refreshTokens(config, current, tenant(answer)));
      expect(error.code).to.equal('login_required');
      expect(error.message).to.contain('spent');
    }
  });

  it('never puts token responses into the error it reports', async () => {
    const error = await rejection(refreshTokens(config, current, tenant(() => json({ access_token: 'secret-at', token_type: 'mac', refresh_token: 'secret-rt' }))));
    const seen = JSON.stringify(error, Object.getOwnPropertyNames(error)) + JSON.stringify(error.cause, Object.getOwnPropertyNames(error.cause ?? {}))
      + JSON.stringify((error.cause as Error | undefined)?.cause ?? null);
    expect(seen).not.to.contain('secret-rt');
    expect(seen).not.to.contain('secret-at');
  });

  it('needs a refresh token', async () => {
    expect((await rejection(refreshTokens(config, { ...current, refreshToken: null }, tenant(() => json({}))))).code).to.equal('login_required');
  });
});
