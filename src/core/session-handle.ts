/**
 * The page's sessions, and the line between what every page loads and what only a page that
 * logs someone in loads. Elements share a session when they ask for the same tokens, kept the
 * same way: issuer, client, audience, scope, storage and DPoP. The rest (redirect URI,
 * parameters, logout URI, mode) travels with each call; renewal settings (renew-before,
 * timeout, silent) are those of the element that came first.
 *
 * A page that shows a logged-out button needs none of the protocol: a SessionHandle stands in
 * for the session and loads its code (session.ts and everything it imports, oauth4webapi
 * included: one more file in the drop-in build) when it is needed: on a click, when the URL
 * may be a callback, when a stored session or `silent` needs it, or when another tab logs in.
 */
import type { LoginConfig } from './config.js';
import { AuthError } from './errors.js';
import type { NetworkOptions } from './session/provider.js';
import { inPopup, openPopup } from './popup-window.js';
import type { ApiRequest } from './session/api-tokens.js';
import type { LoginCall, Session, SessionChange, SessionListener, TokenIsolation } from './session/session.js';
import { openTabChannel } from './tab-sync.js';
import type { TokenView } from './session/token-set.js';
import { refreshTokenInWorker, storageKey, tokenStore } from './token-store.js';

/**
 * Whether `href` might carry an authorization response: any of the parameters callback.ts
 * recognises, in the query or the fragment. Only decides whether to load the session's code;
 * callback.ts decides what the URL is.
 */
const mightBeCallback = (href: string): boolean => /[?#&](code|error|access_token|id_token|token|refresh_token)=/.test(href);

/**
 * An Auth0 Organization invitation link (`?invitation=…&organization=…&organization_name=…`):
 * what to accept, and the address without those parameters, which leave the address bar.
 */
function invitationIn(href: string): { invitation: string; organization: string; returnTo: string } | null {
  const url = new URL(href);
  const invitation = url.searchParams.get('invitation');
  const organization = url.searchParams.get('organization');
  if (!invitation || !organization) return null;
  for (const name of ['invitation', 'organization', 'organization_name']) url.searchParams.delete(name);
  return { invitation, organization, returnTo: url.pathname + url.search + url.hash };
}

/** Stands for the page's session of one configuration; the session itself is loaded on demand. */
export class SessionHandle {
  readonly #listeners = new Set<SessionListener>();
  #session: Session | null = null;
  #loading: Promise<Session> | null = null;
  /** Busy loading the session's code for a login the user asked for. */
  #busy = false;
  #lastError: AuthError | null = null;
  #started: string | null = null;

  constructor(readonly config: LoginConfig, readonly network: NetworkOptions = {}) {
    // With storage="local", a login in another tab logs this one in too: it is stored, so loading
    // the session (which restores from storage) is enough.
    if (config.storage === 'local') {
      const channel = openTabChannel(`closo-login:${config.clientId}`, (message) => {
        if (message.type !== 'login' || message.key !== storageKey(config)) return;
        channel.close();
        void this.#load().catch(() => {});
      });
    }
  }

  /** Whether the session's code has loaded (pages that only show the button never load it). */
  get loaded(): boolean { return this.#session !== null; }

  get tokens(): TokenView | null { return this.#session?.tokens ?? null; }

  get busy(): boolean { return this.#session?.busy || this.#busy; }

  get tokenIsolation(): TokenIsolation | null { return this.#session?.tokenIsolation ?? null; }

  get lastError(): AuthError | null { return this.#session ? this.#session.lastError : this.#lastError; }

  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  /** See Session.start: loads the session only when there may be something to complete or restore. */
  start(href: string): void {
    if (this.#session) return this.#session.start(href);
    if (this.#started !== null) return;
    this.#started = href;
    // accept-invitation: a page opened from an invitation link logs in to accept it (a redirect: no click to open a popup in).
    const invited = this.config.acceptInvitation && window.top === window ? invitationIn(href) : null;
    if (invited) {
      history.replaceState(history.state, '', invited.returnTo);
      this.#started = location.href;
      void this.login({ invitation: invited.invitation, organization: invited.organization, returnTo: invited.returnTo, popup: false }).catch(() => {});
      return;
    }
    const callback = mightBeCallback(href);
    // A callback's code exchange goes through the refresh token's worker (session.ts): it starts
    // while the session's code loads, not after.
    if (callback && refreshTokenInWorker(this.config, this.network)) {
      void import('./token-worker-start.js').then((worker) => worker.startTokenWorker(), () => {});
    }
    if (callback || this.config.silent || tokenStore(this.config).load()) void this.#load().catch(() => {});
  }

  /** See Session.login. A popup is opened here, in the click's task, before the session's code may have loaded. */
  async login(call: LoginCall = {}, config = this.config): Promise<TokenView | undefined> {
    if (this.busy) return undefined;
    const popup = inPopup(call, config) ? openPopup() : undefined;
    if (!this.#session) {
      this.#busy = true;
      this.#changed({ type: 'busy' });
    }
    let session: Session;
    try {
      session = await this.#load();
    } catch (error) {
      popup?.close();
      throw error;
    }
    return session.login(call, config, popup);
  }

  /** See Session.getAccessToken. With no session loaded or loading, nobody is logged in. */
  async getAccessToken(options: { minValidity?: number } & ApiRequest = {}): Promise<string> {
    return (await this.#loaded()).getAccessToken(options);
  }

  /** See Session.fetch. */
  async fetch(input: RequestInfo | URL, init: RequestInit & ApiRequest = {}): Promise<Response> {
    return (await this.#loaded()).fetch(input, init);
  }

  /** See Session.logout: other tabs are told and the provider's logout page needs its metadata, so the session is loaded. */
  async logout(options: { localOnly?: boolean } = {}, config = this.config): Promise<void> {
    // Loaded: at once, so that the page is logged out before the click's task ends.
    return (this.#session ?? (await this.#load())).logout(options, config);
  }

  async #loaded(): Promise<Session> {
    if (this.#session) return this.#session;
    if (!this.#loading) throw new AuthError('login_required', 'Nobody is logged in.');
    return this.#loading;
  }

  /** Loads the session's code once (again after a failure), then starts the session where start() was asked. */
  #load(): Promise<Session> {
    this.#loading ??= import('./session/session.js').then(
      ({ Session }) => {
        const session = new Session(this.config, this.network);
        session.subscribe((change) => this.#changed(change));
        this.#session = session;
        this.#busy = false; // the session's own busy state takes over
        if (this.#started !== null) session.start(this.#started);
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
  }
}

const sessions = new Map<string, SessionHandle>();

/** The page's session for this configuration, created on first use. */
export function sessionFor(config: LoginConfig, network: NetworkOptions = {}): SessionHandle {
  // Scopes are a set (RFC 6749 §3.3): `openid email` and `email openid` ask for the same tokens.
  const scopes = config.scope.split(' ').sort().join(' ');
  const key = JSON.stringify([config.issuer, config.clientId, config.audience, scopes, config.storage, config.dpop]);
  let session = sessions.get(key);
  if (!session) {
    session = new SessionHandle(config, network);
    sessions.set(key, session);
  }
  return session;
}
