import { expect } from '@esm-bundle/chai';
import { completeLogin, readAuthorizationResponse, sameEndpoint } from '../../src/core/callback.js';
import type { PendingLogin } from '../../src/core/pending-login.js';
import { clearDiscoveryCache } from '../../src/core/provider.js';
import { rejection } from '../support/assertions.js';
import { ISSUER, clearClosoStorage, json, metadata, type Answer } from '../support/responses.js';
import { begin, config, response, tenant } from '../support/tenant.js';

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

describe('completeLogin: the authorization response', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });

  const rejects = async (params: (p: PendingLogin) => Record<string, string>, token: Answer | undefined, code: string) => {
    const network = tenant(token);
    const { pending } = await begin(network);
    const error = await rejection(completeLogin(config, pending, response(params(pending)), network));
    expect(error.code).to.equal(code);
    return { error, network };
  };

  it('passes OAuth errors through, with the description as text', async () => {
    const { error, network } = await rejects((p) => ({ error: 'access_denied', error_description: '<img src=x onerror=alert(1)>', state: p.state, iss: ISSUER }), undefined, 'access_denied');
    expect(error.message).to.equal('access_denied: <img src=x onerror=alert(1)>');
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
  });

  it('maps unknown OAuth error values to authorization_failed', async () => {
    await rejects((p) => ({ error: 'weird<b>', state: p.state, iss: ISSUER }), undefined, 'authorization_failed');
  });

  it('rejects a response from another issuer (RFC 9207) before any token request', async () => {
    const { network } = await rejects((p) => ({ code: 'c', state: p.state, iss: 'https://evil.example/' }), () => json({}), 'iss_mismatch');
    expect(network.seen.some((r) => r.url === metadata.token_endpoint)).to.equal(false);
    await rejects((p) => ({ code: 'c', state: p.state }), () => json({}), 'iss_mismatch');
  });

  it('rejects a state that is not the pending login\'s', async () => {
    await rejects((p) => ({ code: 'c', state: `${p.state}1`, iss: ISSUER }), () => json({}), 'state_mismatch');
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
