import { expect } from '@esm-bundle/chai';
import { completeLogin, intakeCallback, readAuthorizationResponse, sameEndpoint, type CallbackOwner } from '../../../src/core/session/callback.js';
import { savePendingLogin, type PendingLogin } from '../../../src/core/session/pending-login.js';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { rejection } from '../../support/assertions.js';
import { CLIENT_ID, ISSUER, clearClosoStorage, json, metadata } from '../../support/responses.js';
import { begin, config, loginFailsWith, response, tenant } from '../../support/tenant.js';

const here = `${location.origin}${location.pathname}`;

describe('readAuthorizationResponse', () => {
  it('recognises authorization responses in the query or, for rejection, the fragment', () => {
    expect(readAuthorizationResponse(`${here}?code=c&state=${'s'.repeat(43)}`)).to.include({ state: 's'.repeat(43), inFragment: false });
    expect(readAuthorizationResponse(`${here}#code=c&state=${'s'.repeat(43)}`)).to.include({ inFragment: true });
    expect(readAuthorizationResponse(`${here}?state=${'s'.repeat(43)}`)).to.equal(null);
    expect(readAuthorizationResponse(`${here}?code=c&state=short`)).to.include({ state: null, hasState: true });
    expect(readAuthorizationResponse(`${here}?code=c`)).to.include({ state: null, hasState: false });
    expect(readAuthorizationResponse('not a url')).to.equal(null);
  });

  it('treats tokens in the URL as a response to refuse, even without a code', () => {
    for (const name of ['access_token', 'id_token', 'token', 'refresh_token']) {
      expect(readAuthorizationResponse(`${here}#${name}=t&state=${'s'.repeat(43)}`), name).to.include({ inFragment: true, state: 's'.repeat(43) });
      expect(readAuthorizationResponse(`${here}?${name}=t`), name).to.include({ inFragment: false, hasState: false });
    }
  });
});

describe('sameEndpoint', () => {
  it('compares origin and path, not query or fragment', () => {
    expect(sameEndpoint('https://app.example.com/cb', new URL('https://app.example.com/cb?code=1#x'))).to.equal(true);
    expect(sameEndpoint('https://app.example.com/cb', new URL('https://app.example.com/other'))).to.equal(false);
    expect(sameEndpoint('https://app.example.com/cb', new URL('http://app.example.com/cb'))).to.equal(false);
    expect(sameEndpoint('not a url', new URL('https://app.example.com/cb'))).to.equal(false);
  });
});

describe('intakeCallback', () => {
  const startUrl = location.href;
  const path = location.pathname;
  const redirectUri = `${location.origin}${path}`;
  const owner: CallbackOwner = { clientId: CLIENT_ID, issuer: ISSUER, audience: null, redirectUri };
  const STATE = 'S'.repeat(43);
  const pendingLogin = (overrides: Partial<PendingLogin> = {}): PendingLogin => ({
    state: STATE, codeVerifier: 'v'.repeat(43), nonce: 'n'.repeat(43), issuer: ISSUER, clientId: CLIENT_ID, redirectUri,
    audience: null, scope: 'openid', returnTo: '/back?tab=2#top', createdAt: Date.now(), expiresAt: Date.now() + 60_000, ...overrides,
  });
  /** Puts `query` in the address bar and takes it in. */
  const intake = (query: string, options = {}) => {
    history.replaceState(null, '', `${path}${query}`);
    return intakeCallback(location.href, owner, options);
  };
  const stored = () => Object.keys(sessionStorage).filter((key) => key.includes(':login:'));

  afterEach(() => {
    history.replaceState(null, '', startUrl);
    clearClosoStorage();
  });

  it('accepts the answer to the pending login: taken from storage, and the address bar back on returnTo', () => {
    savePendingLogin(pendingLogin());
    const result = intake(`?code=c&state=${STATE}`);
    expect(result.kind).to.equal('accepted');
    expect(result.kind === 'accepted' && result.pending.state).to.equal(STATE);
    expect(stored()).to.deep.equal([]);
    expect(location.pathname + location.search + location.hash).to.equal('/back?tab=2#top');
  });

  it('leaves alone a URL that is no response, or a response to nothing pending here', () => {
    for (const query of ['?page=2', '?state=' + STATE, `?code=c&state=${STATE}`]) {
      expect(intake(query).kind, query).to.equal('none');
      expect(location.search, query).to.equal(query);
    }
  });

  it('leaves alone a response to another element\'s login (other issuer or audience), which keeps its pending login', () => {
    savePendingLogin(pendingLogin({ audience: 'https://other-api.example' }));
    expect(intake(`?code=c&state=${STATE}`).kind).to.equal('none');
    expect(stored()).to.have.length(1);
    expect(location.search).to.equal(`?code=c&state=${STATE}`);
  });

  it('ends a pending login answered without its state on its redirect URI: missing or mismatched (RFC 9700 §4.7)', () => {
    for (const [query, code] of [['?code=c', 'state_missing'], [`?code=c&state=${'T'.repeat(43)}`, 'state_mismatch'], ['?code=c&state=short', 'state_mismatch']]) {
      savePendingLogin(pendingLogin());
      const result = intake(query!);
      expect(result.kind === 'rejected' && result.error.code, query).to.equal(code);
      expect(stored(), query).to.deep.equal([]);
      expect(location.search, query).to.equal('?tab=2');
    }
  });

  it('never takes a state that cannot be one of ours (oauth4webapi makes 43 base64url characters) as a pending login\'s', () => {
    for (const state of ['short', 'x'.repeat(200), 'a b c d e f g h i j k l', '../../../etc/passwd-aaaaaaaa']) {
      // Planted under that very key, as if by another script of the origin: a lookup would find it.
      sessionStorage.setItem(`closo-login:${CLIENT_ID}:login:${state}`, JSON.stringify(pendingLogin({ state })));
      const result = intake(`?code=c&state=${encodeURIComponent(state)}`);
      expect(result.kind === 'rejected' && result.error.code, state).to.equal('state_mismatch');
      clearClosoStorage();
    }
  });

  it('refuses a response in the fragment or an implausibly large one, after taking it', () => {
    for (const query of [`#code=c&state=${STATE}`, `?code=c&state=${STATE}&padding=${'x'.repeat(9000)}`]) {
      savePendingLogin(pendingLogin());
      const result = intake(query);
      expect(result.kind === 'rejected' && result.error.code, query.slice(0, 20)).to.equal('authorization_failed');
      expect(stored()).to.deep.equal([]);
      expect(location.hash + location.search).not.to.contain('code=');
    }
  });

  it('refuses tokens in the URL, which a code flow never sends (RFC 9700 §2.1.2)', () => {
    savePendingLogin(pendingLogin());
    const result = intake('#access_token=at&token_type=Bearer');
    expect(result.kind === 'rejected' && result.error.code).to.equal('state_missing');
    expect(location.hash).to.equal('#top');
  });

  it('offers a response that answers nothing of this window to its opener first', () => {
    const offered: string[] = [];
    expect(intake(`?code=c&state=${STATE}`, { forward: (href: string) => offered.push(href) > 0 }).kind).to.equal('forwarded');
    expect(offered).to.have.length(1);
    savePendingLogin(pendingLogin());
    offered.length = 0;
    expect(intake(`?code=c&state=${STATE}`, { forward: (href: string) => offered.push(href) > 0 }).kind).to.equal('accepted');
    expect(offered, 'our own login is never forwarded').to.deep.equal([]);
  });

  it('reports unreadable storage, and still takes the response out of the address bar', () => {
    const getItem = Storage.prototype.getItem;
    Storage.prototype.getItem = () => { throw new DOMException('denied', 'SecurityError'); };
    try {
      const result = intake(`?code=c&state=${STATE}`);
      expect(result.kind === 'unreadable' && result.error.code).to.equal('storage_unavailable');
      expect(location.search).to.equal('');
    } finally {
      Storage.prototype.getItem = getItem;
    }
  });
});

describe('completeLogin: the authorization response', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });

  it('passes OAuth errors through, with the description as text', async () => {
    const { error, network } = await loginFailsWith((p) => ({ error: 'access_denied', error_description: '<img src=x onerror=alert(1)>', state: p.state, iss: ISSUER }), undefined, 'access_denied');
    expect(error.message).to.equal('access_denied: <img src=x onerror=alert(1)>');
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
  });

  it('names the scopes sent when the provider refuses them (invalid_scope), so the page knows what to set', async () => {
    const { error } = await loginFailsWith((p) => ({ error: 'invalid_scope', error_description: 'unknown scope', state: p.state, iss: ISSUER }), undefined, 'invalid_scope');
    expect(error.message).to.equal('invalid_scope: unknown scope (scope sent: "openid profile email offline_access")');
  });

  it('names them for an invalid_request about the scope only, not for other invalid_requests', async () => {
    const scoped = await loginFailsWith((p) => ({ error: 'invalid_request', error_description: 'Unknown scope: offline_access', state: p.state, iss: ISSUER }), undefined, 'invalid_request');
    expect(scoped.error.message).to.equal('invalid_request: Unknown scope: offline_access (scope sent: "openid profile email offline_access")');
    const other = await loginFailsWith((p) => ({ error: 'invalid_request', error_description: 'id_token_hint required', state: p.state, iss: ISSUER }), undefined, 'invalid_request');
    expect(other.error.message).to.equal('invalid_request: id_token_hint required');
  });

  it('maps unknown OAuth error values to authorization_failed', async () => {
    await loginFailsWith((p) => ({ error: 'weird<b>', state: p.state, iss: ISSUER }), undefined, 'authorization_failed');
  });

  it('rejects a response from another issuer (RFC 9207) before any token request', async () => {
    const { network } = await loginFailsWith((p) => ({ code: 'c', state: p.state, iss: 'https://evil.example/' }), () => json({}), 'iss_mismatch');
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
    await loginFailsWith((p) => ({ code: 'c', state: p.state }), () => json({}), 'iss_mismatch');
  });

  it('rejects a state that is not the pending login\'s', async () => {
    await loginFailsWith((p) => ({ code: 'c', state: `${p.state}1`, iss: ISSUER }), () => json({}), 'state_mismatch');
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

  it('refuses an implausibly long code without sending it', async () => {
    const network = tenant(() => json({}));
    const { pending } = await begin(network);
    const error = await rejection(completeLogin(config, pending, response({ code: 'c'.repeat(5000), state: pending.state, iss: ISSUER }), network));
    expect(error.code).to.equal('authorization_failed');
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
  });
});
