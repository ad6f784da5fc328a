/**
 * The session state machine: one login session per (issuer, client, audience, scope, storage,
 * DPoP), shared by every element on the page that asks for those tokens. It owns the tokens
 * (the refresh token never leaves it), the busy state, one code exchange however many
 * elements see the callback, one renewal at a time in this tab and, with the other tabs of
 * the origin, one use of each refresh token. Every outcome reaches every element through
 * subscribe(). The protocol steps are the modules it calls.
 */
import { fetchWithToken } from './api-fetch.js';
import { completeLogin, intakeCallback } from './callback.js';
import { checkAuthorizationParams, sameOriginPath, type LoginConfig } from './config.js';
import { SessionKey } from './dpop.js';
import { AuthError, toAuthError, type Step } from './errors.js';
import { logoutUrl, revokeRefreshToken } from './logout.js';
import { answerOpener, popupLogin } from './popup-login.js';
import type { NetworkOptions } from './provider.js';
import { navigate, startLogin } from './redirect-login.js';
import { refreshTokens } from './refresh.js';
import { MAX_TIMER_MS, renewalDelay, retryDelay } from './renewal-timing.js';
import { silentLogin } from './silent-login.js';
import { holdMark, isMarked, nextTask, openTabChannel, withTabLock, type TabChannel, type TabMessage } from './tab-sync.js';
import { assertSameUser } from './token-answer.js';
import { isExpired, validFor, viewOf, type IdTokenClaims, type StoredSession, type TokenSet, type TokenView } from './token-set.js';
import { storageKey, tokenStore, type TokenStore } from './token-store.js';

/** Why a session ended: `user` (logout()), `session_ended` (renewal refused, or a new login replaced it), `other_tab`. */
export type LogoutReason = 'user' | 'session_ended' | 'other_tab';

export type SessionChange =
  | { readonly type: 'busy' }
  | { readonly type: 'token'; readonly tokens: TokenView }
  | { readonly type: 'logout'; readonly claims: IdTokenClaims | null; readonly reason: LogoutReason }
  | { readonly type: 'error'; readonly error: AuthError };

export type SessionListener = (change: SessionChange) => void;

/** What one login() call may add to the configuration. */
export interface LoginCall {
  /** Same-origin path to land on after a redirect login; anything else falls back to the current page. */
  readonly returnTo?: string;
  readonly authorizationParams?: Readonly<Record<string, unknown>>;
  /** Log in in a popup (default: the configuration's `mode`). */
  readonly popup?: boolean;
}

export const DEFAULT_MIN_VALIDITY = 30;
/** How long a tab waits for the tokens another tab renewed to arrive (storage or BroadcastChannel). */
const OTHER_TAB_WAIT_MS = 3_000;

export class Session {
  readonly #store: TokenStore;
  readonly #key: string;
  readonly #channel: TabChannel;
  /** The full session; the refresh token inside never leaves this object. */
  #current: StoredSession | null = null;
  #busy = false;
  #lastError: AuthError | null = null;
  readonly #listeners = new Set<SessionListener>();
  /** A login in flight that getAccessToken() waits for: a callback, a popup or a silent sign-in. */
  #pending: Promise<unknown> | null = null;
  #renewal: Promise<TokenView> | null = null;
  #started = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The DPoP key, when DPoP is on. */
  readonly #dpop: SessionKey | null;
  /** Renewals failed in a row, for the retry back-off. */
  #failures = 0;

  constructor(readonly config: LoginConfig, readonly network: NetworkOptions = {}) {
    this.#store = tokenStore(config);
    this.#key = storageKey(config);
    this.#channel = openTabChannel(`closo-login:${config.clientId}`, this.#onTabMessage);
    this.#dpop = config.dpop === 'off' ? null : new SessionKey(this.#key);
    document.addEventListener('visibilitychange', this.#onWake);
    window.addEventListener('online', this.#onWake);
  }

  /** What the page may see of the tokens, or null; an expired access token counts as none until renewed. */
  get tokens(): TokenView | null {
    const current = this.#current;
    return current && !isExpired(current) ? viewOf(current) : null;
  }

  /** A login is under way: redirect, callback, popup or silent sign-in. */
  get busy(): boolean { return this.#busy; }

  get lastError(): AuthError | null { return this.#lastError; }

  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  /** When an element attaches: completes a callback on this URL, else (once) restores from storage or by silent sign-in. */
  start(href: string): void {
    if (this.#started || this.handleCallback(href)) return;
    this.#started = true;
    const stored = this.#store.load();
    if (stored && isExpired(stored)) {
      // Expired while the page was closed: renewed before anyone sees it, or forgotten.
      if (this.#canRenew(stored)) {
        this.#current = stored;
        this.renew().catch(() => {});
      } else {
        this.#store.clear();
      }
    } else if (stored) {
      this.#adopt(stored); // valid: no network request
    } else if (this.config.silent && window.top === window) {
      this.#login(async () => silentLogin(this.config, await this.#net()));
    }
  }

  /** Completes `href` once, however many elements ask, when callback.ts takes it; false when the URL is left alone. */
  handleCallback(href: string): boolean {
    const intake = intakeCallback(href, this.config, { forward: answerOpener });
    if (intake.kind === 'none') return false;
    this.#started = true;
    if (intake.kind === 'unreadable') this.#fail(intake.error);
    if (intake.kind !== 'accepted' && intake.kind !== 'rejected') return true;
    // Whoever was logged in before is not while a new login completes (user switching).
    if (this.#current) this.#end('session_ended');
    this.#login(intake.kind === 'rejected'
      ? () => Promise.reject(intake.error)
      : async () => completeLogin(this.config, intake.pending, intake.url, await this.#net()), { step: 'token_exchange_failed' });
    return true;
  }

  /**
   * Starts a login with the calling element's `config`. Redirect: resolves once the browser
   * leaves. Popup: in `popup`, the window the caller opened in the click's task (browsers allow
   * popups only there; null when blocked), and resolves once logged in. Failures reject and
   * reach every element; a login while another is under way is ignored.
   */
  login(call: LoginCall = {}, config = this.config, popup?: Window | null): Promise<void> {
    let params: Readonly<Record<string, string>> | undefined;
    try {
      params = call.authorizationParams && checkAuthorizationParams(call.authorizationParams);
    } catch (error) {
      popup?.close();
      return Promise.reject(this.#fail(toAuthError(error, 'config_invalid')));
    }
    if (this.#busy) return Promise.resolve(popup?.close());
    const extra = params ? { authorizationParams: params } : {};
    if (popup !== undefined) {
      if (!popup) return Promise.reject(this.#fail(new AuthError('popup_blocked', 'The browser blocked the login window; allow popups for this site.')));
      return this.#login(async () => popupLogin(config, popup, params, await this.#net()), { rejects: true });
    }
    // RFC 9700 §4.16: the provider's login page must not be framed (clickjacking); a popup may be opened instead.
    if (window.top !== window) return Promise.reject(this.#fail(new AuthError('frame_refused', 'A redirect login cannot run inside a frame; use mode="popup" there.')));
    const here = location.pathname + location.search + location.hash;
    const returnTo = (call.returnTo !== undefined && sameOriginPath(call.returnTo, location.origin)) || here;
    return new Promise<void>((left, failed) => {
      this.#withBusy(async () => {
        const url = await startLogin(config, { returnTo, ...extra }, this.network);
        left();
        await navigate(url, config.timeoutMs);
      }).then(
        () => this.#emit({ type: 'busy' }), // back from the provider through the back/forward cache: nothing happened
        (error: unknown) => failed(this.#fail(toAuthError(error, 'authorization_failed'))),
      );
    });
  }

  /** An access token valid for `minValidity` more seconds, renewed first when needed (one renewal for all callers). */
  async getAccessToken({ minValidity = DEFAULT_MIN_VALIDITY }: { minValidity?: number } = {}): Promise<string> {
    while (this.#pending) await this.#pending.catch(() => {});
    // A renewal in flight is shared, whatever validity each caller asked for.
    if (this.#renewal) return (await this.#renewal).accessToken;
    const current = this.#current;
    if (current && validFor(current, minValidity)) return current.accessToken;
    if (!current || !this.#canRenew(current)) {
      throw new AuthError('login_required', current ? 'The access token expired and there is no refresh token.' : 'Nobody is logged in.');
    }
    return (await this.renew()).accessToken;
  }

  /** Renews: once at a time in this tab, and once per refresh token across tabs. */
  renew(): Promise<TokenView> {
    this.#renewal ??= this.#renewOnce().finally(() => { this.#renewal = null; });
    return this.#renewal;
  }

  /**
   * Ends the session here, in storage and in other tabs, revokes the refresh token, then goes
   * to the provider's logout page (unless `localOnly`). Provider failures still log out locally.
   */
  async logout({ localOnly = false }: { localOnly?: boolean } = {}, config = this.config): Promise<void> {
    const ended = this.#current;
    this.#end('user');
    this.#channel.post({ type: 'logout', key: this.#key });
    if (ended?.refreshToken) await revokeRefreshToken(this.config, ended.refreshToken, await this.#net());
    await this.#dpop?.forget();
    if (localOnly) return;
    const url = await logoutUrl(config, ended?.idToken ?? null, this.network);
    if (url) location.assign(url.href);
  }

  /** Calls an API with the current access token, renewed first when needed (api-fetch.ts). */
  async fetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    return fetchWithToken(input, init, async () => {
      const accessToken = await this.getAccessToken();
      const dpop = this.#current?.tokenType === 'DPoP' ? (await this.#net()).dpop : undefined;
      return { accessToken, ...(dpop ? { dpop } : {}) };
    });
  }

  /** Runs a login (`work` yields its tokens): busy meanwhile, then a new session or an error; `step` names unexplained failures. */
  #login(work: () => Promise<TokenSet>, { rejects = false, step = 'authorization_failed' as Step } = {}): Promise<void> {
    const done = this.#track(this.#withBusy(work)).then(
      (tokens) => {
        if (this.#current) this.#end('session_ended');
        this.#begin(tokens);
      },
      (error: unknown) => {
        throw this.#fail(toAuthError(error, step));
      },
    );
    if (!rejects) done.catch(() => {});
    return done;
  }

  /** The network options for requests, with the DPoP handle when DPoP is on. */
  #net = async (): Promise<NetworkOptions> => (this.#dpop ? { ...this.network, dpop: await this.#dpop.handle() } : this.network);

  /** With a refresh token, or (no offline_access) with `silent` through the provider's session. */
  #canRenew = (tokens: TokenSet): boolean => tokens.refreshToken !== null || (this.config.silent && window.top === window);

  /** A renewal finishing after a logout or a new login must not bring that session back. */
  #assertStillCurrent(started: StoredSession): void {
    const now = this.#current;
    if (now?.sessionId !== started.sessionId || now.generation !== started.generation) {
      throw new AuthError('login_required', 'The session ended while it was being renewed.');
    }
  }

  async #renewOnce(): Promise<TokenView> {
    const started = this.#current;
    if (!started || !this.#canRenew(started)) throw new AuthError('login_required', 'There is no refresh token; the user must log in again.');
    if (!started.refreshToken) return this.#renewed(started, () => this.#net().then((network) => silentLogin(this.config, network)), 'authorization_failed');
    return withTabLock(`closo-login:renew:${this.#key}:${started.sessionId}`, async () => {
      await nextTask(); // let a renewal broadcast by the tab that held the lock land first
      this.#adoptNewer(this.#store.load());
      const current = this.#current;
      if (!current) throw new AuthError('login_required', 'The session ended while waiting to renew.');
      // Another tab renewed this session while we waited: use its result.
      if (current.generation !== started.generation || current.sessionId !== started.sessionId) return viewOf(current);
      // Storage may lag behind the lock: the mark tells whether this refresh token was already sent.
      const spent = `closo-login:spent:${this.#key}:${current.sessionId}:${current.generation}`;
      if (await isMarked(spent)) return this.#awaitOtherTab(current);
      const releaseMark = await holdMark(spent);
      return this.#renewed(current, () => this.#net().then((network) => refreshTokens(this.config, current, network)), 'refresh_failed', releaseMark);
    });
  }

  /**
   * Adopts a renewal of `started`. A refusal only a new login mends (login_required,
   * id_token_invalid) ends the session; anything else is retried later, and `unspent` called.
   */
  async #renewed(started: StoredSession, renew: () => Promise<TokenSet>, step: 'refresh_failed' | 'authorization_failed', unspent = () => {}): Promise<TokenView> {
    let renewed: TokenSet;
    try {
      renewed = await renew();
      if (!started.refreshToken) assertSameUser(started.claims, renewed.claims);
    } catch (error) {
      const failure = toAuthError(error, step);
      // The session ended or changed meanwhile: this failure is about a session that is over.
      this.#assertStillCurrent(started);
      if (failure.code === 'login_required' || failure.code === 'id_token_invalid') {
        this.#end('session_ended');
        // A refused refresh token is refused in every tab: the session is over everywhere.
        if (started.refreshToken) {
          void this.#dpop?.forget();
          this.#channel.post({ type: 'logout', key: this.#key });
        }
      } else {
        unspent();
        this.#schedule(retryDelay(++this.#failures));
      }
      throw this.#fail(failure);
    }
    this.#assertStillCurrent(started);
    const next: StoredSession = { ...renewed, sessionId: started.sessionId, generation: started.generation + 1 };
    this.#adopt(next);
    if (started.refreshToken) this.#channel.post({ type: 'renewed', key: this.#key, session: this.#shareable(next), sessionId: next.sessionId, generation: next.generation });
    return viewOf(next);
  }

  /** Another tab renewed `current` (its mark is held): wait for its result rather than reuse the spent refresh token. */
  async #awaitOtherTab(current: StoredSession): Promise<TokenView> {
    for (let waited = 0; waited < OTHER_TAB_WAIT_MS && this.#current === current; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.#adoptNewer(this.#store.load());
    }
    const now = this.#current;
    if (!now) throw new AuthError('login_required', 'The session ended while waiting to renew.');
    if (now !== current) return viewOf(now);
    this.#schedule(retryDelay(++this.#failures));
    throw this.#fail(new AuthError('refresh_failed', 'Another tab renewed the session, and its tokens have not reached this tab yet.'));
  }

  /** A completed login (callback, popup or silent sign-in). */
  #begin(tokens: TokenSet): void {
    const session: StoredSession = { ...tokens, sessionId: crypto.randomUUID(), generation: 0 };
    this.#adopt(session);
    this.#channel.post({ type: 'login', key: this.#key, session: this.#shareable(session), sessionId: session.sessionId, generation: 0 });
  }

  /** Takes `session` as the current one, persists it, reschedules renewal and tells the elements. */
  #adopt(session: StoredSession): void {
    this.#current = session;
    this.#lastError = null;
    this.#failures = 0;
    try {
      this.#store.save(session);
    } catch (error) {
      this.#fail(toAuthError(error, 'storage_unavailable'));
    }
    this.#schedule();
    this.#emit({ type: 'token', tokens: viewOf(session) });
  }

  /** Adopts a session another tab renewed, when it is this session's newer generation. */
  #adoptNewer(session: StoredSession | null): void {
    const current = this.#current;
    if (session && current && session.sessionId === current.sessionId && session.generation > current.generation) this.#adopt(session);
  }

  /** Tokens travel between tabs only in the modes where they are stored anyway. */
  #shareable = (session: StoredSession): StoredSession | null => (this.config.storage === 'memory' ? null : session);

  #onTabMessage = (message: TabMessage): void => {
    if (message.key !== this.#key) return;
    if (message.type === 'logout') {
      if (this.#current) this.#end('other_tab');
    } else if (message.type === 'renewed') {
      this.#adoptNewer(message.session);
    } else if (message.type === 'login' && this.config.storage === 'local' && message.session && message.sessionId !== this.#current?.sessionId) {
      this.#adopt(message.session);
    }
  };

  /** Renews at once when a sleeping tab wakes up or the network comes back with a token due. */
  #onWake = (): void => {
    const current = this.#current;
    if (document.visibilityState !== 'visible' || !current || !this.#canRenew(current)) return;
    if (!validFor(current, this.config.renewBefore)) this.renew().catch(() => {});
  };

  /** Schedules the next renewal: in `delay` ms, or when renewal-timing.ts says it is due. */
  #schedule(delay?: number): void {
    clearTimeout(this.#timer);
    const current = this.#current;
    if (!current || !this.#canRenew(current) || current.expiresAt === null) return;
    const due = delay ?? renewalDelay(current.expiresAt, this.config.renewBefore);
    // A longer timer would fire at once: wait the longest a timer can, then schedule again.
    this.#timer = setTimeout(() => (due > MAX_TIMER_MS ? this.#schedule() : this.renew().catch(() => {})), Math.min(due, MAX_TIMER_MS));
  }

  #end(reason: LogoutReason): void {
    const claims = this.#current?.claims ?? null;
    const wasLoggedIn = this.#current !== null;
    clearTimeout(this.#timer);
    this.#dpop?.drop();
    this.#current = null;
    this.#busy = false;
    this.#store.clear();
    if (wasLoggedIn || reason === 'user') this.#emit({ type: 'logout', claims, reason });
  }

  async #withBusy<T>(work: () => Promise<T>): Promise<T> {
    this.#busy = true;
    this.#lastError = null;
    this.#emit({ type: 'busy' });
    try {
      return await work();
    } finally {
      this.#busy = false;
    }
  }

  /** Remembers a login in flight, for getAccessToken() to wait for. */
  #track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.finally(() => { if (this.#pending === tracked) this.#pending = null; });
    return (this.#pending = tracked);
  }

  /** Records and reports `error`; returns it for throwing. */
  #fail(error: AuthError): AuthError {
    this.#lastError = error;
    this.#emit({ type: 'error', error });
    return error;
  }

  #emit(change: SessionChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }
}
