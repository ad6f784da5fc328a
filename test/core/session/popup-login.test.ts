import { expect } from '@esm-bundle/chai';
import { answerOpener, popupLogin } from '../../../src/core/session/popup-login.js';
import { clearDiscoveryCache } from '../../../src/core/session/provider.js';
import { rejection, until } from '../../support/assertions.js';
import { ISSUER, clearClosoStorage, fakeFetch, json, metadata, tokenResponse, type SeenRequest } from '../../support/responses.js';
import { config, tenant } from '../../support/tenant.js';

const MESSAGE_TYPE = 'closo-login:authorization-response';
const WAITING = Symbol.for('closo-login:popups');
const APP_ORIGIN = new URL(config.redirectUri).origin;
const waiting = () => (window as unknown as { [WAITING]?: Set<unknown> })[WAITING];

const POPUP_MARK = 'closo-login:popup-login';

/**
 * A popup window the test controls: where it was sent, whether it was closed and by whom, when
 * its `closed` was seen true, what was written to its sessionStorage. Once sent to the provider
 * its location is another origin's (reading it throws); `cutOff` makes it look closed as soon as
 * the provider's page loads, as Cross-Origin-Opener-Policy does.
 */
class FakePopup {
  #closed = false;
  #atProvider = false;
  #navigated!: (href: string) => void;
  #closedSeen!: () => void;
  closeCalls = 0;
  /** Resolves with the first URL the popup is sent to. */
  readonly navigated = new Promise<string>((resolve) => { this.#navigated = resolve; });
  /** Resolves when the opener has read `closed` as true. */
  readonly closedSeen = new Promise<void>((resolve) => { this.#closedSeen = resolve; });
  #providerSeen!: () => void;
  /** Resolves when the opener has looked at the provider's page (and was refused: another origin). */
  readonly providerSeen = new Promise<void>((resolve) => { this.#providerSeen = resolve; });
  readonly location: { href: string };
  readonly stored = new Map<string, string>();
  readonly sessionStorage = { setItem: (key: string, value: string) => { this.stored.set(key, value); } };

  constructor({ cutOff = false } = {}) {
    const navigated = (href: string) => {
      this.#atProvider = true;
      if (cutOff) this.#closed = true;
      this.#navigated(href);
    };
    const atProvider = () => {
      if (this.#atProvider) this.#providerSeen();
      return this.#atProvider;
    };
    this.location = {
      set href(value: string) { navigated(value); },
      get href() {
        if (atProvider()) throw new DOMException('Blocked a frame from accessing a cross-origin frame.', 'SecurityError');
        return 'about:blank';
      },
    };
  }

  get closed(): boolean {
    if (this.#closed) this.#closedSeen();
    return this.#closed;
  }

  /** The user closes the window. */
  userCloses(): void {
    this.#closed = true;
  }

  close(): void {
    this.closeCalls++;
    this.#closed = true;
  }
}

const asWindow = (popup: FakePopup) => popup as unknown as Window;

/** A message event as the browser delivers it, from `source` (a Window; here the fake one). */
function post(data: unknown, { origin = APP_ORIGIN, source = null as unknown }: { origin?: string; source?: unknown } = {}): void {
  const event = new MessageEvent('message', { data, origin });
  Object.defineProperty(event, 'source', { value: source });
  window.dispatchEvent(event);
}

const answer = (href: string) => ({ type: MESSAGE_TYPE, href });
const callbackHref = (params: Record<string, string>, base = config.redirectUri) => `${base}?${new URLSearchParams(params)}`;

/** The tenant: its token endpoint redeems only the code `good`, for the nonce of the login in flight. */
function provider() {
  let nonce = '';
  const network = tenant((request: SeenRequest) =>
    request.body?.get('code') === 'good' ? tokenResponse(nonce) : json({ error: 'invalid_grant' }, 400));
  const codesSent = () => network.seen.filter((r) => r.url === metadata.token_endpoint).map((r) => r.body?.get('code'));
  return { network, codesSent, setNonce: (value: string) => { nonce = value; } };
}

/** Message listeners added to window during a test, and which of them are still there. */
function trackMessageListeners() {
  const active = new Set<unknown>();
  let added = 0;
  const add = window.addEventListener;
  const remove = window.removeEventListener;
  window.addEventListener = function (this: Window, type: string, listener: unknown, options?: unknown) {
    if (type === 'message') { active.add(listener); added++; }
    return add.call(this, type, listener as EventListener, options as AddEventListenerOptions);
  } as typeof window.addEventListener;
  window.removeEventListener = function (this: Window, type: string, listener: unknown, options?: unknown) {
    if (type === 'message') active.delete(listener);
    return remove.call(this, type, listener as EventListener, options as EventListenerOptions);
  } as typeof window.removeEventListener;
  return {
    active: () => active.size,
    added: () => added,
    restore: () => { window.addEventListener = add; window.removeEventListener = remove; },
  };
}

/** Intervals (the closed-popup poll) and the default popup timeout (300 s) armed during a test, and which are still armed. */
function trackTimers() {
  const intervals = new Set<unknown>();
  const longTimeouts = new Set<unknown>();
  const { setInterval: setI, clearInterval: clearI, setTimeout: setT, clearTimeout: clearT } = window;
  window.setInterval = ((handler: TimerHandler, delay?: number, ...args: unknown[]) => {
    const id = setI(handler, delay, ...args);
    intervals.add(id);
    return id;
  }) as typeof window.setInterval;
  window.clearInterval = ((id?: number) => { intervals.delete(id); clearI(id); }) as typeof window.clearInterval;
  window.setTimeout = ((handler: TimerHandler, delay?: number, ...args: unknown[]) => {
    const id = setT(handler, delay, ...args);
    if (delay === config.popupTimeoutMs) longTimeouts.add(id);
    return id;
  }) as typeof window.setTimeout;
  window.clearTimeout = ((id?: number) => { longTimeouts.delete(id); clearT(id); }) as typeof window.clearTimeout;
  return {
    armed: () => intervals.size + longTimeouts.size,
    restore: () => Object.assign(window, { setInterval: setI, clearInterval: clearI, setTimeout: setT, clearTimeout: clearT }),
  };
}

describe('popupLogin', () => {
  let listeners: ReturnType<typeof trackMessageListeners>;
  let timers: ReturnType<typeof trackTimers>;
  beforeEach(() => {
    clearClosoStorage();
    clearDiscoveryCache();
    listeners = trackMessageListeners();
    timers = trackTimers();
  });
  afterEach(() => {
    listeners.restore();
    timers.restore();
    clearClosoStorage();
    clearDiscoveryCache();
  });

  /** The popup closed by the login, its message listener removed, no poll or timeout left and the window no longer marked as awaited. */
  const expectCleanedUp = (popup: FakePopup) => {
    expect(popup.closed, 'popup closed').to.equal(true);
    expect(listeners.active(), 'message listeners left').to.equal(0);
    expect(timers.armed(), 'closed-poll or popup timeout left running').to.equal(0);
    expect(waiting()?.has(popup) ?? false, 'still marked as awaited').to.equal(false);
  };

  /** Starts a popup login and waits until the popup was sent to the provider. */
  async function start(popup: FakePopup, tenantSide = provider(), login = config, params?: Record<string, string>, giveUp?: AbortSignal) {
    const result = popupLogin(login, asWindow(popup), params ? { authorizationParams: params } : {}, tenantSide.network, giveUp);
    result.catch(() => {}); // observed by the test
    const authorization = new URL(await popup.navigated);
    tenantSide.setNonce(authorization.searchParams.get('nonce')!);
    const state = authorization.searchParams.get('state')!;
    return { result, authorization, state, tenantSide };
  }

  it('sends the popup to the authorization request and completes the login with the answer it posts', async () => {
    const popup = new FakePopup();
    const { result, authorization, state, tenantSide } = await start(popup, provider(), config, { prompt: 'login' });
    expect(authorization.origin + authorization.pathname).to.equal(metadata.authorization_endpoint);
    expect(authorization.searchParams.get('redirect_uri')).to.equal(config.redirectUri);
    expect(authorization.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorization.searchParams.get('prompt')).to.equal('login');
    expect(listeners.active(), 'listening while the popup is open').to.equal(1);
    expect(waiting()?.has(popup), 'marked as awaited, for answerOpener').to.equal(true);

    post(answer(callbackHref({ code: 'good', state, iss: ISSUER })), { source: popup });
    const tokens = await result;
    expect(tokens.claims.sub).to.equal('auth0|unit-user');
    expect(tokens.refreshToken).to.equal('rt-1');
    expect(tenantSide.codesSent()).to.deep.equal(['good']);
    expect(popup.closeCalls).to.equal(1);
    expectCleanedUp(popup);
  });

  it('ignores messages from another origin, another window, of another type or pointing elsewhere', async () => {
    const popup = new FakePopup();
    const { result, state, tenantSide } = await start(popup);
    const evil = callbackHref({ code: 'evil', state, iss: ISSUER });
    post(answer(evil), { origin: 'https://evil.example', source: popup });
    post(answer(evil), { origin: 'null', source: popup });
    post(answer(evil), { source: new FakePopup() });
    post(answer(evil), { source: window });
    post(answer(evil), { source: null });
    post({ type: 'other', href: evil }, { source: popup });
    post(evil, { source: popup });
    post(null, { source: popup });
    post(answer('not a url'), { source: popup });
    post(answer(callbackHref({ code: 'evil', state, iss: ISSUER }, 'https://evil.example/callback')), { source: popup });

    post(answer(callbackHref({ code: 'good', state, iss: ISSUER })), { source: popup });
    expect((await result).claims.sub).to.equal('auth0|unit-user');
    expect(tenantSide.codesSent(), 'only the right answer\'s code was sent').to.deep.equal(['good']);
    expectCleanedUp(popup);
  });

  it('fails the login when its own popup posts a wrong answer (state, error)', async () => {
    for (const [params, code] of [
      [(state: string) => ({ code: 'good', state: `${state}x`, iss: ISSUER }), 'state_mismatch'],
      [(state: string) => ({ error: 'access_denied', state, iss: ISSUER }), 'access_denied'],
    ] as const) {
      clearDiscoveryCache();
      const popup = new FakePopup();
      const { result, state, tenantSide } = await start(popup);
      post(answer(callbackHref(params(state))), { source: popup });
      expect((await rejection(result)).code).to.equal(code);
      expect(tenantSide.codesSent()).to.deep.equal([]);
      expectCleanedUp(popup);
    }
  });

  it('rejects popup_closed when the user closes the popup', async () => {
    const popup = new FakePopup();
    const { result } = await start(popup);
    await popup.providerSeen; // the user saw the login page
    popup.userCloses();
    expect((await rejection(result)).code).to.equal('popup_closed');
    expect(popup.closeCalls, 'not closed again').to.equal(0);
    expectCleanedUp(popup);
  });

  it('still takes an answer that arrives after the popup was seen closed (it posts, then closes itself)', async () => {
    const popup = new FakePopup();
    const { result, state, tenantSide } = await start(popup);
    popup.userCloses();
    await popup.closedSeen; // the poll found it closed; its answer was still queued
    post(answer(callbackHref({ code: 'good', state, iss: ISSUER })), { source: popup });
    expect((await result).claims.sub).to.equal('auth0|unit-user');
    expect(tenantSide.codesSent()).to.deep.equal(['good']);
    expectCleanedUp(popup);
  });

  describe('with a popup cut off by Cross-Origin-Opener-Policy', () => {
    /** Answers as a cut-off popup does (answerOpener): on the channel of `state`. */
    const answerOnChannel = (state: string, href: string) => {
      const channel = new BroadcastChannel(`closo-login:popup:${state}`);
      channel.postMessage(answer(href));
      channel.close();
    };
    /** Resolves after `ms`, with the real timer (setTimeout is tracked). */
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('marks the popup with its state, waits past "closed", and completes with the answer on that state\'s channel', async () => {
      const popup = new FakePopup({ cutOff: true });
      const { result, state, tenantSide } = await start(popup);
      expect(popup.stored.get(POPUP_MARK), 'the mark the callback page checks').to.equal(state);
      await popup.closedSeen;
      await pause(500); // five polls: a popup that looks closed but never showed the provider may be cut off
      answerOnChannel(state, callbackHref({ code: 'good', state, iss: ISSUER }));
      expect((await result).claims.sub).to.equal('auth0|unit-user');
      expect(tenantSide.codesSent()).to.deep.equal(['good']);
      expectCleanedUp(popup);
    });

    it('keeps the checks: an answer on another state\'s channel or for another origin is ignored; a wrong state fails', async () => {
      const popup = new FakePopup({ cutOff: true });
      const { result, state, tenantSide } = await start(popup);
      answerOnChannel('another-login', callbackHref({ code: 'good', state, iss: ISSUER }));
      answerOnChannel(state, callbackHref({ code: 'good', state, iss: ISSUER }, 'https://evil.example/callback'));
      await pause(100);
      expect(tenantSide.codesSent()).to.deep.equal([]);
      answerOnChannel(state, callbackHref({ code: 'good', state: 'x'.repeat(43), iss: ISSUER }));
      expect((await rejection(result)).code).to.equal('state_mismatch');
      expect(tenantSide.codesSent()).to.deep.equal([]);
      expectCleanedUp(popup);
    });

    it('rejects timeout when no answer comes, and popup_closed when a new login gives it up', async () => {
      const timedOut = await start(new FakePopup({ cutOff: true }), provider(), { ...config, popupTimeoutMs: 300 });
      expect((await rejection(timedOut.result)).code).to.equal('timeout');
      const giveUp = new AbortController();
      const popup = new FakePopup({ cutOff: true });
      const { result } = await start(popup, provider(), config, undefined, giveUp.signal);
      await popup.closedSeen;
      giveUp.abort();
      expect((await rejection(result)).code).to.equal('popup_closed');
      expectCleanedUp(popup);
    });
  });

  it('rejects timeout after the configured popup timeout, and closes the popup', async () => {
    const popup = new FakePopup();
    const { result } = await start(popup, provider(), { ...config, popupTimeoutMs: 50 });
    expect((await rejection(result)).code).to.equal('timeout');
    expect(popup.closeCalls).to.equal(1);
    expectCleanedUp(popup);
  });

  it('closes the popup when the login cannot even start (provider unreachable)', async () => {
    const popup = new FakePopup();
    const error = await rejection(popupLogin(config, asWindow(popup), {}, fakeFetch({})));
    expect(error.code).to.equal('network_error');
    expect(popup.closeCalls).to.equal(1);
    expect(listeners.added()).to.equal(0);
    expectCleanedUp(popup);
  });

  it('closes the popup when the code exchange fails', async () => {
    const popup = new FakePopup();
    const { result, state } = await start(popup);
    post(answer(callbackHref({ code: 'spent', state, iss: ISSUER })), { source: popup });
    expect((await rejection(result)).code).to.equal('token_exchange_failed');
    expect(popup.closeCalls).to.equal(1);
    expectCleanedUp(popup);
  });
});

describe('answerOpener', () => {
  const startUrl = location.href;
  const here = `${location.origin}${location.pathname}`;
  const close = window.close;
  let closed = 0;
  let posted: Array<[unknown, unknown]>;

  /** A window that opened this one: same origin unless told, registering this window as awaited when told. */
  const opener = ({ origin = location.origin, registered = true, crossOrigin = false } = {}) => ({
    get location() {
      if (crossOrigin) throw new DOMException('Blocked a frame from accessing a cross-origin frame.', 'SecurityError');
      return { origin };
    },
    postMessage: (message: unknown, targetOrigin: unknown) => { posted.push([message, targetOrigin]); },
    ...(registered ? { [WAITING]: new Set([window]) } : {}),
  });
  const setOpener = (value: unknown) => { (window as unknown as { opener: unknown }).opener = value; };

  beforeEach(() => {
    posted = [];
    closed = 0;
    window.close = () => { closed++; };
  });
  afterEach(() => {
    window.close = close;
    setOpener(null);
    history.replaceState(null, '', startUrl);
  });

  const href = `${here}?code=c&state=${'s'.repeat(43)}&iss=${encodeURIComponent(ISSUER)}`;

  /** Nothing happened: no message, the window stays, the URL keeps the response. */
  const expectUntouched = (label: string) => {
    expect(posted, label).to.deep.equal([]);
    expect(closed, label).to.equal(0);
    expect(location.href, label).to.equal(startUrl);
  };

  it('returns false without an opener, or when the opener is this window', () => {
    expect(window.opener).to.equal(null);
    expect(answerOpener(href)).to.equal(false);
    expectUntouched('no opener');
    // Even with this window in its own awaited set, it never answers itself.
    const ownWaiting = waiting();
    const self = window as unknown as { [WAITING]?: Set<unknown> };
    self[WAITING] = new Set([window]);
    setOpener(window);
    try {
      expect(answerOpener(href)).to.equal(false);
    } finally {
      if (ownWaiting) self[WAITING] = ownWaiting;
      else delete self[WAITING];
    }
    expectUntouched('opener is this window');
  });

  it('returns false when the opener is on another origin', () => {
    setOpener(opener({ crossOrigin: true }));
    expect(answerOpener(href)).to.equal(false);
    expectUntouched('cross-origin opener');
    setOpener(opener({ origin: 'https://evil.example' }));
    expect(answerOpener(href)).to.equal(false);
    expectUntouched('opener reporting another origin');
  });

  it('returns false when the opener did not start a popup login in this window', () => {
    setOpener(opener({ registered: false }));
    expect(answerOpener(href)).to.equal(false);
    expectUntouched('opener awaiting no popup');
    setOpener({ ...opener({ registered: false }), [WAITING]: new Set([{}]) });
    expect(answerOpener(href)).to.equal(false);
    expectUntouched('opener awaiting another popup');
  });

  describe('cut off from its opener (no opener)', () => {
    const state = 's'.repeat(43);
    afterEach(() => sessionStorage.removeItem(POPUP_MARK));

    /**
     * What arrives on the channel of `state`: when a message is `expected`, waiting for it (a loaded machine
     * delivers late), then 100 ms more for a second one that must not come; else 100 ms for one that must not.
     */
    async function heardOn(channelState: string, act: () => void, expected = false): Promise<unknown[]> {
      const heard: unknown[] = [];
      const channel = new BroadcastChannel(`closo-login:popup:${channelState}`);
      channel.onmessage = (event) => heard.push(event.data);
      try {
        act();
        if (expected) await until(() => heard.length > 0, 'the answer on the channel');
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        channel.close();
      }
      return heard;
    }

    it('answers on the login\'s channel only when the opener marked this window for that state, once', async () => {
      sessionStorage.setItem(POPUP_MARK, state);
      history.replaceState(null, '', href);
      let answered = false;
      expect(await heardOn(state, () => { answered = answerOpener(href); }, true)).to.deep.equal([{ type: MESSAGE_TYPE, href }]);
      expect(answered).to.equal(true);
      expect(location.href, 'the address bar no longer shows the code').to.equal(here);
      expect(closed).to.equal(1);
      expect(sessionStorage.getItem(POPUP_MARK), 'the mark is single use').to.equal(null);
      history.replaceState(null, '', startUrl);
      expect(await heardOn(state, () => { answered = answerOpener(href); })).to.deep.equal([]);
      expect(answered).to.equal(false);
    });

    it('returns false, untouched and silent, when unmarked or marked for another login', async () => {
      expect(await heardOn(state, () => expect(answerOpener(href)).to.equal(false))).to.deep.equal([]);
      expectUntouched('not marked');
      sessionStorage.setItem(POPUP_MARK, 'another-login');
      expect(await heardOn(state, () => expect(answerOpener(href)).to.equal(false))).to.deep.equal([]);
      expectUntouched('marked for another login');
      expect(sessionStorage.getItem(POPUP_MARK)).to.equal('another-login');
    });
  });

  it('posts the response to the opener, to this origin only, clears the address bar and closes', () => {
    setOpener(opener());
    history.replaceState(null, '', href);
    expect(answerOpener(href)).to.equal(true);
    expect(posted).to.deep.equal([[{ type: MESSAGE_TYPE, href }, location.origin]]);
    expect(location.href).to.equal(here);
    expect(closed).to.equal(1);
  });
});
