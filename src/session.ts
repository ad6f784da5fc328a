/**
 * One login session per (issuer, client, audience), shared by every element on the page
 * that has that configuration: one code exchange, one renewal at a time, one set of
 * tokens in memory. It also restores sessions after a reload, renews before expiry and
 * keeps tabs in step.
 */
import type { DPoPHandle } from 'oauth4webapi';
import { fetchWithToken } from './api-fetch.js';
import type { NetworkOptions, TokenSet } from './authorization-server.js';
import { MAX_RESPONSE_LENGTH, readAuthorizationResponse, sameEndpoint } from './authorization-response.js';
import { sameOriginPath, type LoginConfig } from './config.js';
import { deleteDpopKey, dpopHandle, dpopKeyPair } from './dpop.js';
import { AuthError, toAuthError } from './errors.js';
import type { IdTokenClaims, LogoutReason, TokenEventDetail } from './events.js';
import { completeLogin, startLogin } from './login-flow.js';
import { logoutUrl, revokeRefreshToken } from './logout-flow.js';
import { answerOpener, popupLogin } from './popup-login.js';
import { refreshTokens } from './refresh.js';
import { silentLogin } from './silent-login.js';
import { listPendingLogins, readPendingLogin, takePendingLogin, type PendingLogin } from './storage.js';
import { holdMark, isMarked, nextTask, openTabChannel, withTabLock, type TabChannel, type TabMessage } from './tab-sync.js';
import { storageKey, tokenStore, type StoredSession, type TokenStore } from './token-store.js';

export type SessionChange =
  | { readonly type: 'busy' }
  | { readonly type: 'token'; readonly tokens: TokenEventDetail }
  | { readonly type: 'logout'; readonly claims: IdTokenClaims | null; readonly reason: LogoutReason }
  | { readonly type: 'error'; readonly error: AuthError };

export type SessionListener = (change: SessionChange) => void;

export const DEFAULT_MIN_VALIDITY = 30;
/** Upper bound of the random delay added to scheduled renewals, so tabs and clients don't renew in lockstep. */
const RENEWAL_JITTER_MS = 5_000;
const RETRY_AFTER_FAILURE_MS = 30_000;
const MAX_RETRY_MS = 10 * 60_000;
/** How long a tab waits for the tokens another tab renewed to arrive (storage or BroadcastChannel). */
const OTHER_TAB_WAIT_MS = 3_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

const expired = (t: TokenSet): boolean => t.expiresAt !== null && t.expiresAt <= Date.now();

const publicPart = (t: TokenSet): TokenEventDetail => Object.freeze({
  accessToken: t.accessToken,
  tokenType: t.tokenType,
  expiresAt: t.expiresAt,
  scope: t.scope,
  audience: t.audience,
  idToken: t.idToken,
  claims: t.claims,
});

export class Session {
  readonly config: LoginConfig;
  readonly network: NetworkOptions;
  readonly #store: TokenStore;
  readonly #key: string;
  readonly #channel: TabChannel;
  /** The full session; the refresh token inside never leaves this object. */
  #current: StoredSession | null = null;
  #busy = false;
  #lastError: AuthError | null = null;
  readonly #listeners = new Set<SessionListener>();
  /** A login in flight that getAccessToken() waits for: a callback or a silent sign-in. */
  #pending: Promise<unknown> | null = null;
  #renewal: Promise<TokenEventDetail> | null = null;
  #started = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dpop: Promise<DPoPHandle> | null = null;
  /** Renewals failed in a row, for the retry back-off. */
  #failures = 0;

  constructor(config: LoginConfig, network: NetworkOptions = {}) {
    this.config = config;
    this.network = network;
    this.#store = tokenStore(config);
    this.#key = storageKey(config);
    this.#channel = openTabChannel(`closo-login:${config.clientId}`, this.#onTabMessage);
    document.addEventListener('visibilitychange', this.#onWake);
    window.addEventListener('online', this.#onWake);
  }

  /** What the page may see of the tokens, or null; an expired access token counts as none until renewed. */
  get tokens(): TokenEventDetail | null {
    const current = this.#current;
    return current && !expired(current) ? publicPart(current) : null;
  }

  get busy(): boolean {
    return this.#busy;
  }

  get lastError(): AuthError | null {
    return this.#lastError;
  }

  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Called when an element attaches: completes a callback on this URL if there is one,
   * else (once per page) restores the session from storage or by silent sign-in.
   */
  start(href: string): void {
    if (this.#started) return;
    const response = readAuthorizationResponse(href);
    try {
      // A response to a login this window started is completed here (redirect flow)...
      const ownLogin = response?.state ? readPendingLogin(this.config.clientId, response.state) : null;
      // ...one arriving in a popup that a page of this origin opened goes to that page.
      if (response && !ownLogin && answerOpener(href)) {
        this.#started = true;
        return;
      }
      // Inside a frame (our own silent sign-in iframe, say) nothing is completed or consumed:
      // interactive logins never run in frames (RFC 9700 §4.16).
      if (window.top === window && this.handleCallback(href)) return;
    } catch (error) {
      // Storage failed while a response sat on our redirect URI: it cannot be checked, and it
      // must not stay in the address bar either. Reported once.
      this.#started = true;
      if (response && sameEndpoint(this.config.redirectUri, response.url)) history.replaceState(history.state, '', location.pathname);
      throw error;
    }
    this.#started = true;
    const stored = this.#store.load();
    if (stored && expired(stored)) {
      // Expired while the page was closed: renewed before anyone sees it (tokens hides it meanwhile),
      // or forgotten when nothing can renew it.
      if (stored.refreshToken || this.#canRenewSilently()) {
        this.#current = stored;
        this.renew().catch(() => {});
      } else {
        this.#store.clear();
      }
    } else if (stored) {
      this.#adopt(stored); // valid: no network request
    } else if (this.config.silent && window.top === window) {
      this.#track(this.#withBusy(async () => silentLogin(this.config, await this.#net()))).then(
        (tokens) => this.#begin(tokens),
        (error: unknown) => this.#fail(toAuthError(error, 'authorization_failed')),
      );
    }
  }

  /**
   * Starts a login: discovery, PKCE, pending login, then navigation to the provider.
   * `returnTo` must be a same-origin path; anything else falls back to the current page.
   */
  async login(options: { returnTo?: string; authorizationParams?: Readonly<Record<string, string>> } = {}, config = this.config): Promise<void> {
    // RFC 9700 §4.16: the provider's login page must not be framed (clickjacking); a popup may be opened instead.
    if (window.top !== window) {
      throw new AuthError('frame_refused', 'A redirect login cannot run inside a frame; use mode="popup" there.');
    }
    const here = location.pathname + location.search + location.hash;
    const returnTo = (options.returnTo !== undefined && sameOriginPath(options.returnTo, location.origin)) || here;
    const url = await startLogin(config, {
      returnTo,
      ...(options.authorizationParams ? { authorizationParams: options.authorizationParams } : {}),
    }, this.network);
    location.assign(url.href);
  }

  /** Completes a login in `popup`, a window the caller opened in the click's task. */
  async loginWithPopup(popup: Window, options: { authorizationParams?: Readonly<Record<string, string>>; timeoutMs?: number } = {}, config = this.config): Promise<void> {
    try {
      const tokens = await this.#track(this.#withBusy(async () =>
        popupLogin(config, popup, options.authorizationParams, await this.#net(), options.timeoutMs)));
      if (this.#current) this.#end('session_ended');
      this.#begin(tokens);
    } catch (error) {
      const failure = toAuthError(error, 'authorization_failed');
      this.#fail(failure);
      throw failure;
    }
  }

  /**
   * When `href` is an authorization response to one of this session's pending logins,
   * completes it (once, however many elements ask) and returns true; else false and
   * the URL is left alone.
   */
  handleCallback(href: string): boolean {
    const response = readAuthorizationResponse(href);
    if (!response) return false;
    const ours = (login: PendingLogin | null): login is PendingLogin =>
      login !== null && login.issuer === this.config.issuer && login.audience === this.config.audience;
    const matching = response.state ? readPendingLogin(this.config.clientId, response.state) : null;
    if (matching && !ours(matching)) return false; // another element's login
    // A response without our state on the redirect URI of a login this tab is waiting for:
    // tampered or replayed. It ends that login (REJECT), rather than being left for later.
    const answered = ours(matching) ? [matching] : listPendingLogins(this.config.clientId)
      .filter((login) => ours(login) && sameEndpoint(login.redirectUri, response.url));
    if (answered.length === 0) return false; // not ours: leave the URL alone
    // Single use: removed before anything validates it.
    const taken = answered.map((login) => takePendingLogin(this.config.clientId, login.state));
    this.#started = true;
    // The response leaves the address bar at once, without a reload or a history entry.
    history.replaceState(history.state, '', sameOriginPath(answered[0]!.returnTo, location.origin) ?? location.pathname);
    // Whoever was logged in before is not while a new login completes (user switching).
    if (this.#current) this.#end('session_ended');
    const pending = taken[0];
    const rejection = !pending || !ours(matching)
      ? new AuthError(response.hasState ? 'state_mismatch' : 'state_missing', 'The authorization response does not carry the state of the pending login.')
      : response.inFragment
        ? new AuthError('authorization_failed', 'The authorization response came in the URL fragment; a query response was requested.')
        : href.length > MAX_RESPONSE_LENGTH
          ? new AuthError('authorization_failed', 'The authorization response is implausibly large; it was not processed.')
          : null;
    const work = rejection ? Promise.reject(rejection) : this.#net().then((network) => completeLogin(this.config, pending!, response.url, network));
    this.#track(this.#withBusy(() => work)).then(
      (tokens) => this.#begin(tokens),
      (error: unknown) => this.#fail(toAuthError(error, 'token_exchange_failed')),
    );
    return true;
  }

  /**
   * An access token valid for at least `minValidity` seconds, renewing first when
   * needed. Concurrent callers share one renewal. Rejects with `login_required` when no
   * session can be had without the user.
   */
  async getAccessToken({ minValidity = DEFAULT_MIN_VALIDITY }: { minValidity?: number } = {}): Promise<string> {
    while (this.#pending) await this.#pending.catch(() => {});
    // A renewal in flight is shared, whatever validity each caller asked for.
    if (this.#renewal) return (await this.#renewal).accessToken;
    if (this.#current && this.#validFor(minValidity)) return this.#current.accessToken;
    if (!this.#current || (!this.#current.refreshToken && !this.#canRenewSilently())) {
      throw new AuthError('login_required', this.#current ? 'The access token expired and there is no refresh token.' : 'Nobody is logged in.');
    }
    return (await this.renew()).accessToken;
  }

  /** Renews with the refresh token: once at a time in this tab, and once per refresh token across tabs. */
  renew(): Promise<TokenEventDetail> {
    this.#renewal ??= this.#renewOnce().finally(() => { this.#renewal = null; });
    return this.#renewal;
  }

  /**
   * Ends the session: tokens cleared here, in storage and in other tabs, `logout`
   * dispatched, the refresh token revoked, then the provider's logout page (unless
   * `localOnly`). Failures on the provider's side still leave the browser logged out.
   */
  async logout({ localOnly = false }: { localOnly?: boolean } = {}, config = this.config): Promise<void> {
    const ended = this.#current;
    this.#end('user');
    this.#channel.post({ type: 'logout', key: this.#key });
    if (ended?.refreshToken) await revokeRefreshToken(this.config, ended.refreshToken, await this.#net());
    await this.#forgetDpopKey();
    if (localOnly) return;
    const url = await logoutUrl(config, ended?.idToken ?? null, this.network);
    if (url) location.assign(url.href);
  }

  /**
   * Calls an API with the current access token, renewed first when needed (see api-fetch.ts).
   * Resolves with the API's Response, whatever its status.
   */
  async fetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    return fetchWithToken(input, init, async () => {
      const accessToken = await this.getAccessToken();
      const dpop = this.#current?.tokenType === 'DPoP' ? (await this.#net()).dpop : undefined;
      return { accessToken, ...(dpop ? { dpop } : {}) };
    });
  }

  /** The network options for requests, with the DPoP handle when DPoP is on. */
  async #net(): Promise<NetworkOptions> {
    if (this.config.dpop === 'off') return this.network;
    // One key per session configuration, under the same name as its stored tokens.
    this.#dpop ??= dpopKeyPair(this.#key).then(dpopHandle);
    return { ...this.network, dpop: await this.#dpop };
  }

  async #forgetDpopKey(): Promise<void> {
    if (this.config.dpop === 'off') return;
    this.#dpop = null;
    await deleteDpopKey(this.#key);
  }

  /**
   * A renewal that finishes after a logout, a logout in another tab or a new login belongs
   * to a session that is over: its result must not bring that session back.
   */
  #assertStillCurrent(started: StoredSession): void {
    const now = this.#current;
    if (now?.sessionId !== started.sessionId || now.generation !== started.generation) {
      throw new AuthError('login_required', 'The session ended while it was being renewed.');
    }
  }

  /** Without a refresh token (no offline_access), `silent` renews through the provider's session instead. */
  #canRenewSilently(): boolean {
    return this.config.silent && window.top === window;
  }

  async #renewSilently(started: StoredSession): Promise<TokenEventDetail> {
    let renewed: TokenSet;
    try {
      renewed = await silentLogin(this.config, await this.#net());
    } catch (error) {
      const failure = toAuthError(error, 'authorization_failed');
      this.#assertStillCurrent(started);
      if (failure.code === 'login_required') this.#end('session_ended');
      else this.#retryLater();
      this.#fail(failure);
      throw failure;
    }
    this.#assertStillCurrent(started);
    // The same user, or the answer is not a renewal of this session (OpenID Connect Core §12.2 by analogy).
    if (renewed.claims.iss !== started.claims.iss || renewed.claims.sub !== started.claims.sub) {
      const failure = new AuthError('id_token_invalid', 'The silent sign-in answered for another user.');
      this.#end('session_ended');
      this.#fail(failure);
      throw failure;
    }
    const next: StoredSession = { ...renewed, sessionId: started.sessionId, generation: started.generation + 1 };
    this.#adopt(next);
    return publicPart(next);
  }

  async #renewOnce(): Promise<TokenEventDetail> {
    const started = this.#current;
    if (started && !started.refreshToken && this.#canRenewSilently()) return this.#renewSilently(started);
    if (!started?.refreshToken) throw new AuthError('login_required', 'There is no refresh token; the user must log in again.');
    return withTabLock(`closo-login:renew:${this.#key}:${started.sessionId}`, async () => {
      await nextTask(); // let a renewal broadcast by the tab that held the lock land first
      this.#adoptNewer(this.#store.load());
      const current = this.#current;
      if (!current) throw new AuthError('login_required', 'The session ended while waiting to renew.');
      // Another tab renewed this session while we waited: use its result.
      if (current.generation !== started.generation || current.sessionId !== started.sessionId) return publicPart(current);
      // Storage may lag behind the lock: the mark tells whether this refresh token was already sent.
      const spent = `closo-login:spent:${this.#key}:${current.sessionId}:${current.generation}`;
      if (await isMarked(spent)) return this.#awaitOtherTab(current);
      const releaseMark = await holdMark(spent);
      let renewed: TokenSet;
      try {
        renewed = await refreshTokens(this.config, current, await this.#net());
      } catch (error) {
        const failure = toAuthError(error, 'refresh_failed');
        // The session ended or changed meanwhile: this failure is about a session that is over.
        this.#assertStillCurrent(current);
        if (failure.code === 'login_required' || failure.code === 'id_token_invalid') {
          // Expired, revoked or reused refresh token: the session is over, everywhere. No retry.
          this.#end('session_ended');
          void this.#forgetDpopKey();
          this.#channel.post({ type: 'logout', key: this.#key });
        } else {
          releaseMark(); // not answered, or refused unprocessed: the refresh token is still good
          this.#retryLater();
        }
        this.#fail(failure);
        throw failure;
      }
      this.#assertStillCurrent(current);
      const next: StoredSession = { ...renewed, sessionId: current.sessionId, generation: current.generation + 1 };
      this.#adopt(next);
      this.#channel.post({ type: 'renewed', key: this.#key, session: this.#shareable(next), sessionId: next.sessionId, generation: next.generation });
      return publicPart(next);
    });
  }

  /** Another tab renewed `current` (its mark is held): wait for its result rather than reuse the spent refresh token. */
  async #awaitOtherTab(current: StoredSession): Promise<TokenEventDetail> {
    for (let waited = 0; waited < OTHER_TAB_WAIT_MS && this.#current === current; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.#adoptNewer(this.#store.load());
    }
    const now = this.#current;
    if (!now) throw new AuthError('login_required', 'The session ended while waiting to renew.');
    if (now !== current) return publicPart(now);
    const failure = new AuthError('refresh_failed', 'Another tab renewed the session, and its tokens have not reached this tab yet.');
    this.#retryLater();
    this.#fail(failure);
    throw failure;
  }

  /** Retries a failed renewal later, waiting twice as long after each failure in a row (capped). */
  #retryLater(): void {
    this.#schedule(Math.min(RETRY_AFTER_FAILURE_MS * 2 ** this.#failures++, MAX_RETRY_MS));
  }

  /** A completed login (callback or silent sign-in). */
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
    this.#emit({ type: 'token', tokens: publicPart(session) });
  }

  /** Adopts a session another tab renewed, when it is this session's newer generation. */
  #adoptNewer(session: StoredSession | null): void {
    const current = this.#current;
    if (session && current && session.sessionId === current.sessionId && session.generation > current.generation) this.#adopt(session);
  }

  /** Tokens travel between tabs only in the modes where they are stored anyway. */
  #shareable(session: StoredSession): StoredSession | null {
    return this.config.storage === 'memory' ? null : session;
  }

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
    if (document.visibilityState !== 'visible' || !this.#current || (!this.#current.refreshToken && !this.#canRenewSilently())) return;
    if (!this.#validFor(this.config.renewBefore)) this.renew().catch(() => {});
  };

  #schedule(delay?: number): void {
    clearTimeout(this.#timer);
    const current = this.#current;
    if (!current || (!current.refreshToken && !this.#canRenewSilently()) || current.expiresAt === null) return;
    if (delay === undefined) {
      const remaining = current.expiresAt - Date.now();
      // Renew `renewBefore` seconds ahead, but never sooner than half-way through a short-lived token.
      delay = Math.max(remaining - this.config.renewBefore * 1000 - Math.random() * RENEWAL_JITTER_MS, remaining / 2, 1_000);
    }
    // Browsers fire longer timers at once (over 2^31 - 1 ms, ~24.8 days): wait the longest
    // a timer can, then schedule again.
    const due = delay;
    this.#timer = setTimeout(() => (due > MAX_TIMER_MS ? this.#schedule() : this.renew().catch(() => {})), Math.min(due, MAX_TIMER_MS));
  }

  #validFor(seconds: number): boolean {
    const expiresAt = this.#current?.expiresAt;
    return expiresAt === null || (expiresAt !== undefined && expiresAt - Date.now() > seconds * 1000);
  }

  #end(reason: LogoutReason): void {
    const claims = this.#current?.claims ?? null;
    const wasLoggedIn = this.#current !== null;
    clearTimeout(this.#timer);
    // The key may be deleted (here or by the tab that logged out): the next login gets a fresh one.
    this.#dpop = null;
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

  #track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.finally(() => {
      if (this.#pending === tracked) this.#pending = null;
    });
    this.#pending = tracked;
    return tracked;
  }

  #fail(error: AuthError): void {
    this.#lastError = error;
    this.#emit({ type: 'error', error });
  }

  #emit(change: SessionChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }
}

const sessions = new Map<string, Session>();

/**
 * The page's session for this configuration, created on first use. Elements share one when
 * they ask for the same tokens, kept the same way: issuer, client, audience, scope, storage and
 * DPoP. The rest (redirect URI, parameters, logout URI) travels with each call; renewal
 * settings (renew-before, timeout, silent) are those of the element that came first.
 */
export function sessionFor(config: LoginConfig, network: NetworkOptions = {}): Session {
  const key = JSON.stringify([config.issuer, config.clientId, config.audience, config.scope, config.storage, config.dpop]);
  let session = sessions.get(key);
  if (!session) {
    session = new Session(config, network);
    sessions.set(key, session);
  }
  return session;
}
