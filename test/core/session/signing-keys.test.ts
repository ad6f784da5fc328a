import { expect } from '@esm-bundle/chai';
import type { ExportedJWKSCache } from 'oauth4webapi';
import { cachedJwks, keepJwks, prefetchJwks } from '../../../src/core/session/signing-keys.js';
import { ISSUER, clearClosoStorage, fakeFetch, json, jwks, metadata, type Answer } from '../../support/responses.js';
import { config } from '../../support/tenant.js';

const CACHE_KEY = `closo-login:jwks:${ISSUER}`;
const now = () => Math.floor(Date.now() / 1000);
const stored = () => JSON.parse(sessionStorage.getItem(CACHE_KEY) ?? 'null')?.value as ExportedJWKSCache | undefined;
const storeJwks = (value: unknown) => sessionStorage.setItem(CACHE_KEY, JSON.stringify({ at: Date.now(), value }));

/** The tenant's JWKS endpoint answering with `answer` (by default its real keys). */
const keysServer = (answer?: Answer) => {
  const network = fakeFetch(answer ? { [metadata.jwks_uri]: answer } : {});
  return { ...network, requests: () => network.seen.filter((r) => r.url === metadata.jwks_uri).length };
};

describe('prefetchJwks', () => {
  beforeEach(clearClosoStorage);
  after(clearClosoStorage);

  it('fetches the keys into the cache oauth4webapi reads', async () => {
    const network = keysServer();
    await prefetchJwks(config, metadata, network);
    expect(network.requests()).to.equal(1);
    const cache = stored()!;
    expect(cache.jwks).to.deep.equal(await jwks());
    expect(now() - cache.uat).to.be.within(0, 1);
    expect(cachedJwks(config)).to.deep.equal(cache);
  });

  it('fetches once while the cache is fresh', async () => {
    const network = keysServer();
    await prefetchJwks(config, metadata, network);
    await prefetchJwks(config, metadata, network);
    storeJwks({ jwks: await jwks(), uat: now() - 290 });
    await prefetchJwks(config, metadata, network);
    expect(network.requests()).to.equal(1);
  });

  it('fetches again once the cache is 300 s old (when oauth4webapi would refetch anyway)', async () => {
    storeJwks({ jwks: { keys: [] }, uat: now() - 301 });
    const network = keysServer();
    await prefetchJwks(config, metadata, network);
    expect(network.requests()).to.equal(1);
    expect(stored()!.jwks).to.deep.equal(await jwks());
    expect(now() - stored()!.uat).to.be.within(0, 1);
  });

  it('does nothing without a jwks_uri', async () => {
    const network = keysServer();
    const { jwks_uri: _, ...withoutKeys } = metadata;
    await prefetchJwks(config, withoutKeys, network);
    expect(network.seen).to.have.length(0);
    expect(stored()).to.equal(undefined);
  });

  it('does not cache a bad answer: the next call asks again', async () => {
    for (const answer of [
      () => json({ error: 'server_error' }, 500),
      () => json({ keys: 'not a list' }),
      () => json({ nothing: true }),
      () => json({ keys: [] }, 404),
      () => new Response('<html>', { status: 200 }),
    ]) {
      const network = keysServer(answer);
      await prefetchJwks(config, metadata, network);
      await prefetchJwks(config, metadata, network);
      expect(network.requests(), String(answer)).to.equal(2);
      expect(stored(), String(answer)).to.equal(undefined);
    }
  });

  it('swallows failures: the signature check will fetch and report them', async () => {
    for (const network of [
      keysServer(() => { throw new TypeError('Failed to fetch'); }),
      // Never answers: abandoned at the request timeout.
      { fetch: ((_url: string, init: RequestInit) => new Promise((_, reject) => {
        init.signal!.addEventListener('abort', () => reject(init.signal!.reason));
      })) as unknown as typeof fetch },
    ]) {
      await prefetchJwks({ ...config, timeoutMs: 30 }, metadata, network);
      expect(stored()).to.equal(undefined);
    }
  });

  it('asks for JSON, without following redirects, with the request timeout', async () => {
    let init: RequestInit | undefined;
    const network = { fetch: (async (_url: string, given: RequestInit) => { init = given; return json(await jwks()); }) as unknown as typeof fetch };
    await prefetchJwks(config, metadata, network);
    expect(new Headers(init!.headers).get('accept')).to.equal('application/json');
    expect(init!.redirect).to.equal('error');
    expect(init!.signal).to.be.instanceOf(AbortSignal);
  });
});

describe('cachedJwks / keepJwks', () => {
  beforeEach(clearClosoStorage);
  after(clearClosoStorage);

  it('starts from an empty cache object when nothing is stored', () => {
    expect(cachedJwks(config)).to.deep.equal({});
  });

  it('writes the cache only when oauth4webapi refreshed it', async () => {
    const keys = await jwks();
    const old = { jwks: keys, uat: now() - 400 };
    storeJwks(old);
    const cache = cachedJwks(config);
    const before = cache.uat;

    // oauth4webapi used the keys as they were: nothing to write.
    Object.assign(cache, { jwks: { keys: [] } });
    keepJwks(config, cache, before);
    expect(stored()).to.deep.equal(old);

    // oauth4webapi fetched the keys again (rotation, expiry) and updated the object.
    Object.assign(cache, { jwks: keys, uat: now() });
    keepJwks(config, cache, before);
    expect(stored()).to.deep.equal({ jwks: keys, uat: cache.uat });
  });

  it('writes a cache oauth4webapi filled from nothing', async () => {
    const cache = cachedJwks(config);
    Object.assign(cache, { jwks: await jwks(), uat: now() });
    keepJwks(config, cache, undefined);
    expect(stored()!.uat).to.equal(cache.uat);
  });
});
