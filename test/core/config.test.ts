import { expect } from '@esm-bundle/chai';
import { DEFAULT_SCOPE, OPTIONS, RESERVED_PARAMS, checkAuthorizationParams, resolveConfig, type LoginOptions } from '../../src/core/config.js';
import { AuthError } from '../../src/core/errors.js';

const page = { origin: 'https://app.example.com', pathname: '/account' };

function configError(options: LoginOptions): AuthError {
  try {
    resolveConfig(options, page);
  } catch (error) {
    expect(error).to.be.instanceOf(AuthError);
    expect((error as AuthError).code).to.equal('config_invalid');
    return error as AuthError;
  }
  throw new Error('expected config_invalid');
}

describe('resolveConfig', () => {
  it('turns an Auth0 domain into its issuer, with the trailing slash Auth0 uses', () => {
    const config = resolveConfig({ domain: 'example.us.auth0.com', clientId: 'abc' }, page);
    expect(config.issuer).to.equal('https://example.us.auth0.com/');
    expect(config.loopbackHttp).to.equal(false);
  });

  it('accepts a domain written as an https URL', () => {
    expect(resolveConfig({ domain: 'https://example.us.auth0.com/', clientId: 'abc' }, page).issuer).to.equal('https://example.us.auth0.com/');
  });

  it('keeps an issuer URL exactly as given', () => {
    expect(resolveConfig({ issuer: 'https://login.example.org/realms/x', clientId: 'abc' }, page).issuer).to.equal('https://login.example.org/realms/x');
  });

  it('defaults the scope and the redirect URI (page URL without query and fragment)', () => {
    const config = resolveConfig({ domain: 'example.us.auth0.com', clientId: 'abc' }, page);
    expect(config.scope).to.equal(DEFAULT_SCOPE);
    expect(config.redirectUri).to.equal('https://app.example.com/account');
    expect(config.audience).to.equal(null);
  });

  it('sends a given redirect URI exactly as given', () => {
    const config = resolveConfig({ domain: 'example.us.auth0.com', clientId: 'abc', redirectUri: 'https://app.example.com/callback?x=1' }, page);
    expect(config.redirectUri).to.equal('https://app.example.com/callback?x=1');
  });

  it('always includes openid in the scope', () => {
    expect(resolveConfig({ domain: 'example.us.auth0.com', clientId: 'abc', scope: 'email read:messages' }, page).scope).to.equal('email read:messages openid');
  });

  it('allows http:// only for loopback issuers', () => {
    for (const issuer of ['http://localhost:3001/', 'http://127.0.0.1:9/', 'http://[::1]:9/']) {
      expect(resolveConfig({ issuer, clientId: 'abc' }, page).loopbackHttp, issuer).to.equal(true);
    }
    for (const issuer of ['http://idp.example/', 'http://localhost.evil.example/', 'http://10.0.0.1/', 'ftp://idp.example/']) {
      expect(configError({ issuer, clientId: 'abc' }).message, issuer).to.match(/https/);
    }
  });

  it('names what is missing or wrong', () => {
    expect(configError({ clientId: 'abc' }).message).to.match(/domain or issuer/);
    expect(configError({ domain: 'example.us.auth0.com' }).message).to.match(/client-id/);
    expect(configError({ domain: 'example.us.auth0.com', clientId: '  ' }).message).to.match(/client-id/);
    expect(configError({ domain: 'a.example', issuer: 'https://b.example/', clientId: 'x' }).message).to.match(/not both/);
    expect(configError({ domain: 'exa mple/path', clientId: 'x' }).message).to.match(/host name/);
    expect(configError({ issuer: 'https://idp.example/?x=1', clientId: 'x' }).message).to.match(/without query/);
    expect(configError({ issuer: 'not a url', clientId: 'x' }).message).to.match(/absolute URL/);
  });

  it('refuses a redirect URI on another origin or with a fragment', () => {
    expect(configError({ domain: 'a.example', clientId: 'x', redirectUri: 'https://evil.example/callback' }).message).to.match(/origin/);
    expect(configError({ domain: 'a.example', clientId: 'x', redirectUri: 'http://app.example.com/callback' }).message).to.match(/origin/);
    expect(configError({ domain: 'a.example', clientId: 'x', redirectUri: 'https://app.example.com/cb#x' }).message).to.match(/fragment/);
    expect(configError({ domain: 'a.example', clientId: 'x', redirectUri: 'javascript:alert(1)' }).message).to.match(/absolute http/);
  });

  it('passes further authorization parameters but never lets them override PKCE, state or nonce', () => {
    const config = resolveConfig({ domain: 'a.example', clientId: 'x', authorizationParams: { prompt: 'login', organization: 'org_1' } }, page);
    expect(config.authorizationParams).to.deep.equal({ prompt: 'login', organization: 'org_1' });
    // Each would undo a protection: PKCE, state, nonce, the query response mode the callback
    // expects, the redirect URI the provider checks, or a request object that replaces them all.
    const reserved = ['client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'audience', 'state', 'nonce',
      'code_challenge', 'code_challenge_method', 'request', 'request_uri'];
    for (const name of reserved) {
      expect(configError({ domain: 'a.example', clientId: 'x', authorizationParams: { [name]: 'x' } }).message, name).to.contain(name);
      expect(() => checkAuthorizationParams({ [name]: 'x' }), `per call: ${name}`).to.throw(AuthError, name);
    }
    expect([...RESERVED_PARAMS].sort()).to.deep.equal([...reserved].sort());
  });
});

describe('resolveConfig: lifecycle options', () => {
  it('defaults to memory storage, renewal 60 s ahead, no silent sign-in, logout back to the origin', () => {
    const config = resolveConfig({ domain: 'a.example', clientId: 'x' }, page);
    expect(config).to.include({ storage: 'memory', renewBefore: 60, silent: false, logoutUri: 'https://app.example.com/', auth0: true });
    expect(resolveConfig({ issuer: 'https://idp.example/', clientId: 'x' }, page).auth0).to.equal(false);
    expect(resolveConfig({ issuer: 'https://t.eu.auth0.com/', clientId: 'x' }, page).auth0).to.equal(true);
  });

  it('reads dpop from an attribute string or a framework boolean', () => {
    const dpop = (value: LoginOptions['dpop']) => resolveConfig({ domain: 'example.us.auth0.com', clientId: 'abc', dpop: value }, page).dpop;
    expect([undefined, null, false, 'off'].map(dpop)).to.deep.equal(['off', 'off', 'off', 'off']);
    expect([true, '', 'on', ' on '].map(dpop)).to.deep.equal(['on', 'on', 'on', 'on']);
    expect(dpop('required')).to.equal('required');
    expect(configError({ domain: 'example.us.auth0.com', clientId: 'abc', dpop: 'yes' }).message).to.contain('dpop');
  });

  it('refuses unknown storage modes, negative renew-before and odd logout URIs', () => {
    expect(configError({ domain: 'a.example', clientId: 'x', storage: 'cookie' as 'local' }).message).to.match(/memory, session or local/);
    expect(configError({ domain: 'a.example', clientId: 'x', renewBefore: -1 }).message).to.match(/renew-before/);
    expect(configError({ domain: 'a.example', clientId: 'x', renewBefore: Number.NaN }).message).to.match(/renew-before/);
    expect(configError({ domain: 'a.example', clientId: 'x', logoutUri: 'javascript:alert(1)' }).message).to.match(/logout-uri/);
  });
});

describe('OPTIONS: every option is validated', () => {
  const valid: LoginOptions = { domain: 'a.example', clientId: 'x' };
  /** A value each option refuses, as an attribute would give it (lit converts Number attributes: "abc" is NaN). */
  const refused: Partial<Record<keyof typeof OPTIONS, unknown>> = {
    domain: 'exa mple',
    issuer: 'ftp://idp.example/',
    clientId: ' ',
    redirectUri: 'javascript:alert(1)',
    authorizationParams: { state: 'x' },
    storage: 'cookie',
    renewBefore: Number('abc'),
    logoutUri: 'data:text/html,x',
    dpop: 'yes',
    mode: 'window',
    popupTimeout: Number('abc'),
    timeout: 0,
    interactiveErrors: 'redirect',
  };
  /** Options whose every value is acceptable: any text is an audience, a scope or an organization, any value a flag. */
  const free = ['audience', 'scope', 'silent', 'organization', 'acceptInvitation'];

  it('refuses a bad value of each option with config_invalid naming its attribute', () => {
    for (const [name, value] of Object.entries(refused)) {
      const options = { ...valid, [name]: value };
      if (name === 'issuer' || name === 'clientId') Object.assign(options, name === 'issuer' ? { domain: undefined } : {});
      const error = configError(options as LoginOptions);
      const named = name === 'authorizationParams' ? 'authorization parameter "state"' : OPTIONS[name as keyof typeof OPTIONS].attribute;
      expect(error.message, name).to.contain(named);
    }
    expect([...Object.keys(refused), ...free].sort(), 'every option is covered').to.deep.equal(Object.keys(OPTIONS).sort());
  });

  it('refuses popup-timeout="abc" and popup-timeout="0" rather than timing out at once', () => {
    expect(configError({ ...valid, popupTimeout: Number('abc') }).message).to.match(/popup-timeout/);
    expect(configError({ ...valid, popupTimeout: 0 }).message).to.match(/popup-timeout/);
    expect(resolveConfig({ ...valid, popupTimeout: 2.5 }, page).popupTimeoutMs).to.equal(2500);
  });

  it('takes mode and its default', () => {
    expect(resolveConfig(valid, page).mode).to.equal('redirect');
    expect(resolveConfig({ ...valid, mode: 'popup' }, page).mode).to.equal('popup');
    expect(resolveConfig(valid, page).popupTimeoutMs).to.equal(300_000);
  });

  it('gives each option a dash-case attribute named after its property', () => {
    for (const [name, option] of Object.entries(OPTIONS)) {
      expect(option.attribute, name).to.equal(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    }
  });
});
