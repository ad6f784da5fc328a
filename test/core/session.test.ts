import { expect } from '@esm-bundle/chai';
import { clearDiscoveryCache } from '../../src/core/provider.js';
import { resolveConfig } from '../../src/core/config.js';
import { startLogin } from '../../src/core/redirect-login.js';
import { Session, type SessionChange } from '../../src/core/session.js';
import { readPendingLogin, type PendingLogin } from '../../src/core/pending-login.js';
import { ISSUER, clearClosoStorage, fakeFetch, json, metadata, tokenResponse, type SeenRequest } from '../support/responses.js';

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
const NAMES = ['code', 'state', 'error', 'error_description', 'iss', 'session_state', 'access_token', 'id_token', 'token', 'response', 'x', 'code[]', 'STATE', 'ISS'];
/** The right issuer, spelled as a query carries it, and near misses. */
const ISSUERS = [ISSUER, encodeURIComponent(ISSUER), `${ISSUER}1`, ISSUER.slice(0, -1), ISSUER.toUpperCase(), 'https://evil.example/', encodeURIComponent(`${ISSUER} `)];

interface Round {
  readonly random: () => number;
  readonly validState: string | null;
  /** The code the fake provider issued for this round's pending login. */
  readonly code: string;
}

function randomValue({ random, validState, code }: Round, name?: string): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const r = random();
  if (name === 'iss' && r < 0.6) return pick(ISSUERS);
  if (name === 'state' && r < 0.5 && validState) return `${validState}${pick(['', '', '1', '=', '%3D', ' ', '%20'])}`;
  if (name === 'code' && r < 0.5) return pick([code, `${code}x`, encodeURIComponent(code)]);
  if (r < 0.3) return pick(NASTY);
  if (r < 0.4 && validState) return `${validState}${pick(['', '1', '=', '%3D', ' '])}`;
  if (r < 0.45) return pick(ISSUERS);
  if (r < 0.55) return Math.random().toString(36).slice(2).repeat(Math.ceil(random() * 5));
  return encodeURIComponent(pick(NASTY) + pick(NASTY));
}

/** Random parameters, or (often) a complete response for the pending login with a few mutations. */
function randomQuery(round: Round): string {
  const { random, validState, code } = round;
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  let parts: string[] = [];
  if (validState && random() < 0.5) {
    parts = [`code=${code}`, `state=${validState}`, `iss=${pick([ISSUER, encodeURIComponent(ISSUER)])}`];
    const mutations = Math.floor(random() * 3);
    for (let m = 0; m < mutations; m++) {
      const at = Math.floor(random() * (parts.length + 1));
      const which = random();
      if (which < 0.2 && parts.length) parts.splice(at % parts.length, 1);
      else if (which < 0.4 && parts.length) parts.splice(at, 0, parts[at % parts.length]!);
      else if (which < 0.6 && parts.length) {
        const name = parts[at % parts.length]!.split('=')[0]!;
        parts[at % parts.length] = `${name}=${randomValue(round, name)}`;
      } else {
        const name = pick(NAMES);
        parts.splice(at, 0, `${name}=${randomValue(round, name)}`);
      }
    }
  } else {
    const count = Math.floor(random() * 8);
    for (let i = 0; i < count; i++) {
      const name = random() < 0.9 ? pick(NAMES) : randomValue(round);
      parts.push(`${name}=${randomValue(round, name)}`);
    }
  }
  return parts.join(random() < 0.9 ? '&' : pick([';', '&&', '&=&']));
}

/** The response carries exactly the pending login's state and exactly the right issuer. */
function carriesPendingStateAndIssuer(href: string, validState: string | null): boolean {
  const params = new URL(href).searchParams;
  const state = params.getAll('state');
  const iss = params.getAll('iss');
  return validState !== null && state.length === 1 && state[0] === validState && iss.length === 1 && iss[0] === ISSUER;
}

describe('callback handling under fuzzing', () => {
  afterEach(() => {
    history.replaceState(null, '', startUrl);
    clearClosoStorage();
    clearDiscoveryCache();
  });

  for (const withPendingLogin of [false, true]) {
    it(`never throws; calls the token endpoint and yields a token only for the pending state and issuer (${withPendingLogin ? 'with' : 'without'} a pending login)`, async function () {
      this.timeout(120_000);
      const random = prng(withPendingLogin ? 0xc105 : 0x10c1);
      const clientId = `fuzz-${withPendingLogin}`;
      // The provider side: a token endpoint that, like a real one, answers a correctly signed
      // token response for the code it issued to the pending login, redeemed with its verifier.
      let pending: PendingLogin | null = null;
      let nonce = '';
      let issuedCode = '';
      let iteration = -1;
      const tokenCalls: Array<{ iteration: number; request: SeenRequest }> = [];
      const network = fakeFetch({
        [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata),
        [metadata.token_endpoint]: (request) => {
          tokenCalls.push({ iteration, request });
          const redeems = pending && request.body?.get('code') === issuedCode && request.body.get('code_verifier') === pending.codeVerifier;
          if (!redeems) return json({ error: 'invalid_grant', error_description: 'unknown code or wrong verifier' }, 400);
          pending = null; // single use
          return tokenResponse(nonce, {}, { aud: clientId });
        },
      });
      const runs = withPendingLogin ? 2000 : 2500;
      let handledCount = 0;
      let tokens = 0;
      let exchanges = 0;
      const config = resolveConfig({ issuer: ISSUER, clientId }, location);
      const session = new Session(config, network);
      const changes: SessionChange[] = [];
      let settle: ((change: SessionChange) => void) | null = null;
      session.subscribe((change) => {
        changes.push(change);
        if (change.type === 'token' || change.type === 'error') settle?.(change);
      });
      for (let i = 0; i < runs; i++) {
        iteration = i;
        pending = null;
        let validState: string | null = null;
        issuedCode = `c0de-${i}-${Math.floor(random() * 1e9).toString(36)}`;
        if (withPendingLogin) {
          validState = (await startLogin(config, { returnTo: location.pathname }, network)).searchParams.get('state');
          pending = readPendingLogin(clientId, validState!);
          nonce = pending!.nonce;
        }
        const round: Round = { random, validState, code: issuedCode };
        const query = randomQuery(round);
        const hash = random() < 0.1 ? `#${randomQuery(round)}` : '';
        history.replaceState(null, '', `${location.pathname}?${query}${hash}`);
        const before = location.href;
        const exact = carriesPendingStateAndIssuer(before, validState);
        const outcome = new Promise<SessionChange>((resolve) => { settle = resolve; });
        const changesBefore = changes.length;
        let handled = false;
        expect(() => { handled = session.handleCallback(location.href); }, query).not.to.throw();
        if (handled) {
          handledCount++;
          // Anything it took on is over: the pending login is gone and the address bar clean.
          expect(location.search, query).to.equal('');
          expect(sessionStorage.getItem(`closo-login:${clientId}:login:${validState}`), query).to.equal(null);
          // Exactly one outcome: a token or an error.
          const result = await outcome;
          await Promise.resolve();
          const outcomes = changes.slice(changesBefore).filter((c) => c.type === 'token' || c.type === 'error');
          expect(outcomes, query).to.have.length(1);
          if (result.type === 'token') tokens++;
          expect(result.type === 'token' && !exact, `a token from ${query}`).to.equal(false);
        } else {
          expect(location.href, query).to.equal(before);
          // Let any exchange that was (wrongly) started run before checking for tokens.
          await new Promise((r) => setTimeout(r, 0));
          expect(changes.slice(changesBefore).some((c) => c.type === 'token'), query).to.equal(false);
        }
        const called = tokenCalls.filter((c) => c.iteration === i);
        expect(called.length, `token endpoint calls for ${query}`).to.be.at.most(1);
        if (called.length) exchanges++;
        expect(called.length > 0 && !exact, `the token endpoint was called for ${query}`).to.equal(false);
        for (const key of Object.keys(sessionStorage)) if (key.includes(':login:')) sessionStorage.removeItem(key);
        history.replaceState(null, '', startUrl);
      }
      settle = null;
      await new Promise((r) => setTimeout(r, 50));
      await session.logout({ localOnly: true });
      if (withPendingLogin) {
        expect(handledCount).to.be.greaterThan(runs / 2);
        // The generator reaches the exchange often enough for the rules above to be tested.
        expect(exchanges, 'exchanges').to.be.greaterThan(runs / 20);
        expect(tokens, 'tokens').to.be.greaterThan(runs / 20);
      } else {
        expect(handledCount).to.equal(0);
        expect(tokenCalls).to.have.length(0);
        expect(changes.some((c) => c.type === 'token')).to.equal(false);
      }
    });
  }
});
