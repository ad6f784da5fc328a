/**
 * The session state machine: one login session per (issuer, client, audience, scope, storage,
 * DPoP), shared by every element on the page that asks for those tokens. It owns the tokens
 * (the refresh token never leaves it), the busy state, one code exchange however many
 * elements see the callback, one renewal at a time in this tab and, with the other tabs of
 * the origin, one use of each refresh token. Every outcome reaches every element through
 * subscribe(). The protocol steps are the modules it calls.
 */
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import type {
  AccessTokenOptions, ApiRequest, ExchangedToken, LoginCallOptions, LoginSession, LogoutOptions, LogoutReason, NetworkOptions,
  SessionListener, StoredSession, TokenExchangeOptions, TokenIsolation, TokenSet, TokenView,
} from '../session-contract.js';
import { storageKey, tokenStore, type TokenStore } from '../token-store.js';
import { fetchWithToken } from './api-fetch.js';
import { forAnotherApi, tokenForApi } from './api-tokens.js';
import { completeLogin, intakeCallback } from './callback.js';
import { CancellableLogin } from './cancellable-login.js';
import { SessionKey } from './dpop.js';
import { logoutUrl, revokeRefreshToken } from './logout.js';
import { takeLogoutReturn } from './logout-return.js';
import { toAuthError, type Step } from './oauth-errors.js';
import { passkeyLogin, waitsInAutofill } from './passkeys.js';
import { answerOpener, popupLogin } from './popup-login.js';
import { invitationLogin, loginRequest, navigate, startLogin, type RequestOptions } from './redirect-login.js';
import { Renewal, type RenewalHost } from './renewal.js';
import { joinTabs, type SessionTabs } from './session-tabs.js';
import { stepUp } from './step-up.js';
import { SessionStatus } from './session-status.js';
import { explainSilentRefusal, noteProviderLogin, silentLogin } from './silent-login.js';
import { exchangeLogin, exchangeToken, subjectOf, type SubjectToken } from './token-exchange.js';
import { isExpired, pastCeiling, viewOf } from './token-set.js';
import { TokenRoute } from './token-vault.js';

export const DEFAULT_MIN_VALIDITY = 30;

/**
 * Sessions that tried a silent sign-in on this page: once per page load, also when a disposed
 * session is made again (an element that comes back after a logout must not log the user in).
 */
const silentTried = new Set<string>();

export class Session implements LoginSession {
  readonly #store: TokenStore;
  readonly #key: string;
  readonly #tabs: SessionTabs;
  /** The full session; the refresh token inside never leaves this object. */
  #current: StoredSession | null = null;
  /** Busy, the last error, and the elements listening. */
  readonly #status = new SessionStatus();
  #started = false;
  /** The DPoP key, when DPoP is on. */
  readonly #dpop: SessionKey | null;
  readonly #renewal: Renewal;
  /** Where token requests go: through the refresh token's vault worker in memory mode (token-vault.ts). */
  readonly #route: TokenRoute;
  /** The silent sign-in at page start, or a popup login whose window looks closed: a login() cancels them. */
  readonly #cancellable = new CancellableLogin();

  constructor(readonly config: LoginConfig, readonly network: NetworkOptions = {}) {
    this.#store = tokenStore(config);
    this.#key = storageKey(config);
    this.#tabs = joinTabs(config, this.#key, {
      onLogout: () => { if (this.#current) this.#end('other_tab'); },
      onRenewal: (session) => this.#adoptNewer(session),
      onLogin: (session) => { if (session.sessionId !== this.#current?.sessionId) this.#adopt(session); },
    });
    this.#dpop = config.dpop === 'off' ? null : new SessionKey(this.#key);
    this.#renewal = new Renewal(this.#renewalHost());
    this.#route = new TokenRoute(config, network);
  }

  /** What the page may see of the tokens, or null; an expired access token counts as none until renewed. */
  get tokens(): TokenView | null {
    const current = this.#current;
    return current && !isExpired(current) && !pastCeiling(current) ? viewOf(current) : null;
  }

  /** A login is under way: redirect, callback, popup or silent sign-in. */
  get busy(): boolean { return this.#status.busy; }

  /** Busy only with a login that a login() cancels (cancellable-login.ts). */
  get yieldsToLogin(): boolean { return this.#cancellable.yields; }

  get lastError(): AuthError | null { return this.#status.lastError; }

  /** Where this session's refresh token lives, once a session exists (null before). */
  get tokenIsolation(): TokenIsolation | null { return this.#current ? this.#route.isolation ?? 'page' : null; }

  subscribe(listener: SessionListener): () => void {
    return this.#status.subscribe(listener);
  }

  /**
   * When an element attaches: completes a callback on this URL, else (once) accepts an
   * invitation link's invitation (accept-invitation), or restores from storage or by silent sign-in.
   */
  start(href: string): void {
    if (this.#started || this.handleCallback(href)) return;
    this.#started = true;
    takeLogoutReturn(this.config.clientId, href);
    const invited = this.config.acceptInvitation && window.top === window ? invitationLogin(href) : null;
    if (invited) return void this.login(invited).catch(() => {});
    const stored = this.#store.load();
    if (stored && pastCeiling(stored)) {
      this.#store.clear(); // over while the page was closed: nothing to restore, nothing to renew
    } else if (stored && isExpired(stored)) {
      // Expired while the page was closed: renewed before anyone sees it, or forgotten.
      if (this.#renewal.canRenew(stored)) {
        this.#current = stored;
        this.renew().catch(() => {});
      } else {
        this.#store.clear();
      }
    } else if (stored) {
      this.#adopt(stored); // valid: no network request
    } else if (this.config.silent && window.top === window && !silentTried.has(this.#key)) {
      silentTried.add(this.#key);
      const cancel = new AbortController();
      const done = this.#login(async () => silentLogin(this.config, await this.#net(), { cancel: cancel.signal }), { cancel: cancel.signal })
        .catch((error: AuthError) => explainSilentRefusal(this.config, error));
      this.#cancellable.hold(done, cancel, () => true);
    }
  }

  /** Completes `href` once, however many elements ask, when callback.ts takes it; false when the URL is left alone. */
  handleCallback(href: string): boolean {
    const intake = intakeCallback(href, this.config, { forward: answerOpener });
    if (intake.kind === 'none') return false;
    this.#started = true;
    if (intake.kind === 'unreadable') this.#status.fail(intake.error);
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
  login(call: LoginCallOptions = {}, config = this.config, popup?: Window | null): Promise<TokenView | undefined> {
    let request: RequestOptions;
    let subject: SubjectToken | null;
    try {
      request = loginRequest(call, config);
      subject = subjectOf(call);
    } catch (error) {
      popup?.close();
      return Promise.reject(this.#status.fail(toAuthError(error, 'config_invalid')));
    }
    // A wait in autofill gives way to everything, and waits for nobody logged in (passkeys.ts).
    if (waitsInAutofill(call) && (this.#status.busy || this.#cancellable.yields || this.#current)) return Promise.resolve(undefined);
    // The user wants a login now: the silent sign-in, the popup they closed, a wait in autofill give way.
    const cancelled = this.#cancellable.cancel();
    if (cancelled) return cancelled.then(() => this.login(call, config, popup));
    if (this.#status.busy) return Promise.resolve(void popup?.close()); // one login at a time: this one is dropped
    const login = (work: () => Promise<TokenSet>, step?: Step) => this.#login(work, { rejects: true, appState: request.appState, ...(step ? { step } : {}) });
    // A passkey (passkeys.ts), or a token from elsewhere (RFC 8693): no provider page, so no popup and no frame rule.
    if (call.passkey) return passkeyLogin(call, config, request.organization ?? null, { login: (work) => login(work, 'passkey_refused'), net: this.#net,
      fail: (error) => this.#status.fail(error), hold: (done, cancel, when) => this.#cancellable.hold(done, cancel, when) });
    if (subject) return login(async () => exchangeLogin(config, subject, request.organization ?? null, await this.#net()), 'token_exchange_failed');
    if (popup !== undefined) {
      if (!popup) return Promise.reject(this.#status.fail(new AuthError('popup_blocked', 'The browser blocked the login window; allow popups for this site.')));
      const cancel = new AbortController();
      const done = login(async () => popupLogin(config, popup, request, await this.#net(), cancel.signal));
      this.#cancellable.hold(done, cancel, () => popup.closed);
      return done;
    }
    // RFC 9700 §4.16: the provider's login page must not be framed (clickjacking); a popup may be opened instead.
    if (window.top !== window) return Promise.reject(this.#status.fail(new AuthError('frame_refused', 'A redirect login cannot run inside a frame; use mode="popup" there.')));
    return new Promise((left, failed) => {
      this.#status.whileBusy(async () => {
        const url = await startLogin(config, request, this.network);
        left(undefined);
        await navigate(url, config.timeoutMs);
      }).then(
        () => this.#status.emit({ type: 'busy' }), // back from the provider through the back/forward cache: nothing happened
        (error: unknown) => failed(this.#status.fail(toAuthError(error, 'authorization_failed'))),
      );
    });
  }

  /**
   * An access token valid for `minValidity` more seconds, renewed first when needed (one renewal
   * for all callers). With an `audience` (or `scope`) other than the session's: a token for that
   * API (api-tokens.ts).
   */
  async getAccessToken(options: AccessTokenOptions = {}): Promise<string> {
    return this.#accessToken(options).catch((error: unknown) =>
      stepUp(error, this.config, (call, popup) => this.login(call, this.config, popup), () => this.#accessToken(options)));
  }

  async #accessToken({ minValidity = DEFAULT_MIN_VALIDITY, ...api }: AccessTokenOptions): Promise<string> {
    while (this.#status.pending) await this.#status.pending.catch(() => {});
    if (!forAnotherApi(api, this.config)) return this.#renewal.accessToken(minValidity);
    if (!this.#current) throw new AuthError('login_required', 'Nobody is logged in.');
    this.#renewal.checkCeiling();
    return (await tokenForApi(this.#renewalHost(), this.#renewal, { audience: api.audience ?? this.config.audience ?? undefined, scope: api.scope }, minValidity)).accessToken;
  }

  /** A token for the caller, exchanged for `options.subjectToken` (token-exchange.ts): no session is touched, no event fires. */
  async exchangeToken(options: TokenExchangeOptions): Promise<ExchangedToken> {
    return exchangeToken(this.config, options, await this.#net(), (refreshToken) => this.#route.forget(refreshToken));
  }

  /** Renews: once at a time in this tab, and once per refresh token across tabs (renewal.ts). */
  async renew(): Promise<TokenView> {
    return viewOf(await this.#renewal.renew());
  }

  /**
   * Ends the session here, in storage and in other tabs, revokes the refresh token, then goes
   * to the provider's logout page (unless `localOnly`). Provider failures still log out locally.
   */
  async logout({ localOnly = false }: LogoutOptions = {}, config = this.config): Promise<void> {
    const ended = this.#current;
    this.#end('user');
    noteProviderLogin(this.config, false);
    this.#tabs.announceLogout();
    const handle = ended?.refreshToken;
    // Revoked or not, the vault forgets it (a provider without a revocation endpoint was not asked).
    if (handle) await revokeRefreshToken(this.config, handle, await this.#net()).finally(() => this.#route.forget(handle));
    await this.#dpop?.forget();
    const url = localOnly ? null : await logoutUrl(config, ended?.idToken ?? null, this.network);
    if (url) location.assign(url.href);
  }

  /** Calls an API with the current access token (or one for `audience`), renewed first when needed (api-fetch.ts). */
  async fetch(input: RequestInfo | URL, { audience, scope, ...init }: RequestInit & ApiRequest = {}): Promise<Response> {
    const call = () => fetchWithToken(input, init, async () => {
      const accessToken = await this.getAccessToken({ ...(audience ? { audience } : {}), ...(scope ? { scope } : {}) });
      const dpop = this.#current?.tokenType === 'DPoP' ? (await this.#net()).dpop : undefined;
      return { accessToken, ...(dpop ? { dpop } : {}) };
    });
    // An API asking for a stronger login (RFC 9470): with interactive-errors="popup", a popup gets it, then the call again.
    return call().catch((error: unknown) => stepUp(error, this.config, (login, popup) => this.login(login, this.config, popup), call));
  }

  /**
   * Releases what the session holds in the page (its tab channel, listeners, timers and vault
   * worker) once nobody is logged in and no login is under way; false, releasing nothing, before.
   */
  dispose(): boolean {
    if (this.#current || this.#status.busy || this.#status.pending) return false;
    this.#cancellable.cancel(); // a wait in autofill: nobody shows its field any more
    this.#renewal.close();
    this.#tabs.close();
    this.#route.close();
    this.#status.close();
    return true;
  }

  /**
   * Runs a login (`work` yields its tokens): busy meanwhile, then a new session or an error; `step`
   * names unexplained failures. One `cancel`led ends quietly: the login that cancelled it follows.
   */
  #login(work: () => Promise<TokenSet>, { rejects = false, step = 'authorization_failed' as Step, appState = undefined as unknown, cancel = undefined as AbortSignal | undefined } = {}): Promise<TokenView | undefined> {
    const done = this.#status.track(this.#status.whileBusy(work)).then(
      (tokens) => {
        if (this.#current) this.#end('session_ended');
        return this.#begin(tokens, appState);
      },
      (error: unknown) => {
        if (cancel?.aborted) return undefined;
        throw this.#status.fail(toAuthError(error, step));
      },
    );
    if (!rejects) done.catch(() => {});
    return done;
  }

  /** The network options: token requests through the vault when it runs, the DPoP handle when DPoP is on (made while the vault starts). */
  #net = async (): Promise<NetworkOptions> => {
    const [network, dpop] = await Promise.all([this.#route.options(), this.#dpop?.handle()]);
    return dpop ? { ...network, dpop } : network;
  };

  /** What renewal (renewal.ts) and tokens for other APIs (api-tokens.ts) may do with this session. */
  #renewalHost(): RenewalHost {
    return {
      config: this.config,
      key: this.#key,
      current: () => this.#current,
      catchUp: () => this.#adoptNewer(this.#store.load()),
      // A renewal this tab made (`shared`) reaches the other tabs.
      adopt: (next, shared, announce = true) => { this.#adopt(next, announce); if (shared) this.#tabs.announceRenewal(next); },
      end: (everywhere) => {
        this.#end('session_ended');
        // A refused refresh token is refused in every tab: the session is over everywhere.
        if (everywhere) void Promise.all([this.#dpop?.forget(), this.#tabs.announceLogout()]);
      },
      fail: (error) => this.#status.fail(error),
      expiring: (expiresAt) => this.#status.emit({ type: 'expiring', expiresAt }),
      net: () => this.#net(),
    };
  }

  /** A completed login (callback, popup or silent sign-in); the page's view of it, with the login's app state. */
  #begin(tokens: TokenSet, appState: unknown): TokenView {
    noteProviderLogin(this.config, true);
    const session: StoredSession = { ...tokens, sessionId: crypto.randomUUID(), generation: 0 };
    this.#adopt(session, true, appState);
    this.#tabs.announceLogin(session);
    return appState === undefined ? viewOf(session) : { ...viewOf(session), appState } as TokenView;
  }

  /** Takes `session` as the current one, persists it, reschedules renewal and (with `announce`) tells the elements. */
  #adopt(session: StoredSession, announce = true, appState?: unknown): void {
    this.#current = session;
    this.#status.cleared();
    try {
      this.#store.save(session);
    } catch (error) {
      this.#status.fail(toAuthError(error, 'storage_unavailable'));
    }
    this.#renewal.adopted();
    if (announce) this.#status.emit({ type: 'token', tokens: viewOf(session), ...(appState === undefined ? {} : { appState }) });
  }

  /** Adopts a session another tab renewed, when it is this session's newer generation. */
  #adoptNewer(session: StoredSession | null): void {
    const current = this.#current;
    if (session && current && session.sessionId === current.sessionId && session.generation > current.generation) this.#adopt(session);
  }

  #end(reason: LogoutReason): void {
    const claims = this.#current?.claims ?? null;
    // logout() revokes the refresh token first, then forgets it.
    if (reason !== 'user') this.#route.forget(this.#current?.refreshToken);
    const wasLoggedIn = this.#current !== null;
    this.#renewal.stop();
    this.#dpop?.drop();
    this.#current = null;
    this.#status.ended();
    this.#store.clear();
    if (wasLoggedIn || reason === 'user') this.#status.emit({ type: 'logout', claims, reason });
  }
}
