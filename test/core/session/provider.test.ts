import { expect } from '@esm-bundle/chai';
import { allowInsecureRequests, customFetch, DPoP, generateKeyPair, ResponseBodyError, WWWAuthenticateChallengeError } from 'oauth4webapi';
import { resolveConfig } from '../../../src/core/config.js';
import { AuthError } from '../../../src/core/errors.js';
import { clearDiscoveryCache, discover, requestOptions, retryOnDpopNonce, sender } from '../../../src/core/session/provider.js';
import { rejection } from '../../support/assertions.js';
import { ISSUER, clearClosoStorage, fakeFetch, json, metadata } from '../../support/responses.js';
import { config, tenant } from '../../support/tenant.js';

const DISCOVERY_URL = `${ISSUER}.well-known/openid-configuration`;
const discoveries = (network: ReturnType<typeof fakeFetch>) => network.seen.filter((r) => r.url === DISCOVERY_URL).length;
const CACHE_KEY = `closo-login:discovery:${ISSUER}`;

/** A provider whose discovery document is `document`. */
const serving = (document: Record<string, unknown>) => fakeFetch({ [DISCOVERY_URL]: () => json(document) });

/** A development provider on loopback http, and its discovery document. */
const LOCAL = 'http://localhost:3000/';
const localConfig = resolveConfig({ issuer: LOCAL, clientId: 'local-client' }, { origin: 'http://localhost:8080', pathname: '/' });
const localMetadata = {
  issuer: LOCAL,
  authorization_endpoint: `${LOCAL}authorize`,
  token_endpoint: `${LOCAL}oauth/token`,
  jwks_uri: `${LOCAL}.well-known/jwks.json`,
};
const localServing = (document: Record<string, unknown>) => fakeFetch({ [`${LOCAL}.well-known/openid-configuration`]: () => json(document) });

describe('discover', () => {
  beforeEach(() => { clearClosoStorage(); clearDiscoveryCache(); });
  after(() => { clearClosoStorage(); clearDiscoveryCache(); });

  it('fetches the metadata once per page session: memory, then the sessionStorage copy', async () => {
    const network = tenant();
    const first = await discover(config, network);
    expect(first.authorization_endpoint).to.equal(metadata.authorization_endpoint);
    expect(await discover(config, network)).to.equal(first);
    expect(discoveries(network)).to.equal(1);
    expect(JSON.parse(sessionStorage.getItem(CACHE_KEY)!).value).to.deep.equal(first);

    clearDiscoveryCache(); // a new page of the same session: memory gone, sessionStorage kept
    const again = await discover(config, network);
    expect(again).to.deep.equal(first);
    expect(discoveries(network), 'the second page reads the sessionStorage copy').to.equal(1);

    clearDiscoveryCache();
    clearClosoStorage(); // a new page session
    await discover(config, network);
    expect(discoveries(network)).to.equal(2);
  });

  it('shares one request between concurrent callers', async () => {
    const network = tenant();
    const [a, b] = await Promise.all([discover(config, network), discover(config, network)]);
    expect(a).to.equal(b);
    expect(discoveries(network)).to.equal(1);
  });

  it('asks the issuer\'s /.well-known/openid-configuration', async () => {
    const network = tenant();
    await discover(config, network);
    expect(network.seen.map((r) => `${r.method} ${r.url}`)).to.deep.equal([`GET ${DISCOVERY_URL}`]);
  });

  it('refuses metadata for another issuer (RFC 8414 §3.3)', async () => {
    for (const issuer of ['https://evil.example/', `${ISSUER}x/`, `${ISSUER}?`, `${ISSUER}#`, 'https://tenant.example.com.evil.example/']) {
      clearDiscoveryCache();
      const error = await rejection(discover(config, serving({ ...metadata, issuer })));
      expect(error.code, issuer).to.equal('discovery_failed');
      expect(sessionStorage.getItem(CACHE_KEY), issuer).to.equal(null);
    }
  });

  // oauth4webapi compares the metadata's issuer with the configured one as URLs (new URL(issuer).href):
  // `https://tenant.example.com` and `https://tenant.example.com/`, an upper-case host or `:443` name
  // one issuer (docs/security-model.md). The metadata's spelling is then the issuer: the ID token's
  // and the response's `iss` must equal it exactly (token-answer.test.ts).
  it('takes an issuer written as the same URL (oauth4webapi compares URLs: a trailing slash, the host\'s case), once per page session', async () => {
    // The user wrote the Auth0 issuer without its trailing slash; the metadata has it.
    const written = resolveConfig({ issuer: ISSUER.slice(0, -1), clientId: 'c' }, { origin: 'https://app.example.com', pathname: '/' });
    const network = fakeFetch({ [`${written.issuer}/.well-known/openid-configuration`]: () => json(metadata) });
    expect((await discover(written, network)).issuer).to.equal(ISSUER);
    clearDiscoveryCache(); // the callback page: memory gone, sessionStorage kept
    expect((await discover(written, network)).issuer).to.equal(ISSUER);
    expect(network.seen, 'one discovery for the page session').to.have.length(1);
    for (const issuer of [ISSUER.toUpperCase(), 'https://tenant.example.com:443/']) {
      clearClosoStorage();
      clearDiscoveryCache();
      expect((await discover(config, serving({ ...metadata, issuer }))).issuer, issuer).to.equal(issuer);
    }
  });

  it('refuses endpoints that are not https://, javascript: ones among them', async () => {
    for (const [name, value] of [
      ['authorization_endpoint', 'javascript:alert(document.domain)//'],
      ['authorization_endpoint', 'JavaScript:alert(1)'],
      ['authorization_endpoint', 'http://tenant.example.com/authorize'],
      ['authorization_endpoint', 'http://localhost/authorize'], // loopback http only next to a loopback issuer
      ['token_endpoint', 'data:text/html,x'],
      ['jwks_uri', 'http://tenant.example.com/jwks'],
      ['revocation_endpoint', 'http://tenant.example.com/oauth/revoke'],
      ['end_session_endpoint', 'javascript:alert(1)'],
      ['end_session_endpoint', 'not a url'],
      ['authorization_endpoint', undefined],
      ['token_endpoint', undefined],
    ] as const) {
      clearDiscoveryCache();
      const error = await rejection(discover(config, serving({ ...metadata, [name]: value })));
      expect(error.code, `${name} ${value}`).to.equal('discovery_failed');
      expect(sessionStorage.getItem(CACHE_KEY), `${name} ${value}`).to.equal(null);
    }
  });

  it('accepts https endpoints on other hosts (custom domains) and optional ones left out', async () => {
    const as = await discover(config, serving({ ...metadata, end_session_endpoint: 'https://login.example.org/oidc/logout', jwks_uri: undefined }));
    expect(as.end_session_endpoint).to.equal('https://login.example.org/oidc/logout');
  });

  it('accepts loopback http endpoints next to a loopback issuer, and only loopback ones', async () => {
    const as = await discover(localConfig, localServing({ ...localMetadata, end_session_endpoint: 'http://127.0.0.1:3000/logout', revocation_endpoint: 'http://[::1]:3000/revoke' }));
    expect(as.token_endpoint).to.equal(`${LOCAL}oauth/token`);
    for (const [name, value] of [
      ['authorization_endpoint', 'http://tenant.example.com/authorize'],
      ['end_session_endpoint', 'http://192.168.1.10/logout'],
      ['authorization_endpoint', 'javascript:alert(1)'],
    ] as const) {
      clearDiscoveryCache();
      clearClosoStorage();
      const error = await rejection(discover(localConfig, localServing({ ...localMetadata, [name]: value })));
      expect(error.code, `${name} ${value}`).to.equal('discovery_failed');
    }
  });

  it('does not trust a sessionStorage copy that names another issuer or an unsafe endpoint', async () => {
    for (const tampered of [{ ...metadata, authorization_endpoint: 'javascript:alert(1)' }, { ...metadata, issuer: 'https://evil.example/' }]) {
      clearDiscoveryCache();
      sessionStorage.setItem(CACHE_KEY, JSON.stringify({ at: Date.now(), value: tampered }));
      const network = tenant();
      const as = await discover(config, network);
      expect(as.authorization_endpoint).to.equal(metadata.authorization_endpoint);
      expect(as.issuer).to.equal(ISSUER);
      expect(discoveries(network), 'fetched again').to.equal(1);
    }
  });

  it('fetches again once the sessionStorage copy is an hour old', async () => {
    sessionStorage.setItem(CACHE_KEY, JSON.stringify({ at: Date.now() - 61 * 60_000, value: metadata }));
    const network = tenant();
    await discover(config, network);
    expect(discoveries(network)).to.equal(1);
  });

  it('does not cache a failure: the next call asks again', async () => {
    let fail = true;
    const network = fakeFetch({ [DISCOVERY_URL]: () => (fail ? json({ error: 'server_error' }, 503) : json(metadata)) });
    expect((await rejection(discover(config, network))).code).to.equal('discovery_failed');
    fail = false;
    const as = await discover(config, network);
    expect(as.issuer).to.equal(ISSUER);
    expect(discoveries(network)).to.equal(2);
  });

  it('reports an unreachable provider as network_error and retries it next time', async () => {
    const unreachable = fakeFetch({});
    expect((await rejection(discover(config, unreachable))).code).to.equal('network_error');
    const network = tenant();
    await discover(config, network);
    expect(discoveries(network)).to.equal(1);
  });

  it('reports a provider that does not answer in time as timeout', async () => {
    const hanging = {
      timeoutMs: 30,
      fetch: ((_url: string, init: RequestInit) => new Promise((_, reject) => {
        init.signal!.addEventListener('abort', () => reject(init.signal!.reason));
      })) as unknown as typeof fetch,
    };
    expect((await rejection(discover(config, hanging))).code).to.equal('timeout');
  });
});

describe('sender', () => {
  it('passes the request and its answer through', async () => {
    const network = fakeFetch({ 'https://tenant.example.com/x': () => json({ ok: 1 }, 201) });
    const response = await sender(network)('https://tenant.example.com/x', { method: 'POST' });
    expect(response.status).to.equal(201);
    expect(network.seen).to.have.length(1);
    expect(network.seen[0]).to.include({ url: 'https://tenant.example.com/x', method: 'POST' });
  });

  it('tags a rejected fetch as network_error, keeping its cause', async () => {
    const failing = { fetch: (() => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch };
    const error = await rejection(sender(failing)('https://tenant.example.com/x'));
    expect(error.code).to.equal('network_error');
    expect((error.cause as Error).message).to.equal('Failed to fetch');
  });

  it('lets a timeout or an abort through, to be reported as timeout', async () => {
    for (const name of ['TimeoutError', 'AbortError']) {
      const thrown = new DOMException('stopped', name);
      const network = { fetch: (() => Promise.reject(thrown)) as typeof fetch };
      let caught: unknown;
      try {
        await sender(network)('https://tenant.example.com/x');
      } catch (error) {
        caught = error;
      }
      expect(caught, name).to.equal(thrown);
    }
  });

  it('uses window.fetch as it is at call time when no fetch is given', async () => {
    const original = window.fetch;
    const network = fakeFetch({ 'https://tenant.example.com/x': () => json({}) });
    const send = sender({});
    window.fetch = network.fetch;
    try {
      await send('https://tenant.example.com/x');
    } finally {
      window.fetch = original;
    }
    expect(network.seen).to.have.length(1);
  });
});

describe('requestOptions', () => {
  /** Resolves when `signal` aborts, with its reason. */
  const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));

  it('gives every request a timeout signal: the configured timeout by default', async () => {
    const options = requestOptions({ ...config, timeoutMs: 30 }, {});
    expect(options.signal.aborted).to.equal(false);
    const reason = await aborted(options.signal);
    expect((reason as DOMException).name).to.equal('TimeoutError');
  });

  it('takes the network timeout over the configuration, and an explicit one over both', async () => {
    const slow = { ...config, timeoutMs: 60_000 };
    expect(((await aborted(requestOptions(slow, { timeoutMs: 30 }).signal)) as DOMException).name).to.equal('TimeoutError');
    expect(((await aborted(requestOptions(slow, { timeoutMs: 60_000 }, 30).signal)) as DOMException).name).to.equal('TimeoutError');
  });

  it('allows plain http only for a loopback issuer', () => {
    expect(requestOptions(config, {})[allowInsecureRequests]).to.equal(false);
    expect(requestOptions(localConfig, {})[allowInsecureRequests]).to.equal(true);
  });

  it('sends through the network\'s fetch, with failures tagged', async () => {
    const network = fakeFetch({});
    const send = requestOptions(config, network)[customFetch] as unknown as typeof fetch;
    const error = await rejection(send('https://tenant.example.com/x', {}));
    expect(error.code).to.equal('network_error');
    expect(network.seen.map((r) => r.url)).to.deep.equal(['https://tenant.example.com/x']);
  });

  it('carries the DPoP handle only when there is one', async () => {
    const dpop = DPoP({}, await generateKeyPair('ES256'));
    expect(requestOptions(config, { dpop }).DPoP).to.equal(dpop);
    expect('DPoP' in requestOptions(config, {})).to.equal(false);
  });
});

describe('retryOnDpopNonce', () => {
  const response = (status: number) => new Response(null, { status });
  const nonceBodyError = () => new ResponseBodyError('nonce', { cause: { error: 'use_dpop_nonce' }, response: response(400) });
  const nonceChallenge = () => new WWWAuthenticateChallengeError('nonce', { cause: [{ scheme: 'dpop', parameters: { error: 'use_dpop_nonce' } }], response: response(401) });

  /** A request that throws each of `failures` in turn, then answers 'done'. */
  const requestFailing = (...failures: unknown[]) => {
    const calls = { count: 0 };
    const request = async () => {
      const failure = failures[calls.count++];
      if (failure) throw failure;
      return 'done';
    };
    return { request, calls };
  };

  it('runs the request once when it succeeds', async () => {
    const { request, calls } = requestFailing();
    expect(await retryOnDpopNonce(request)).to.equal('done');
    expect(calls.count).to.equal(1);
  });

  it('runs it once more when the server asks for a DPoP nonce (token endpoint body or WWW-Authenticate)', async () => {
    for (const error of [nonceBodyError(), nonceChallenge()]) {
      const { request, calls } = requestFailing(error);
      expect(await retryOnDpopNonce(request)).to.equal('done');
      expect(calls.count).to.equal(2);
    }
  });

  it('retries only once: a second nonce error is the answer', async () => {
    const second = nonceBodyError();
    const { request, calls } = requestFailing(nonceBodyError(), second, undefined);
    let caught: unknown;
    try {
      await retryOnDpopNonce(request);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.equal(second);
    expect(calls.count).to.equal(2);
  });

  it('does not retry any other failure', async () => {
    for (const failure of [
      new ResponseBodyError('grant', { cause: { error: 'invalid_grant' }, response: response(400) }),
      new WWWAuthenticateChallengeError('token', { cause: [{ scheme: 'bearer', parameters: { error: 'invalid_token' } }], response: response(401) }),
      new AuthError('network_error', 'down'),
    ]) {
      const { request, calls } = requestFailing(failure, undefined);
      let caught: unknown;
      try {
        await retryOnDpopNonce(request);
      } catch (error) {
        caught = error;
      }
      expect(caught).to.equal(failure);
      expect(calls.count).to.equal(1);
    }
  });
});
