import { expect } from '@esm-bundle/chai';
import { clearDiscoveryCache } from '../src/authorization-server.js';
import { resolveConfig } from '../src/config.js';
import { startLogin } from '../src/login-flow.js';
import { Session, type SessionChange } from '../src/session.js';
import { ISSUER, clearClosoStorage, fakeFetch, json, metadata } from './support/responses.js';

const startUrl = location.href;

/** A small deterministic PRNG, so a failure can be replayed from its seed. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

const NASTY = ['', '=', '&', '%', '%00', '%zz', '%E0%A4%A', '\u0000', '\u202e', '<script>', '"\'', '../', '//evil.example',
  'javascript:alert(1)', '#', '?', '+', ' ', '\\', 'state', 'code', 'error', 'iss', 'access_token', 'id_token', '𝌆', 'A'.repeat(300)];
const NAMES = ['code', 'state', 'error', 'error_description', 'iss', 'session_state', 'access_token', 'id_token', 'token', 'x', 'code[]', 'STATE'];

function randomQuery(random: () => number, validState: string | null): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const value = () => {
    const r = random();
    if (r < 0.3) return pick(NASTY);
    if (r < 0.4 && validState) return `${validState}${pick(['', '1', '=', '%3D', ' '])}`;
    if (r < 0.5) return Math.random().toString(36).slice(2).repeat(Math.ceil(random() * 5));
    return encodeURIComponent(pick(NASTY) + pick(NASTY));
  };
  const parts: string[] = [];
  const count = Math.floor(random() * 8);
  for (let i = 0; i < count; i++) parts.push(`${random() < 0.9 ? pick(NAMES) : value()}=${value()}`);
  return parts.join(random() < 0.9 ? '&' : pick([';', '&&', '&=&']));
}

describe('callback handling under fuzzing', () => {
  afterEach(() => {
    history.replaceState(null, '', startUrl);
    clearClosoStorage();
    clearDiscoveryCache();
  });

  for (const withPendingLogin of [false, true]) {
    it(`never throws, never calls the token endpoint and never emits a token (${withPendingLogin ? 'with' : 'without'} a pending login)`, async function () {
      this.timeout(60_000);
      const random = prng(withPendingLogin ? 0xc105 : 0x10c1);
      const network = fakeFetch({ [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata), [metadata.token_endpoint]: () => json({}) });
      const runs = 2500;
      let rejected = 0;
      const clientId = `fuzz-${withPendingLogin}`;
      const config = resolveConfig({ issuer: ISSUER, clientId }, location);
      const session = new Session(config, network);
      const changes: SessionChange[] = [];
      session.subscribe((change) => changes.push(change));
      for (let i = 0; i < runs; i++) {
        let validState: string | null = null;
        if (withPendingLogin) {
          validState = (await startLogin(config, { returnTo: location.pathname }, network)).searchParams.get('state');
        }
        const query = randomQuery(random, validState);
        const hash = random() < 0.1 ? `#${randomQuery(random, validState)}` : '';
        history.replaceState(null, '', `${location.pathname}?${query}${hash}`);
        const before = location.href;
        let handled = false;
        expect(() => { handled = session.handleCallback(location.href); }, query).not.to.throw();
        await Promise.resolve();
        if (handled) {
          rejected++;
          // Anything it took on is over: the pending login is gone and the address bar clean.
          expect(location.search, query).to.equal('');
          expect(sessionStorage.getItem(`closo-login:${clientId}:login:${validState}`)).to.equal(null);
        } else {
          expect(location.href, query).to.equal(before);
        }
        // Let any exchange that was (wrongly) started run before checking for tokens.
        if (i % 100 === 0) await new Promise((r) => setTimeout(r, 0));
        expect(changes.some((c) => c.type === 'token'), query).to.equal(false);
        for (const key of Object.keys(sessionStorage)) if (key.includes(':login:')) sessionStorage.removeItem(key);
        history.replaceState(null, '', startUrl);
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(changes.some((c) => c.type === 'token')).to.equal(false);
      // No random URL was a complete, valid response (our state and issuer): the token endpoint was never called.
      expect(network.seen.filter((r) => r.url === metadata.token_endpoint)).to.have.length(0);
      if (withPendingLogin) expect(rejected).to.be.greaterThan(runs / 10);
      else expect(rejected).to.equal(0);
    });
  }
});
