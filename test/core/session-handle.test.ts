import { expect } from '@esm-bundle/chai';
import { resolveConfig, type LoginOptions } from '../../src/core/config.js';
import { sessionFor } from '../../src/core/session-handle.js';
import { AUDIENCE, ISSUER } from '../support/responses.js';
import type { SessionChange } from '../../src/core/session-contract.js';

const page = { origin: 'https://app.example.com', pathname: '/account' };

/** Each test its own client, so that sessions made by earlier tests are not found. */
let clients = 0;
const base = (): LoginOptions => ({ issuer: ISSUER, clientId: `sessions-client-${clients++}`, audience: AUDIENCE, scope: 'openid profile', storage: 'memory' });
const configOf = (options: LoginOptions) => resolveConfig(options, page);

describe('sessionFor', () => {
  it('gives elements asking for the same tokens, kept the same way, one Session', () => {
    const options = base();
    const first = sessionFor(configOf(options));
    expect(sessionFor(configOf({ ...options }))).to.equal(first);
    // The same tenant named by its Auth0 domain is the same issuer.
    expect(sessionFor(configOf({ ...options, issuer: undefined, domain: 'tenant.example.com' }))).to.equal(first);
  });

  it('gives another Session when the issuer, client, audience, scope, storage or DPoP differ', () => {
    const options = base();
    const first = sessionFor(configOf(options));
    const variants: Array<[string, LoginOptions]> = [
      ['issuer', { issuer: 'https://other-tenant.example.com/' }],
      ['client', { clientId: `${options.clientId}-2` }],
      ['audience', { audience: 'https://billing.example.com' }],
      ['no audience', { audience: undefined }],
      ['scope', { scope: 'openid profile offline_access' }],
      ['storage session', { storage: 'session' }],
      ['storage local', { storage: 'local' }],
      ['dpop on', { dpop: 'on' }],
      ['dpop required', { dpop: 'required' }],
    ];
    const seen = new Set([first]);
    for (const [name, change] of variants) {
      const config = configOf({ ...options, ...change });
      const session = sessionFor(config);
      expect(seen.has(session), name).to.equal(false);
      expect(session.config, `${name}: a Session made for this configuration`).to.equal(config);
      seen.add(session);
      expect(sessionFor(configOf({ ...options, ...change })), `${name}, asked again`).to.equal(session);
    }
  });

  it('keeps one Session when only the redirect URI, logout URI, parameters, mode, renewal settings or the order of scopes differ', () => {
    const options = base();
    const first = sessionFor(configOf({ ...options, renewBefore: 60, timeout: 10, silent: false }));
    for (const [name, change] of [
      ['redirect URI', { redirectUri: 'https://app.example.com/callback' }],
      ['logout URI', { logoutUri: 'https://app.example.com/bye' }],
      ['parameters', { authorizationParams: { prompt: 'login', ui_locales: 'fr' } }],
      ['mode', { mode: 'popup' }],
      ['popup timeout', { popupTimeout: 30 }],
      ['renew-before', { renewBefore: 300 }],
      ['timeout', { timeout: 3 }],
      ['silent', { silent: true }],
      ['scopes in another order', { scope: 'profile openid' }],
    ] as Array<[string, LoginOptions]>) {
      expect(sessionFor(configOf({ ...options, ...change })), name).to.equal(first);
    }
    // Renewal settings are those of the element that came first.
    expect(first.config).to.include({ renewBefore: 60, timeoutMs: 10_000, silent: false });
  });
});

describe('SessionHandle: the session loads when it is needed', () => {
  const here = 'https://app.example.com/account';
  const until = async (check: () => boolean) => {
    for (const end = Date.now() + 3000; !check(); await new Promise((r) => setTimeout(r, 5))) {
      if (Date.now() > end) throw new Error('condition not met in time');
    }
  };
  afterEach(() => {
    for (const key of Object.keys(sessionStorage)) if (key.startsWith('closo-login:')) sessionStorage.removeItem(key);
  });

  it('does not load for a logged-out page: no callback in the URL, nothing stored, no silent sign-in', async () => {
    const handle = sessionFor(configOf({ ...base(), storage: 'session' }));
    handle.start(`${here}?tab=2#section`);
    await new Promise((r) => setTimeout(r, 50));
    expect(handle.loaded).to.equal(false);
    expect(handle.tokens).to.equal(null);
    expect(handle.busy).to.equal(false);
    const error = await handle.getAccessToken().then(() => null, (e: { code: string }) => e.code);
    expect(error).to.equal('login_required');
    expect(handle.loaded, 'asking for a token with nobody logged in loads nothing').to.equal(false);
  });

  it('loads when the URL may carry an answer, when silent sign-in is on, or when a session is stored', async () => {
    const callback = sessionFor(configOf(base()));
    callback.start(`${here}?code=abc&state=xyz`);
    await until(() => callback.loaded);

    const silent = sessionFor(configOf({ ...base(), silent: true }));
    silent.start(here);
    await until(() => silent.loaded);

    const options = { ...base(), storage: 'session' as const };
    const config = configOf(options);
    const stored = { accessToken: 'at', tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000, scope: 'openid', audience: AUDIENCE,
      idToken: 'id', claims: { iss: ISSUER, sub: 'u', aud: 'c', exp: 0, iat: 0 }, refreshToken: null, sessionId: 's', generation: 0 };
    sessionStorage.setItem(`closo-login:${encodeURIComponent(config.clientId)}:session:${config.issuer}|${config.audience}`, JSON.stringify(stored));
    const restored = sessionFor(config);
    const changes: SessionChange[] = [];
    restored.subscribe((change) => changes.push(change));
    restored.start(here);
    await until(() => restored.tokens !== null);
    expect(restored.tokens?.accessToken).to.equal('at');
    expect(changes.map((c) => c.type)).to.deep.equal(['token']);
  });

  it('loads for every parameter that makes a URL an answer, in the query or the fragment: code, error, and tokens (to refuse them)', async () => {
    for (const name of ['code', 'error', 'access_token', 'id_token', 'token', 'refresh_token']) {
      for (const url of [`${here}?${name}=x&state=y`, `${here}#state=y&${name}=x`]) {
        const handle = sessionFor(configOf(base()));
        handle.start(url);
        await until(() => handle.loaded).catch(() => { throw new Error(`not loaded for ${url}`); });
      }
    }
    // Not an answer: a parameter that merely ends in one of those names.
    const other = sessionFor(configOf(base()));
    other.start(`${here}?postcode=x&mytoken=y#section`);
    await new Promise((r) => setTimeout(r, 50));
    expect(other.loaded).to.equal(false);
  });

  it('is busy at once when a login is asked for while its code loads', async () => {
    const handle = sessionFor(configOf({ ...base(), authorizationParams: {} }));
    const changes: SessionChange[] = [];
    handle.subscribe((change) => changes.push(change));
    // A reserved parameter: the session refuses it once loaded, without leaving the page.
    const login = handle.login({ authorizationParams: { state: 'forged' } });
    expect(handle.busy).to.equal(true);
    expect(changes.map((c) => c.type)).to.deep.equal(['busy']);
    const error = await login.then(() => null, (e: { code: string }) => e.code);
    expect(error).to.equal('config_invalid');
    expect(handle.loaded).to.equal(true);
    expect(handle.busy).to.equal(false);
    expect(changes.map((c) => c.type)).to.deep.equal(['busy', 'error']);
  });
});
