/**
 * The page's sessions, and the line between what every page loads (src/core/) and what only a
 * page that logs someone in loads (src/core/session/). Elements share a session when they ask
 * for the same tokens, kept the same way: issuer, client, audience, scope, storage and DPoP.
 * The rest (redirect URI, parameters, logout URI, mode) travels with each call; renewal
 * settings (renew-before, timeout, silent) are those of the element that came first.
 *
 * A page that shows a logged-out button needs none of the protocol: a SessionHandle stands in
 * for the session (session-contract.ts's LoginSession) and loads its code (session/session.ts
 * and everything it imports, oauth4webapi included: one more file in the drop-in build) when it
 * is needed: on a click, when the URL may be a callback, when a stored session or `silent`
 * needs it, or when another tab logs in.
 */
import { mightBeCallback } from './callback-params.js';
import type { LoginConfig } from './config.js';
import { AuthError } from './errors.js';
import { inPopup, openPopup } from './popup-window.js';
import type {
  AccessTokenOptions, ApiRequest, ExchangedToken, LoginCallOptions, LoginSession, LogoutOptions, NetworkOptions, SessionChange, SessionListener,
  TokenExchangeOptions, TokenIsolation, TokenView,
} from './session-contract.js';
import { openTabChannel, type TabChannel } from './tab-sync.js';
import { refreshTokenInWorker, storageKey, tokenStore } from './token-store.js';
import { startTokenWorker } from './token-worker-start.js';

/**
 * Stands for the page's session of one configuration; the session itself is loaded on demand.
 * Once no element listens and nobody is logged in, it is disposed (#release).
 */
export class SessionHandle {
  readonly #listeners = new Set<SessionListener>();
  #session: LoginSession | null = null;
  #loading: Promise<LoginSession> | null = null;
  /** Busy loading the session's code for a login the user asked for. */
  #busy = false;
  #lastError: AuthError | null = null;
  #started: string | null = null;
  /** With storage="local": hears a login in another tab before the session's code has loaded. */
  #otherTabs: TabChannel | null = null;
  #disposed = false;

  /** `onDispose`: the page forgets this handle (sessionFor). */
  constructor(readonly config: LoginConfig, readonly network: NetworkOptions = {}, private readonly onDispose = () => {}) {
    // With storage="local", a login in another tab logs this one in too: it is stored, so loading
    // the session (which restores from storage) is enough.
    if (config.storage === 'local') {
      this.#otherTabs = openTabChannel(config.clientId, (message) => {
        if (message.type !== 'login' || message.key !== storageKey(config)) return;
        this.#otherTabs?.close();
        void this.#load().catch(() => {});
      });
    }
  }

  /** Disposed: released, and forgotten by the page; an element that comes back asks sessionFor for a new one. */
  get disposed(): boolean { return this.#disposed; }

  /** Whether the session's code has loaded (pages that only show the button never load it). */
  get loaded(): boolean { return this.#session !== null; }

  get tokens(): TokenView | null { return this.#session?.tokens ?? null; }

  get busy(): boolean { return this.#session?.busy || this.#busy; }

  get tokenIsolation(): TokenIsolation | null { return this.#session?.tokenIsolation ?? null; }

  get lastError(): AuthError | null { return this.#session ? this.#session.lastError : this.#lastError; }

  /** Listens to the session's changes; the last listener to leave lets an idle session be disposed. */
  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#release();
    };
  }

  /** See Session.start: loads the session only when there may be something to complete or restore. */
  start(href: string): void {
    if (this.#session) return this.#session.start(href);
    if (this.#started !== null) return;
    this.#started = href;
    const callback = mightBeCallback(href);
    // A callback's code exchange goes through the refresh token's worker (session/token-vault.ts):
    // it starts now, side by side with the loading of the session's code, not after it.
    if (callback && refreshTokenInWorker(this.config, this.network)) startTokenWorker();
    // accept-invitation: on a page opened from an invitation link, the session logs in to accept it.
    const invited = this.config.acceptInvitation && /[?&]invitation=/.test(href);
    // Back from the provider's logout with its state (session/logout-return.ts): the session takes it out of the address bar.
    const loggedOut = !callback && /[?&]state=/.test(href);
    if (callback || invited || loggedOut || this.config.silent || tokenStore(this.config).load()) void this.#load().catch(() => {});
    // The session reads the pending login as soon as its code arrives, and a page's first
    // sessionStorage access waits for the browser process: made now, while that code downloads.
    if (callback) try { void sessionStorage.length; } catch { /* the session reports it */ }
  }

  /** See Session.login. A popup is opened here, in the click's task, before the session's code may have loaded. */
  async login(call: LoginCallOptions = {}, config = this.config): Promise<TokenView | undefined> {
    // Busy logging in already: ignored, unless that login gives way to a new one (Session.login).
    if (this.#busy || (this.#session?.busy && !this.#session.yieldsToLogin)) return undefined;
    const popup = inPopup(call, config) ? openPopup() : undefined;
    // A passkey login waiting in autofill is not busy until the user picks a passkey (Session).
    if (!this.#session && !(call.passkey as { mediation?: string } | undefined)?.mediation) {
      this.#busy = true;
      this.#changed({ type: 'busy' });
    }
    let session: LoginSession;
    try {
      session = await this.#load();
    } catch (error) {
      popup?.close();
      throw error;
    }
    return session.login(call, config, popup);
  }

  /** See Session.getAccessToken. With no session loaded or loading, nobody is logged in. */
  async getAccessToken(options: AccessTokenOptions = {}): Promise<string> {
    return (await this.#loaded()).getAccessToken(options);
  }

  /** See Session.exchangeToken: its code is loaded for it, whether someone is logged in or not. */
  async exchangeToken(options: TokenExchangeOptions): Promise<ExchangedToken> {
    return (this.#session ?? (await this.#load())).exchangeToken(options);
  }

  /** See Session.fetch. */
  async fetch(input: RequestInfo | URL, init: RequestInit & ApiRequest = {}): Promise<Response> {
    return (await this.#loaded()).fetch(input, init);
  }

  /** See Session.logout: other tabs are told and the provider's logout page needs its metadata, so the session is loaded. */
  async logout(options: LogoutOptions = {}, config = this.config): Promise<void> {
    // Loaded: at once, so that the page is logged out before the click's task ends.
    return (this.#session ?? (await this.#load())).logout(options, config);
  }

  async #loaded(): Promise<LoginSession> {
    if (this.#session) return this.#session;
    if (!this.#loading) throw new AuthError('login_required', 'Nobody is logged in.');
    return this.#loading;
  }

  /** Loads the session's code once (again after a failure), then starts the session where start() was asked. */
  #load(): Promise<LoginSession> {
    this.#loading ??= import('./session/session.js').then(
      ({ Session }) => {
        const session: LoginSession = new Session(this.config, this.network);
        session.subscribe((change) => this.#changed(change));
        this.#session = session;
        this.#busy = false; // the session's own busy state takes over
        if (this.#started !== null) session.start(this.#started);
        if (this.#listeners.size === 0) this.#release();
        return session;
      },
      (cause: unknown) => {
        this.#loading = null;
        this.#busy = false;
        this.#lastError = new AuthError('network_error', 'The login code could not be loaded (offline, a CDN error, or blocked by the Content-Security-Policy).', { cause });
        this.#changed({ type: 'error', error: this.#lastError });
        throw this.#lastError;
      },
    );
    return this.#loading;
  }

  #changed(change: SessionChange): void {
    for (const listener of [...this.#listeners]) listener(change);
    if (change.type === 'logout' && this.#listeners.size === 0) this.#release();
  }

  /**
   * Disposes of the handle once no element listens (a task later: an element moved in the page
   * detaches and attaches again in one task), nobody is logged in and nothing is under way: the
   * session releases its channel, listeners, timers and worker, and the page forgets the handle.
   * A logged-in session stays: an element may come back to it.
   */
  #release(): void {
    setTimeout(() => {
      if (this.#disposed || this.#listeners.size > 0 || this.#busy) return;
      if (this.#session ? !this.#session.dispose() : this.#loading) return; // in use, or still loading (#load asks again)
      this.#otherTabs?.close();
      this.#disposed = true;
      this.onDispose();
    });
  }
}

const sessions = new Map<string, SessionHandle>();

/** The page's session for this configuration, created on first use (again after it was disposed). */
export function sessionFor(config: LoginConfig, network: NetworkOptions = {}): SessionHandle {
  // Scopes are a set (RFC 6749 §3.3): `openid email` and `email openid` ask for the same tokens.
  const scopes = config.scope.split(' ').sort().join(' ');
  const key = JSON.stringify([config.issuer, config.clientId, config.audience, scopes, config.storage, config.dpop]);
  let session = sessions.get(key);
  if (!session) {
    const created = new SessionHandle(config, network, () => { if (sessions.get(key) === created) sessions.delete(key); });
    sessions.set(key, (session = created));
  }
  return session;
}
