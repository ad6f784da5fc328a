import { expect } from '@esm-bundle/chai';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { resolveConfig, type LoginOptions } from '../../../src/core/config.js';
import { logoutUrl, revokeRefreshToken } from '../../../src/core/session/logout.js';
import { ISSUER, clearClosoStorage, fakeFetch, json, metadata } from '../../support/responses.js';

const page = { origin: 'https://app.example.com', pathname: '/' };
const config = (options: LoginOptions = {}) => resolveConfig({ issuer: ISSUER, clientId: 'c1', ...options }, page);
const tenant = (extra: Record<string, unknown>, revoke?: () => Response) => fakeFetch({
  [`${ISSUER}.well-known/openid-configuration`]: () => json({ ...metadata, ...extra }),
  ...(revoke ? { [`${ISSUER}oauth/revoke`]: revoke } : {}),
});

describe('logoutUrl', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });

  it('uses the advertised end_session_endpoint (OpenID Connect RP-initiated logout)', async () => {
    const url = await logoutUrl(config({ logoutUri: 'https://app.example.com/bye' }), 'the-id-token', tenant({ end_session_endpoint: `${ISSUER}oidc/logout` }));
    expect(url!.origin + url!.pathname).to.equal(`${ISSUER}oidc/logout`);
    const { state, ...params } = Object.fromEntries(url!.searchParams);
    expect(params).to.deep.equal({ id_token_hint: 'the-id-token', client_id: 'c1', post_logout_redirect_uri: 'https://app.example.com/bye' });
    // A fresh state each time, kept in this tab for the return (logout-return.ts).
    expect(state).to.match(/^[\w-]{43}$/);
    expect(sessionStorage.getItem('closo-login:c1:logout-state')).to.equal(state);
  });

  it('falls back to Auth0\'s /v2/logout for an Auth0 tenant that advertises none', async () => {
    const domainConfig = resolveConfig({ domain: 'tenant.example.com', clientId: 'c1' }, page);
    const url = await logoutUrl(domainConfig, 'x', tenant({}));
    expect(url!.href).to.equal('https://tenant.example.com/v2/logout?client_id=c1&returnTo=https%3A%2F%2Fapp.example.com%2F');
  });

  it('recognises an Auth0 tenant behind a custom domain given as issuer= from its metadata (Auth0\'s MFA API)', async () => {
    const url = await logoutUrl(config(), 'x', tenant({ mfa_challenge_endpoint: `${ISSUER}mfa/challenge` }));
    expect(url!.href).to.equal(`${ISSUER}v2/logout?client_id=c1&returnTo=https%3A%2F%2Fapp.example.com%2F`);
  });

  it('gives no URL for another provider without end_session_endpoint, or an unreachable one', async () => {
    expect(await logoutUrl(config(), 'x', tenant({}))).to.equal(null);
    clearDiscoveryCache();
    expect(await logoutUrl(config(), 'x', fakeFetch({}))).to.equal(null);
  });
});

describe('revokeRefreshToken', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });

  it('revokes at the advertised endpoint with the refresh_token hint', async () => {
    const network = tenant({ revocation_endpoint: `${ISSUER}oauth/revoke` }, () => new Response(null, { status: 200 }));
    expect(await revokeRefreshToken(config(), 'rt-9', network)).to.equal(true);
    const request = network.seen.find((r) => r.url === `${ISSUER}oauth/revoke`)!;
    expect(Object.fromEntries(request.body!)).to.deep.equal({ token: 'rt-9', token_type_hint: 'refresh_token', client_id: 'c1' });
  });

  it('says once per page on the console that the provider refused revocation (a 401 to a public client)', async () => {
    const warn = console.warn;
    const said: string[] = [];
    console.warn = (...args: unknown[]) => { said.push(args.join(' ')); };
    try {
      for (let i = 0; i < 2; i++) {
        clearDiscoveryCache();
        const refused = tenant({ revocation_endpoint: `${ISSUER}oauth/revoke` }, () => json({ error: 'invalid_client' }, 401));
        expect(await revokeRefreshToken(config(), `rt-${i}`, refused)).to.equal(false);
      }
    } finally {
      console.warn = warn;
    }
    expect(said).to.deep.equal([`closo-login: ${ISSUER} refused to revoke the refresh token (HTTP 401); it stays valid at the provider until it expires. See docs/providers.md.`]);
  });

  it('never throws: no endpoint, a failing endpoint, no network', async () => {
    expect(await revokeRefreshToken(config(), 'rt', tenant({}))).to.equal(false);
    clearDiscoveryCache();
    expect(await revokeRefreshToken(config(), 'rt', tenant({ revocation_endpoint: `${ISSUER}oauth/revoke` }, () => new Response('x', { status: 500 })))).to.equal(false);
    clearDiscoveryCache();
    expect(await revokeRefreshToken(config(), 'rt', fakeFetch({}))).to.equal(false);
  });
});
