import { expect } from '@esm-bundle/chai';
import { resolveConfig, type LoginOptions } from '../../src/core/config.js';
import { sessionFor } from '../../src/core/sessions.js';
import { AUDIENCE, ISSUER } from '../support/responses.js';

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
