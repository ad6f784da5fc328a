import { expect } from '@esm-bundle/chai';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { resolveConfig } from '../../../src/core/config.js';
import { startLogin } from '../../../src/core/session/redirect-login.js';
import { Session } from '../../../src/core/session/session.js';
import { readPendingLogin, type PendingLogin } from '../../../src/core/session/pending-login.js';
import { rejection } from '../../support/assertions.js';
import { ISSUER, clearClosoStorage, fakeFetch, json, metadata, tokenResponse, type SeenRequest } from '../../support/responses.js';
import type { SessionChange } from '../../../src/core/session-contract.js';
import { ISSUER as SILENT_ISSUER, answer, authorizationFrame, configWith, frames, provider, responseUrl } from '../../support/silent-provider.js';

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

describe('Session', () => {
  const clientId = () => `session-${Math.random().toString(36).slice(2)}`;
  const opened: Session[] = [];
  /** A session on the canned tenant, whose token endpoint answers `token`. */
  function open(token: (request: SeenRequest, clientId: string) => Response | Promise<Response>, options: Record<string, unknown> = {}) {
    const id = clientId();
    const network = fakeFetch({
      [`${ISSUER}.well-known/openid-configuration`]: () => json(metadata),
      [metadata.token_endpoint]: (request) => token(request, id),
    });
    const config = resolveConfig({ issuer: ISSUER, clientId: id, ...options }, location);
    const session = new Session(config, network);
    opened.push(session);
    const changes: SessionChange[] = [];
    session.subscribe((change) => changes.push(change));
    return { session, network, config, changes };
  }
  /** Logs `session` in through a callback on this page, as the redirect flow would. */
  async function logIn({ session, network, config, changes }: ReturnType<typeof open>, nonce: { value: string }) {
    const url = await startLogin(config, { returnTo: location.pathname }, network);
    nonce.value = readPendingLogin(config.clientId, url.searchParams.get('state')!)!.nonce;
    history.replaceState(null, '', `${location.pathname}?code=c&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}`);
    expect(session.handleCallback(location.href)).to.equal(true);
    await until(() => changes.some((c) => c.type === 'token' || c.type === 'error'));
  }
  const until = async (check: () => boolean) => {
    for (const end = Date.now() + 3000; !check(); await new Promise((r) => setTimeout(r, 5))) {
      if (Date.now() > end) throw new Error('condition not met in time');
    }
  };

  afterEach(async () => {
    for (const session of opened.splice(0)) await session.logout({ localOnly: true });
    history.replaceState(null, '', startUrl);
    clearClosoStorage();
    clearDiscoveryCache();
  });

  it('tries a silent sign-in once per page, also when its session is made again after being disposed', async () => {
    const config = configWith({ silent: true, scope: 'openid profile' });
    const arrived = authorizationFrame();
    const first = new Session(config, provider().network);
    const outcomes: string[] = [];
    first.subscribe((change) => outcomes.push(change.type === 'error' ? change.error.code : change.type));
    first.start(location.href);
    const { frame, request } = await arrived;
    expect(frames()).to.have.length(1);
    answer(frame, responseUrl({ error: 'login_required', state: request.searchParams.get('state')!, iss: SILENT_ISSUER }));
    for (const end = Date.now() + 3000; !outcomes.includes('login_required') && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
    expect(outcomes).to.deep.equal(['busy', 'login_required']);
    expect(first.dispose(), 'nobody is logged in, nothing is under way').to.equal(true);
    const again = new Session(config, provider().network);
    again.start(location.href);
    await new Promise((r) => setTimeout(r, 300));
    expect(frames(), 'no second silent sign-in').to.have.length(0);
    expect(again.busy).to.equal(false);
    again.dispose();
  });

  it('goes ahead with a login asked for while the silent sign-in at page start runs: that one ends quietly', async () => {
    const config = configWith({ silent: true, scope: 'openid profile', clientId: `silent-click-${Math.random()}` });
    const arrived = authorizationFrame();
    const session = new Session(config, provider().network);
    const outcomes: string[] = [];
    session.subscribe((change) => outcomes.push(change.type === 'error' ? change.error.code : change.type));
    session.start(location.href);
    await arrived; // the provider does not answer: the sign-in would wait for its timeout
    expect([session.busy, session.yieldsToLogin]).to.deep.equal([true, true]);
    // A popup login the browser blocked: it fails at once, showing that the login did go ahead.
    const error = await rejection(session.login({}, config, null));
    expect(error.code).to.equal('popup_blocked');
    expect(frames(), 'the silent sign-in\'s frame is gone').to.have.length(0);
    expect(outcomes).to.deep.equal(['busy', 'popup_blocked']);
    expect([session.busy, session.yieldsToLogin]).to.deep.equal([false, false]);
    session.dispose();
  });

  it('is disposed only once nobody is logged in and nothing is under way', async () => {
    const session = new Session(resolveConfig({ issuer: ISSUER, clientId: `dispose-${Math.random()}` }, location), fakeFetch({}));
    const login = session.login({ authorizationParams: { prompt: 'login' } });
    login.catch(() => {});
    expect(session.busy).to.equal(true);
    expect(session.dispose(), 'busy: a login is under way').to.equal(false);
    await rejection(login); // discovery fails: network_error
    expect(session.dispose()).to.equal(true);
  });

  it('answers login_required when nobody is logged in', async () => {
    const { session } = open(() => json({}));
    expect((await rejection(session.getAccessToken())).code).to.equal('login_required');
  });

  it('refuses a reserved per-call parameter with config_invalid for every element, before any request', async () => {
    const { session, network, changes } = open(() => json({}));
    const error = await rejection(session.login({ authorizationParams: { response_mode: 'fragment' } }));
    expect(error.code).to.equal('config_invalid');
    expect(changes.filter((c) => c.type === 'error').map((c) => c.type === 'error' && c.error)).to.deep.equal([error]);
    expect(network.seen).to.deep.equal([]);
  });

  it('is busy from the click until the login ends; a login meanwhile is ignored', async () => {
    // Discovery held until the test lets it fail: the login is under way meanwhile. (A page that stays
    // after the browser was sent to the provider ends in timeout: navigate(), below, and end to end.)
    let fail: (reason: unknown) => void = () => {};
    const held = { fetch: (() => new Promise((_, reject) => { fail = reject; })) as unknown as typeof fetch };
    const session = new Session(resolveConfig({ issuer: ISSUER, clientId: clientId() }, location), held);
    opened.push(session);
    const changes: SessionChange[] = [];
    session.subscribe((change) => changes.push(change));
    const first = session.login();
    first.catch(() => {});
    expect(session.busy).to.equal(true);
    expect(await session.login(), 'ignored: resolves at once').to.equal(undefined);
    fail(new TypeError('Failed to fetch'));
    expect((await rejection(first)).code).to.equal('network_error');
    expect(changes.map((c) => (c.type === 'error' ? c.error.code : c.type))).to.deep.equal(['busy', 'network_error']);
    expect(session.busy).to.equal(false);
  });

  it('refuses a redirect login inside a frame (RFC 9700 §4.16), as frame_refused', async () => {
    const frame = document.createElement('iframe');
    document.body.append(frame);
    try {
      const { Session: FramedSession } = await (frame.contentWindow as unknown as { eval(code: string): Promise<{ Session: typeof Session }> })
        .eval(`import(${JSON.stringify(new URL('../../../src/core/session/session.ts', import.meta.url).href)})`);
      const config = resolveConfig({ issuer: ISSUER, clientId: clientId() }, location);
      const framed = new FramedSession(config, {});
      // The frame's own realm: its AuthError is another class, so the error is checked by name and code.
      const error = await framed.login().then(() => null, (e: { name: string; code: string }) => ({ name: e.name, code: e.code }));
      expect(error).to.deep.equal({ name: 'AuthError', code: 'frame_refused' });
    } finally {
      frame.remove();
    }
  });

  it('ends the session when the provider refuses the refresh token: logout session_ended, error login_required, storage cleared', async () => {
    const nonce = { value: '' };
    let refreshes = 0;
    const opened = open((request, id) => {
      if (request.body?.get('grant_type') === 'refresh_token') {
        refreshes++;
        return json({ error: 'invalid_grant', error_description: 'reused' }, 400);
      }
      return tokenResponse(nonce.value, {}, { aud: id });
    }, { storage: 'session' });
    await logIn(opened, nonce);
    const { session, changes } = opened;
    expect(session.tokens?.claims.sub).to.equal('auth0|unit-user');
    expect((await rejection(session.renew())).code).to.equal('login_required');
    expect(refreshes).to.equal(1);
    expect(changes.filter((c) => c.type === 'logout').map((c) => c.type === 'logout' && c.reason)).to.deep.equal(['session_ended']);
    expect(session.tokens).to.equal(null);
    expect(Object.keys(sessionStorage).filter((k) => k.includes(':session:'))).to.deep.equal([]);
  });

  it('keeps the session when a refresh fails for a reason a retry may mend (server error)', async () => {
    const nonce = { value: '' };
    const opened = open((request, id) => (request.body?.get('grant_type') === 'refresh_token' ? json({ error: 'server_error' }, 500) : tokenResponse(nonce.value, {}, { aud: id })));
    await logIn(opened, nonce);
    const { session, changes } = opened;
    expect((await rejection(session.renew())).code).to.equal('refresh_failed');
    expect(changes.some((c) => c.type === 'logout')).to.equal(false);
    expect(session.tokens?.accessToken).to.be.a('string');
  });

  it('shares one renewal between concurrent callers', async () => {
    const nonce = { value: '' };
    let refreshes = 0;
    const opened = open(async (request, id) => {
      if (request.body?.get('grant_type') !== 'refresh_token') return tokenResponse(nonce.value, {}, { aud: id });
      refreshes++;
      return json({ access_token: `at-${refreshes}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `rt-${refreshes + 1}` });
    });
    await logIn(opened, nonce);
    const tokens = await Promise.all([opened.session.renew(), opened.session.renew(), opened.session.getAccessToken({ minValidity: 86_400 * 2 })]);
    expect(refreshes).to.equal(1);
    expect(tokens.map((t) => (typeof t === 'string' ? t : t.accessToken))).to.deep.equal(['at-1', 'at-1', 'at-1']);
  });
});

describe('callback handling under fuzzing', () => {
  let restoreHistory = () => {};
  afterEach(() => {
    restoreHistory();
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
      // Every URL the session puts in the address bar (history.replaceState), instead of putting it there.
      const addressBar: string[] = [];
      const replaceState = history.replaceState;
      history.replaceState = (_state: unknown, _unused: string, url?: string | URL | null) => { addressBar.push(String(url)); };
      restoreHistory = () => { history.replaceState = replaceState; };
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
        // The page's URL as the browser would hold it. It is handed over rather than put in the address
        // bar: thousands of history entries make Chromium slow to navigate this tab afterwards. What
        // the session does to the address bar is recorded instead.
        const href = new URL(`${location.pathname}?${query}${hash}`, location.href).href;
        const exact = carriesPendingStateAndIssuer(href, validState);
        const outcome = new Promise<SessionChange>((resolve) => { settle = resolve; });
        const changesBefore = changes.length;
        addressBar.length = 0;
        let handled = false;
        expect(() => { handled = session.handleCallback(href); }, query).not.to.throw();
        if (handled) {
          handledCount++;
          // Anything it took on is over: the pending login is gone and the address bar clean.
          expect(addressBar, query).to.deep.equal([location.pathname]);
          expect(sessionStorage.getItem(`closo-login:${clientId}:login:${validState}`), query).to.equal(null);
          // Exactly one outcome: a token or an error.
          const result = await outcome;
          await Promise.resolve();
          const outcomes = changes.slice(changesBefore).filter((c) => c.type === 'token' || c.type === 'error');
          expect(outcomes, query).to.have.length(1);
          if (result.type === 'token') tokens++;
          expect(result.type === 'token' && !exact, `a token from ${query}`).to.equal(false);
        } else {
          expect(addressBar, query).to.deep.equal([]);
          // Let any exchange that was (wrongly) started run before checking for tokens.
          await new Promise((r) => setTimeout(r, 0));
          expect(changes.slice(changesBefore).some((c) => c.type === 'token'), query).to.equal(false);
        }
        const called = tokenCalls.filter((c) => c.iteration === i);
        expect(called.length, `token endpoint calls for ${query}`).to.be.at.most(1);
        if (called.length) exchanges++;
        expect(called.length > 0 && !exact, `the token endpoint was called for ${query}`).to.equal(false);
        for (const key of Object.keys(sessionStorage)) if (key.includes(':login:')) sessionStorage.removeItem(key);
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
