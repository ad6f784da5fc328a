import { expect } from '@esm-bundle/chai';
import type { LoginConfig } from '../../../src/core/config.js';
import type { AuthError } from '../../../src/core/errors.js';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { Renewal, type RenewalHost } from '../../../src/core/session/renewal.js';
import { rejection, until } from '../../support/assertions.js';
import { ISSUER, clearClosoStorage, fakeFetch, idTokenClaims, json, metadata, type Answer } from '../../support/responses.js';
import { ISSUER as SILENT_ISSUER, answer, authorizationFrame, configWith, provider, responseUrl } from '../../support/silent-provider.js';
import { config } from '../../support/tenant.js';
import type { IdTokenClaims, StoredSession } from '../../../src/core/session-contract.js';

const session = (overrides: Partial<StoredSession> = {}): StoredSession => ({
  accessToken: 'at-0', tokenType: 'Bearer', expiresAt: Date.now() + 60_000, scope: 'openid offline_access', audience: null,
  idToken: 'id-0', claims: idTokenClaims('n') as unknown as IdTokenClaims, refreshToken: 'rt-0', organization: null,
  sessionId: `s-${Math.random()}`, generation: 0, ...overrides,
});

/** A host that records what renewal does to the session; `on` another provider than the tenant's (a silent sign-in's). */
function host(start: StoredSession, token: Answer, on?: { config: LoginConfig; network: ReturnType<typeof fakeFetch> }) {
  let current: StoredSession | null = start;
  const log: string[] = [];
  const network = on?.network ?? fakeFetch({ [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata), [metadata.token_endpoint]: token });
  const value: RenewalHost = {
    config: on?.config ?? config,
    key: `renewal-test-${Math.random()}`,
    current: () => current,
    catchUp: () => {},
    adopt: (next, shared, announce = true) => { current = next; log.push(`adopt ${next.generation} shared=${shared} announce=${announce}`); },
    end: (everywhere) => { current = null; log.push(`end everywhere=${everywhere}`); },
    fail: (error: AuthError) => { log.push(`fail ${error.code}`); return error; },
    expiring: (expiresAt) => { log.push(`expiring ${expiresAt}`); },
    net: async () => network,
  };
  return { value, log, network, current: () => current };
}

describe('Renewal', () => {
  const renewals: Renewal[] = [];
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });
  afterEach(() => { for (const renewal of renewals.splice(0)) renewal.stop(); });
  const make = (h: ReturnType<typeof host>) => { const renewal = new Renewal(h.value); renewals.push(renewal); return renewal; };

  it('renews with the refresh token once for every caller, and the session takes the next generation with the rotated token', async () => {
    const h = host(session(), () => json({ access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-1' }));
    const renewal = make(h);
    const [a, b] = await Promise.all([renewal.renew(), renewal.renew()]);
    expect(a).to.equal(b);
    expect(a).to.include({ accessToken: 'at-1', refreshToken: 'rt-1', generation: 1 });
    expect(h.network.seen.filter((r) => r.url === metadata.token_endpoint)).to.have.length(1);
    expect(h.log).to.deep.equal(['adopt 1 shared=true announce=true']);
  });

  it('ends the session everywhere when the refresh token is refused (invalid_grant)', async () => {
    const h = host(session(), () => json({ error: 'invalid_grant' }, 400));
    expect((await rejection(make(h).renew())).code).to.equal('login_required');
    expect(h.log).to.deep.equal(['end everywhere=true', 'fail login_required']);
  });

  it('keeps the session when the provider asks for MFA first (mfa_required): the user must step up, a retry will not do', async () => {
    const h = host(session(), () => json({ error: 'mfa_required', error_description: 'Multifactor authentication required' }, 403));
    expect((await rejection(make(h).renew())).code).to.equal('mfa_required');
    expect(h.log).to.deep.equal(['fail mfa_required']);
    expect(h.current()?.refreshToken).to.equal('rt-0');
  });

  it('exchanges the refresh token for another API: the extra parameters are sent, the session merged without telling the elements', async () => {
    const h = host(session(), () => json({ access_token: 'api2-at', token_type: 'Bearer', expires_in: 600, refresh_token: 'rt-1' }));
    const { session: after, answer } = await make(h).exchange({ audience: 'https://api2.example' }, (started, received) => ({ tokens: { ...started, refreshToken: received.refreshToken } }));
    const request = h.network.seen.find((r) => r.url === metadata.token_endpoint)!;
    expect(request.body!.get('audience')).to.equal('https://api2.example');
    expect(request.body!.get('refresh_token')).to.equal('rt-0');
    expect(answer?.accessToken).to.equal('api2-at');
    expect(after).to.include({ accessToken: 'at-0', refreshToken: 'rt-1', generation: 1 });
    expect(h.log).to.deep.equal(['adopt 1 shared=true announce=false']);
  });

  it('renews a session without a refresh token by silent sign-in, and only for the same user (OpenID Connect Core §12.2)', async () => {
    const silently = async (claims: Record<string, unknown>) => {
      const tenant = provider(claims);
      const h = host(session({ refreshToken: null, claims: idTokenClaims('n', { iss: SILENT_ISSUER }) as unknown as IdTokenClaims }), () => json({}), { config: configWith({ silent: true, scope: 'openid profile email' }), network: tenant.network });
      const arrived = authorizationFrame();
      const renewed = make(h).renew();
      renewed.catch(() => {});
      const { frame, request } = await arrived;
      tenant.setNonce(request.searchParams.get('nonce')!);
      answer(frame, responseUrl({ code: 'good', state: request.searchParams.get('state')!, iss: SILENT_ISSUER }));
      return { h, renewed, tenant, request };
    };
    const same = await silently({});
    expect(same.request.searchParams.get('id_token_hint'), 'the session\'s ID token as the hint (OIDC Core §3.1.2.1)').to.equal('id-0');
    expect((await same.renewed).claims.sub).to.equal('auth0|unit-user');
    expect(same.h.log).to.deep.equal(['adopt 1 shared=false announce=true']);

    clearDiscoveryCache();
    const other = await silently({ sub: 'auth0|someone-else' });
    const error = await rejection(other.renewed);
    expect(error.code).to.equal('id_token_invalid');
    expect(error.message).to.contain('another issuer or user than the session');
    expect(other.tenant.tokenRequests(), 'the code was redeemed, its tokens refused').to.have.length(1);
    expect(other.h.log).to.deep.equal(['end everywhere=false', 'fail id_token_invalid']);
    expect(other.h.current()).to.equal(null);
  });

  it('past the session\'s ceiling (session_expiry), ends the session with no request and hands out no token', async () => {
    const claims = { ...idTokenClaims('n'), session_expiry: Math.floor(Date.now() / 1000) - 1 } as unknown as IdTokenClaims;
    for (const ask of [(renewal: Renewal) => renewal.renew(), (renewal: Renewal) => renewal.accessToken(30)]) {
      const h = host(session({ claims }), () => json({ access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-1' }));
      const error = await rejection(ask(make(h)));
      expect(error.code).to.equal('login_required');
      expect(error.message).to.contain('session_expiry');
      expect(h.network.seen, 'no request').to.have.length(0);
      expect(h.log).to.deep.equal(['end everywhere=false']);
      expect(make(h).canRenew(session({ claims }))).to.equal(false);
    }
  });

  it('ends the session when its ceiling comes, renewable or not', async () => {
    const ceiling = Date.now() / 1000 + 0.3;
    const claims = { ...idTokenClaims('n'), session_expiry: ceiling } as unknown as IdTokenClaims;
    const h = host(session({ claims, expiresAt: Date.now() + 3_600_000 }), () => json({}));
    make(h).adopted();
    await until(() => h.log.length >= 2, 'the session ended');
    expect(h.log, 'warned first (the ceiling is within renew-before), then ended').to.deep.equal([`expiring ${ceiling * 1000}`, 'end everywhere=false']);
    expect(h.network.seen).to.have.length(0);
  });

  it('warns renew-before seconds ahead when access ends with nothing to renew it: no refresh token, or the ceiling first', async () => {
    // The tenant's renew-before is 60 s: a token with 61 s left is warned about a second from now.
    const expiresAt = Date.now() + 61_000;
    const h = host(session({ refreshToken: null, expiresAt }), () => json({}));
    make(h).adopted();
    expect(h.log).to.deep.equal([]);
    await until(() => h.log.length > 0, 'the warning');
    expect(h.log).to.deep.equal([`expiring ${expiresAt}`]);

    // Renewable, but the session's ceiling comes first: warned about the ceiling.
    const ceiling = Math.floor(Date.now() / 1000) + 30;
    const capped = host(session({ expiresAt: Date.now() + 3_600_000, claims: { ...idTokenClaims('n'), session_expiry: ceiling } as unknown as IdTokenClaims }), () => json({}));
    make(capped).adopted();
    await until(() => capped.log.length > 0, 'the ceiling\'s warning');
    expect(capped.log).to.deep.equal([`expiring ${ceiling * 1000}`]);

    // Renewable, no ceiling: nothing to warn about.
    const renewable = host(session({ expiresAt: Date.now() + 30_000 }), () => json({}));
    make(renewable).adopted();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(renewable.log.filter((line) => line.startsWith('expiring'))).to.deep.equal([]);
  });

  it('does not renew what cannot be renewed: no refresh token and no silent sign-in', async () => {
    const h = host(session({ refreshToken: null }), () => json({}));
    expect((await rejection(make(h).renew())).code).to.equal('login_required');
    expect(h.network.seen).to.have.length(0);
  });

  it('says what is true when a token with time left cannot be made to last minValidity: valid for so long, not expired', async () => {
    const h = host(session({ refreshToken: null, expiresAt: Date.now() + 300_000 }), () => json({}));
    const error = await rejection(make(h).accessToken(600));
    expect(error.code).to.equal('login_required');
    expect(error.message).to.match(/^The access token is valid for (299|300) more s, less than the 600 s asked for, and nothing can renew it/);
    const expired = await rejection(make(host(session({ refreshToken: null, expiresAt: Date.now() - 1 }), () => json({}))).accessToken(30));
    expect(expired.message).to.equal('The access token expired, and nothing can renew it (no refresh token, no silent sign-in).');
  });

  it('ends the session when a silent renewal is answered interaction_required, as login_required (OIDC Core §3.1.2.6)', async () => {
    const tenant = provider();
    const h = host(session({ refreshToken: null, claims: idTokenClaims('n', { iss: SILENT_ISSUER }) as unknown as IdTokenClaims }), () => json({}), { config: configWith({ silent: true, scope: 'openid profile email' }), network: tenant.network });
    const arrived = authorizationFrame();
    const renewed = make(h).renew();
    renewed.catch(() => {});
    const { frame, request } = await arrived;
    answer(frame, responseUrl({ error: 'interaction_required', state: request.searchParams.get('state')!, iss: SILENT_ISSUER }));
    expect((await rejection(renewed)).code).to.equal('interaction_required');
    expect(h.log).to.deep.equal(['end everywhere=false', 'fail interaction_required']);
    expect(h.current()).to.equal(null);
  });
});
