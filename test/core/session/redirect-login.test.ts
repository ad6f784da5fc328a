import { expect } from '@esm-bundle/chai';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { MAX_APP_STATE_BYTES, checkAppState, loginRequest, navigate, sameOriginPath, startLogin } from '../../../src/core/session/redirect-login.js';
import { resolveConfig } from '../../../src/core/config.js';
import { AuthError } from '../../../src/core/errors.js';
import { rejection } from '../../support/assertions.js';
import { AUDIENCE, CLIENT_ID, ISSUER, clearClosoStorage, fakeFetch, json, metadata, sha256Base64url } from '../../support/responses.js';
import { begin, config, tenant } from '../../support/tenant.js';

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

describe('navigate', () => {
  // A navigation that leaves the page where it is, as a provider's 204, a download or a cancelled navigation
  // would: one to a fragment of this page. (A test runner's page that really navigated would lose its runner
  // in some browsers; the provider's 204 itself is tested end to end.)
  const staying = () => new URL(`${location.href.split('#')[0]}#no-content`);
  afterEach(() => history.replaceState(history.state, '', location.href.split('#')[0]));

  it('rejects with timeout when the page is still here after the timeout (the provider answered 204)', async () => {
    const started = Date.now();
    const error = await rejection(navigate(staying(), 200));
    expect(error.code).to.equal('timeout');
    expect(error.message).to.equal('The browser did not open the login page.');
    expect(Date.now() - started).to.be.within(150, 2000);
  });

  it('settles quietly when the page comes back from the back/forward cache: nothing happened', async () => {
    const left = navigate(staying(), 60_000);
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    expect(await left).to.equal(undefined);
  });

  it('ignores a pageshow that is not a return from the cache', async () => {
    const left = navigate(staying(), 300);
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false }));
    expect((await rejection(left)).code).to.equal('timeout');
  });
});

describe('checkAppState', () => {
  it('takes any JSON value, as JSON gives it back', () => {
    expect(checkAppState(undefined)).to.equal(undefined);
    expect(checkAppState({ route: '/orders/7', tab: 2, at: new Date(0) })).to.deep.equal({ route: '/orders/7', tab: 2, at: '1970-01-01T00:00:00.000Z' });
    expect(checkAppState('x'.repeat(MAX_APP_STATE_BYTES - 2))).to.have.length(MAX_APP_STATE_BYTES - 2);
  });

  it('refuses what JSON cannot carry, or more than 16 KB of it, with config_invalid', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    for (const value of [() => 1, cycle, 'x'.repeat(MAX_APP_STATE_BYTES), 10n]) {
      expect(() => checkAppState(value)).to.throw(AuthError).with.property('code', 'config_invalid');
    }
  });
});

describe('sameOriginPath', () => {
  const origin = 'https://app.example.com';

  it('keeps same-origin paths with their query and fragment', () => {
    expect(sameOriginPath('/account?tab=2#top', origin)).to.equal('/account?tab=2#top');
    expect(sameOriginPath('https://app.example.com/x', origin)).to.equal('/x');

  });

  it('refuses anything that leaves the origin (RFC 9700 §4.11.1)', () => {
    for (const value of ['https://evil.example/', '//evil.example', '/\\evil.example', '\\/evil.example', 'https:evil.example',
      'javascript:alert(1)', 'data:text/html,x', ' //evil.example', '\t//evil.example', '/\t/evil.example', 'http://app.example.com/', 'relative/path']) {
      expect(sameOriginPath(value, origin), value).to.equal(null);
    }
  });
});

describe('loginRequest', () => {
  it('takes the organization as the authorization request does: the call\'s, the configuration\'s, then an authorization parameter\'s', () => {
    const withParams = resolveConfig({ issuer: ISSUER, clientId: CLIENT_ID, authorizationParams: { organization: 'org_params' } }, new URL('https://app.example.com/'));
    const withBoth = resolveConfig({ issuer: ISSUER, clientId: CLIENT_ID, organization: 'org_config', authorizationParams: { organization: 'org_params' } }, new URL('https://app.example.com/'));
    expect(loginRequest({}, config).organization).to.equal(undefined);
    expect(loginRequest({}, withParams).organization, 'logins at the token endpoint (passkeys, token exchange) send it too').to.equal('org_params');
    expect(loginRequest({ authorizationParams: { organization: 'org_call_params' } }, withParams).organization).to.equal('org_call_params');
    expect(loginRequest({}, withBoth).organization).to.equal('org_config');
    expect(loginRequest({ organization: 'org_call' }, withBoth).organization).to.equal('org_call');
  });
});
