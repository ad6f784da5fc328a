/**
 * One login session per (issuer, client, audience), shared by every element on the
 * page that has that configuration: one code exchange, one set of tokens in memory.
 */
import { sameOriginPath, type LoginConfig } from './config.js';
import { AuthError, toAuthError } from './errors.js';
import type { IdTokenClaims, TokenEventDetail } from './events.js';
import { completeLogin, startLogin, type NetworkOptions, type TokenSet } from './login-flow.js';
import { readPendingLogin, takePendingLogin, STATE_PATTERN } from './storage.js';

export type SessionChange =
  | { readonly type: 'busy' }
  | { readonly type: 'token'; readonly tokens: TokenEventDetail }
  | { readonly type: 'logout'; readonly claims: IdTokenClaims | null }
  | { readonly type: 'error'; readonly error: AuthError };

export type SessionListener = (change: SessionChange) => void;

/** Parameters of an authorization response (RFC 6749 §4.1.2): in the query, with state and code or error. */
export function readAuthorizationResponse(href: string): { url: URL; state: string } | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  const params = url.searchParams;
  const state = params.get('state');
  if (!state || !STATE_PATTERN.test(state) || (!params.has('code') && !params.has('error'))) return null;
  return { url, state };
}

export class Session {
  readonly config: LoginConfig;
  readonly network: NetworkOptions;
  /** What the page may see; the refresh token is kept apart and never leaves this object. */
  #tokens: TokenEventDetail | null = null;
  #refreshToken: string | null = null;
  #busy = false;
  #lastError: AuthError | null = null;
  readonly #listeners = new Set<SessionListener>();
  /** The callback being completed, keyed by state: the code is exchanged once. */
  #callbacks = new Map<string, Promise<void>>();

  constructor(config: LoginConfig, network: NetworkOptions = {}) {
    this.config = config;
    this.network = network;
  }

  get tokens(): TokenEventDetail | null {
    return this.#tokens;
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
   * Starts a login: discovery, PKCE, pending login, then navigation to the provider.
   * `returnTo` must be a same-origin path; anything else falls back to the current page.
   */
  async login(options: { returnTo?: string; authorizationParams?: Readonly<Record<string, string>> } = {}): Promise<void> {
    const here = location.pathname + location.search + location.hash;
    const returnTo = (options.returnTo !== undefined && sameOriginPath(options.returnTo, location.origin)) || here;
    const url = await startLogin(this.config, {
      returnTo,
      ...(options.authorizationParams ? { authorizationParams: options.authorizationParams } : {}),
    }, this.network);
    location.assign(url.href);
  }

  /**
   * When `href` is an authorization response to one of this session's pending logins,
   * completes it (once, however many elements ask) and returns true; else false and
   * the URL is left alone.
   */
  handleCallback(href: string): boolean {
    const response = readAuthorizationResponse(href);
    if (!response) return false;
    if (this.#callbacks.has(response.state)) return true;
    const peek = readPendingLogin(this.config.clientId, response.state);
    if (!peek || peek.issuer !== this.config.issuer || peek.audience !== this.config.audience) return false;
    // Single use: removed before anything validates it.
    const pending = takePendingLogin(this.config.clientId, response.state);
    if (!pending) return false;
    // The code leaves the address bar at once, without a reload or a history entry.
    const returnTo = sameOriginPath(pending.returnTo, location.origin) ?? location.pathname;
    history.replaceState(history.state, '', returnTo);
    this.#setBusy();
    const done = completeLogin(this.config, pending, response.url, this.network).then(
      (tokens) => this.#adopt(tokens),
      (error: unknown) => this.#fail(toAuthError(error, 'token_exchange_failed')),
    );
    this.#callbacks.set(response.state, done);
    return true;
  }

  /** Clears the tokens from memory and tells every element. */
  logout(): void {
    const claims = this.#tokens?.claims ?? null;
    this.#tokens = null;
    this.#refreshToken = null;
    this.#busy = false;
    this.#emit({ type: 'logout', claims });
  }

  #setBusy(): void {
    this.#busy = true;
    this.#lastError = null;
    this.#emit({ type: 'busy' });
  }

  #adopt({ refreshToken, ...tokens }: TokenSet): void {
    this.#refreshToken = refreshToken;
    this.#tokens = Object.freeze(tokens);
    this.#busy = false;
    this.#lastError = null;
    this.#emit({ type: 'token', tokens });
  }

  #fail(error: AuthError): void {
    this.#busy = false;
    this.#lastError = error;
    this.#emit({ type: 'error', error });
  }

  #emit(change: SessionChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }
}

const sessions = new Map<string, Session>();

/** The page's session for this configuration, created on first use. */
export function sessionFor(config: LoginConfig, network: NetworkOptions = {}): Session {
  const key = JSON.stringify([config.issuer, config.clientId, config.audience]);
  let session = sessions.get(key);
  if (!session) {
    session = new Session(config, network);
    sessions.set(key, session);
  }
  return session;
}
