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
import type { LoginConfig } from '../config.js';
import { SessionKey } from './dpop.js';
import { AuthError, toAuthError, type Step } from '../errors.js';
import { logoutUrl, revokeRefreshToken } from './logout.js';
import { answerOpener, popupLogin } from './popup-login.js';
import { discover, type NetworkOptions } from './provider.js';
import { loginRequest, navigate, startLogin, type RequestOptions } from './redirect-login.js';
import { Renewal, type RenewalHost } from './renewal.js';
import { silentLogin } from './silent-login.js';
import { openTabChannel, type TabChannel, type TabMessage } from '../tab-sync.js';
import { forAnotherApi, tokenForApi, type ApiRequest } from './api-tokens.js';
import { isExpired, validFor, viewOf, type IdTokenClaims, type StoredSession, type TokenSet, type TokenView } from './token-set.js';
import { refreshTokenInWorker, storageKey, tokenStore, type TokenStore } from '../token-store.js';
import { openTokenVault, type TokenVault } from './token-vault.js';

/** Where the refresh token lives: in the vault worker, or in the page (persisted modes, or the worker could not start). */
export type TokenIsolation = 'worker' | 'page';

/** Why a session ended: `user` (logout()), `session_ended` (renewal refused, or a new login replaced it), `other_tab`. */
export type LogoutReason = 'user' | 'session_ended' | 'other_tab';

export type SessionChange =
  | { readonly type: 'busy' }
  /** `appState`: what the login that brought these tokens carried (login({ appState })). */
  | { readonly type: 'token'; readonly tokens: TokenView; readonly appState?: unknown }
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
  /** Any JSON value, given back with the tokens of this login, never through the URL. */
  readonly appState?: unknown;
  /** An Auth0 Organization (id or name) to log in to, instead of the configuration's. */
  readonly organization?: string;
  /** An Auth0 Organization invitation to accept. */
  readonly invitation?: string;
}


export const DEFAULT_MIN_VALIDITY = 30;

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
  #started = false;
  /** The DPoP key, when DPoP is on. */
  readonly #dpop: SessionKey | null;
  readonly #renewal: Renewal;
  /** The refresh token's vault (token-vault.ts), opened with the first token request in memory mode. */
  #vault: Promise<TokenVault | null> | null = null;
  #isolation: TokenIsolation | null = null;

  constructor(readonly config: LoginConfig, readonly network: NetworkOptions = {}) {
    this.#store = tokenStore(config);
    this.#key = storageKey(config);
    this.#channel = openTabChannel(`closo-login:${config.clientId}`, this.#onTabMessage);
    this.#dpop = config.dpop === 'off' ? null : new SessionKey(this.#key);
    this.#renewal = new Renewal(this.#renewalHost());
    const wake = () => this.#renewal.wake();
    document.addEventListener('visibilitychange', wake);
    window.addEventListener('online', wake);
  }

  /** What the page may see of the tokens, or null; an expired access token counts as none until renewed. */
  get tokens(): TokenView | null {
    const current = this.#current;
    return current && !isExpired(current) ? viewOf(current) : null;
  }

  /** A login is under way: redirect, callback, popup or silent sign-in. */
  get busy(): boolean { return this.#busy; }

  get lastError(): AuthError | null { return this.#lastError; }

  /** Where this session's refresh token lives, once a session exists (null before). */
  get tokenIsolation(): TokenIsolation | null { return this.#current ? this.#isolation ?? 'page' : null; }

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
      if (this.#renewal.canRenew(stored)) {
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
      : async () => completeLogin(this.config, intake.pending, intake.url, await this.#net()), { step: 'token_exchange_failed', appState: intake.kind === 'accepted' ? intake.pending.appState : undefined });
    return true;
  }

  /**
   * Starts a login with the calling element's `config`. Redirect: resolves once the browser
   * leaves. Popup: in `popup`, the window the caller opened in the click's task (browsers allow
   * popups only there; null when blocked), and resolves once logged in. Failures reject and
   * reach every element; a login while another is under way is ignored.
   */
  login(call: LoginCall = {}, config = this.config, popup?: Window | null): Promise<TokenView | undefined> {
    let request: RequestOptions;
    try {
      request = loginRequest(call, config);
    } catch (error) {
      popup?.close();
      return Promise.reject(this.#fail(toAuthError(error, 'config_invalid')));
    }
    if (this.#busy) {
      popup?.close();
      return Promise.resolve(undefined);
    }
    if (popup !== undefined) {
      if (!popup) return Promise.reject(this.#fail(new AuthError('popup_blocked', 'The browser blocked the login window; allow popups for this site.')));
      return this.#login(async () => popupLogin(config, popup, request, await this.#net()), { rejects: true, appState: request.appState });
    }
    // RFC 9700 §4.16: the provider's login page must not be framed (clickjacking); a popup may be opened instead.
    if (window.top !== window) return Promise.reject(this.#fail(new AuthError('frame_refused', 'A redirect login cannot run inside a frame; use mode="popup" there.')));
    return new Promise((left, failed) => {
      this.#withBusy(async () => {
        const url = await startLogin(config, request, this.network);
        left(undefined);
        await navigate(url, config.timeoutMs);
      }).then(
        () => this.#emit({ type: 'busy' }), // back from the provider through the back/forward cache: nothing happened
        (error: unknown) => failed(this.#fail(toAuthError(error, 'authorization_failed'))),
      );
    });
  }

  /**
   * An access token valid for `minValidity` more seconds, renewed first when needed (one renewal
   * for all callers). With an `audience` (or `scope`) other than the session's: a token for that
   * API (api-tokens.ts).
   */
  async getAccessToken({ minValidity = DEFAULT_MIN_VALIDITY, ...api }: { minValidity?: number } & ApiRequest = {}): Promise<string> {
    while (this.#pending) await this.#pending.catch(() => {});
    if (forAnotherApi(api, this.config)) {
      if (!this.#current) throw new AuthError('login_required', 'Nobody is logged in.');
      return (await tokenForApi(this.#renewalHost(), this.#renewal, { audience: api.audience ?? this.config.audience ?? undefined, scope: api.scope }, minValidity)).accessToken;
    }
    // A renewal in flight is shared, whatever validity each caller asked for.
    if (this.#renewal.pending) return (await this.#renewal.pending).accessToken;
    const current = this.#current;
    if (current && validFor(current, minValidity)) return current.accessToken;
    if (!current || !this.#renewal.canRenew(current)) {
      throw new AuthError('login_required', current ? 'The access token expired and there is no refresh token.' : 'Nobody is logged in.');
    }
    return (await this.renew()).accessToken;
  }

  /** Renews: once at a time in this tab, and once per refresh token across tabs (renewal.ts). */
  async renew(): Promise<TokenView> {
    return viewOf(await this.#renewal.renew());
  }

  /**
   * Ends the session here, in storage and in other tabs, revokes the refresh token, then goes
   * to the provider's logout page (unless `localOnly`). Provider failures still log out locally.
   */
  async logout({ localOnly = false }: { localOnly?: boolean } = {}, config = this.config): Promise<void> {
    const ended = this.#current;
    this.#end('user');
    this.#channel.post({ type: 'logout', key: this.#key });
    if (ended?.refreshToken) {
      const network = await this.#net();
      await revokeRefreshToken(this.config, ended.refreshToken, network);
      // Revoked or not, the vault forgets it (a provider without a revocation endpoint was not asked).
      this.#forget(ended.refreshToken);
    }
    await this.#dpop?.forget();
    if (localOnly) return;
    const url = await logoutUrl(config, ended?.idToken ?? null, this.network);
    if (url) location.assign(url.href);
  }

  /** Calls an API with the current access token (or one for `audience`), renewed first when needed (api-fetch.ts). */
  async fetch(input: RequestInfo | URL, { audience, scope, ...init }: RequestInit & ApiRequest = {}): Promise<Response> {
    return fetchWithToken(input, init, async () => {
      const accessToken = await this.getAccessToken({ ...(audience ? { audience } : {}), ...(scope ? { scope } : {}) });
      const dpop = this.#current?.tokenType === 'DPoP' ? (await this.#net()).dpop : undefined;
      return { accessToken, ...(dpop ? { dpop } : {}) };
    });
  }

  /** Runs a login (`work` yields its tokens): busy meanwhile, then a new session or an error; `step` names unexplained failures. */
  #login(work: () => Promise<TokenSet>, { rejects = false, step = 'authorization_failed' as Step, appState = undefined as unknown } = {}): Promise<TokenView | undefined> {
    const done = this.#track(this.#withBusy(work)).then(
      (tokens) => {
        if (this.#current) this.#end('session_ended');
        return this.#begin(tokens, appState);
      },
      (error: unknown) => {
        throw this.#fail(toAuthError(error, step));
      },
    );
    if (!rejects) done.catch(() => {});
    return done;
  }

  /** The network options for requests: token requests through the vault when it runs, the DPoP handle when DPoP is on. */
  #net = async (): Promise<NetworkOptions> => {
    // Side by side: the vault's worker starts while the DPoP key is loaded or made.
    const [network, dpop] = await Promise.all([this.#tokenNetwork(), this.#dpop?.handle()]);
    return dpop ? { ...network, dpop } : network;
  };

  /**
   * In memory mode, token requests go through the vault worker, so that the refresh token
   * never enters the page (refreshTokenInWorker). It starts with the first token request, in
   * parallel with discovery (which it needs).
   */
  async #tokenNetwork(): Promise<NetworkOptions> {
    if (!refreshTokenInWorker(this.config, this.network)) {
      this.#isolation = 'page';
      return this.network;
    }
    this.#vault ??= openTokenVault(discover(this.config, this.network).then((as) => ({
      tokenEndpoint: as.token_endpoint!,
      revocationEndpoint: as.revocation_endpoint ?? null,
      clientId: this.config.clientId,
    })));
    let vault: TokenVault | null;
    try {
      vault = await this.#vault;
    } catch {
      this.#vault = null; // discovery failed: the request that needs it reports why
      return this.network;
    }
    this.#isolation = vault ? 'worker' : 'page';
    return vault ? { ...this.network, tokenFetch: vault.fetch } : this.network;
  }

  /** Drops `handle` from the vault: its session is over. */
  #forget(handle: string | null | undefined): void {
    if (handle) void this.#vault?.then((vault) => vault?.forget(handle), () => {});
  }

  /** What renewal (renewal.ts) and tokens for other APIs (api-tokens.ts) may do with this session. */
  #renewalHost(): RenewalHost {
    return {
      config: this.config,
      key: this.#key,
      current: () => this.#current,
      catchUp: () => this.#adoptNewer(this.#store.load()),
      adopt: (next, shared, announce = true) => {
        this.#adopt(next, announce);
        if (shared) this.#channel.post({ type: 'renewed', key: this.#key, session: this.#shareable(next), sessionId: next.sessionId, generation: next.generation });
      },
      end: (everywhere) => {
        this.#end('session_ended');
        // A refused refresh token is refused in every tab: the session is over everywhere.
        if (everywhere) {
          void this.#dpop?.forget();
          this.#channel.post({ type: 'logout', key: this.#key });
        }
      },
      fail: (error) => this.#fail(error),
      net: () => this.#net(),
    };
  }

  /** A completed login (callback, popup or silent sign-in); the page's view of it, with the login's app state. */
  #begin(tokens: TokenSet, appState: unknown): TokenView {
    const session: StoredSession = { ...tokens, sessionId: crypto.randomUUID(), generation: 0 };
    this.#adopt(session, true, appState);
    this.#channel.post({ type: 'login', key: this.#key, session: this.#shareable(session), sessionId: session.sessionId, generation: 0 });
    return appState === undefined ? viewOf(session) : { ...viewOf(session), appState } as TokenView;
  }

  /** Takes `session` as the current one, persists it, reschedules renewal and (with `announce`) tells the elements. */
  #adopt(session: StoredSession, announce = true, appState?: unknown): void {
    this.#current = session;
    this.#lastError = null;
    try {
      this.#store.save(session);
    } catch (error) {
      this.#fail(toAuthError(error, 'storage_unavailable'));
    }
    this.#renewal.adopted();
    if (announce) this.#emit({ type: 'token', tokens: viewOf(session), ...(appState === undefined ? {} : { appState }) });
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
      // In memory mode no tab shares its tokens: a session on the channel is forged.
      if (this.config.storage !== 'memory') this.#adoptNewer(message.session);
    } else if (message.type === 'login' && this.config.storage === 'local' && message.session && message.sessionId !== this.#current?.sessionId) {
      this.#adopt(message.session);
    }
  };

  #end(reason: LogoutReason): void {
    const claims = this.#current?.claims ?? null;
    // logout() revokes the refresh token first, then forgets it.
    if (reason !== 'user') this.#forget(this.#current?.refreshToken);
    const wasLoggedIn = this.#current !== null;
    this.#renewal.stop();
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
