/**
 * The session's contract: every type that crosses the line between the first load (the files
 * of src/core/ and above, which every page loads) and the session's code (src/core/session/,
 * loaded when a page logs someone in). The first load names the session only through these
 * types; session.ts implements LoginSession. Types only: nothing here reaches a bundle
 * (test/layout.test.mjs checks both rules).
 */
import type { DPoPHandle } from 'oauth4webapi';
import type { LoginConfig } from './config.js';
import type { AuthError } from './errors.js';

/** ID token claims (OpenID Connect Core §2), as validated by the element. */
export interface IdTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly name?: string;
  readonly email?: string;
  readonly [claim: string]: unknown;
}

/** What the page sees of a session's tokens (the `token` event's detail). */
export interface TokenView {
  /** The access token (a JWT when an Auth0 `audience` was requested). */
  readonly accessToken: string;
  /** `Bearer` or `DPoP`. */
  readonly tokenType: string;
  /** When the access token expires, in epoch milliseconds; null when the provider gave no lifetime. */
  readonly expiresAt: number | null;
  /** The scope granted (or requested, when the provider did not say). */
  readonly scope: string;
  /** The audience (API identifier) requested, or null. */
  readonly audience: string | null;
  /** The raw ID token. */
  readonly idToken: string;
  /** The validated ID token claims. */
  readonly claims: IdTokenClaims;
}

/** Tokens of a logged-in session: what the page sees, plus the refresh token, which never leaves the core. */
export interface TokenSet extends TokenView {
  /** The refresh token, or in memory mode the vault worker's handle for it (token-vault.ts). */
  readonly refreshToken: string | null;
  /** The Auth0 Organization every ID token of this session must name (id or name), or null. */
  readonly organization?: string | null;
}

/** A token the session keeps for another API (api-tokens.ts). */
export interface ApiToken {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresAt: number | null;
  readonly scope: string;
  readonly audience: string;
}

/** A session as kept in memory, persisted (token-store.ts) and shared between tabs (tab-sync.ts). */
export interface StoredSession extends TokenSet {
  /** Random per login: tabs holding the same refresh token family share it. */
  readonly sessionId: string;
  /** Incremented by every renewal: tells a tab that another one renewed first. */
  readonly generation: number;
  /** Tokens for other APIs, by audience and scope. */
  readonly apis?: Readonly<Record<string, ApiToken>>;
}

/** What one login() call may ask for, on top of the element's configuration. */
export interface LoginCallOptions {
  /** Same-origin path to land on after a redirect login (default: where the login started); anything else falls back to it. */
  returnTo?: string;
  /** Further authorization parameters for this login (none of those the element sets). */
  authorizationParams?: Readonly<Record<string, string>>;
  /** Log in in a popup (default: `mode`). */
  popup?: boolean;
  /** Any JSON value up to 16 KB, given back as `appState` in this login's `token` event, never through the URL. */
  appState?: unknown;
  /** An Auth0 Organization (id or name) for this login, instead of the configuration's. */
  organization?: string;
  /** An Auth0 Organization invitation to accept (with `organization`). */
  invitation?: string;
  /** Log in with this token from elsewhere instead of at the provider's page (RFC 8693 token exchange, Auth0's Custom Token Exchange). */
  subjectToken?: string;
  /** The type of `subjectToken`: a URI the provider knows (for Auth0, a Custom Token Exchange profile's, e.g. `urn:acme:legacy-token`). */
  subjectTokenType?: string;
  /** Log in with a passkey instead of at the provider's page (Auth0's native passkey API): `true` signs in; see PasskeyOptions. */
  passkey?: boolean | PasskeyOptions;
}

/** A passkey login (docs/passkeys.md): a sign-in, or with `signup` a new user's sign-up. */
export interface PasskeyOptions {
  /** Sign up a new user with a new passkey: who they are (at least an email, username or phone number, as the connection wants). */
  signup?: PasskeySignup;
  /** The provider's connection (Auth0's `realm`: a database connection with passkeys on); the provider's default when absent. */
  realm?: string;
  /** `conditional`: wait for the user to pick a passkey from the autofill list of a field with `autocomplete="username webauthn"`. */
  mediation?: 'conditional';
}

/** Who signs up with a passkey (Auth0's `user_profile`). */
export interface PasskeySignup {
  email?: string;
  username?: string;
  phoneNumber?: string;
  /** The name to show, e.g. in the passkey's entry in the user's password manager. */
  name?: string;
}

/** What exchangeToken() exchanges (RFC 8693 §2.1): a token for the caller; the session is not touched. */
export interface TokenExchangeOptions {
  subjectToken: string;
  subjectTokenType: string;
  /** Who acts for the subject (delegation, impersonation), with its type. */
  actorToken?: string | undefined;
  actorTokenType?: string | undefined;
  /** The API the token is for (default: the element's `audience`). */
  audience?: string | undefined;
  /** Scopes asked for (`offline_access` is never asked for: no refresh token comes to the page). */
  scope?: string | undefined;
  /** An Auth0 Organization (default: the element's `organization`). */
  organization?: string | undefined;
  /** The type of token wanted (RFC 8693 `requested_token_type`). */
  requestedTokenType?: string | undefined;
}

/** The token exchangeToken() resolves with. */
export interface ExchangedToken {
  readonly accessToken: string;
  /** Always `Bearer`: the session's DPoP key does not sign for tokens it does not keep. */
  readonly tokenType: 'Bearer';
  /** When it expires, in epoch milliseconds; null when the provider gave no lifetime. */
  readonly expiresAt: number | null;
  /** The scope granted, or null when the provider did not say. */
  readonly scope: string | null;
  /** The answer's `issued_token_type` (RFC 8693 §2.2.1), or null. */
  readonly issuedTokenType: string | null;
}

/** A token for another API than the session's own: its `audience` (and `scope`). */
export interface ApiRequest {
  audience?: string | undefined;
  scope?: string | undefined;
}

/** What getAccessToken() may ask for. */
export interface AccessTokenOptions extends ApiRequest {
  /** Seconds the token must stay valid (default 30). */
  minValidity?: number | undefined;
}

/** What logout() may ask for. */
export interface LogoutOptions {
  /** Log out here only, without the provider's logout page. */
  localOnly?: boolean;
}

/** Where the refresh token lives: in the vault worker, or in the page (persisted modes, or the worker could not start). */
export type TokenIsolation = 'worker' | 'page';

/** Why a session ended: `user` (logout()), `session_ended` (renewal refused, or a new login replaced it), `other_tab`. */
export type LogoutReason = 'user' | 'session_ended' | 'other_tab';

export type SessionChange =
  | { readonly type: 'busy' }
  /** `appState`: what the login that brought these tokens carried (login({ appState })). */
  | { readonly type: 'token'; readonly tokens: TokenView; readonly appState?: unknown }
  | { readonly type: 'logout'; readonly claims: IdTokenClaims | null; readonly reason: LogoutReason }
  /** The access token stops working at `expiresAt` (epoch ms) and nothing will renew it: no refresh token, no silent sign-in, or the session's ceiling. */
  | { readonly type: 'expiring'; readonly expiresAt: number }
  | { readonly type: 'error'; readonly error: AuthError };

export type SessionListener = (change: SessionChange) => void;

/** Network settings; `fetch` is the seam tests and advanced hosts use (oauth4webapi's customFetch). */
export interface NetworkOptions {
  /** Milliseconds before a request to the provider is abandoned with `timeout`. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Signs DPoP proofs for token requests (RFC 9449), when DPoP is on. */
  readonly dpop?: DPoPHandle;
  /** Sends token and revocation requests: the refresh token's vault (token-vault.ts), when it runs. */
  readonly tokenFetch?: typeof fetch;
}

/**
 * The session of one configuration, as the first load sees it: session.ts implements it, and
 * session-handle.ts stands in for it until its code has loaded.
 */
export interface LoginSession {
  /** What the page may see of the tokens, or null. */
  readonly tokens: TokenView | null;
  /** A login is under way. */
  readonly busy: boolean;
  /** Busy only with a login that a new login() cancels: the silent sign-in at page start, a popup that looks closed. */
  readonly yieldsToLogin: boolean;
  readonly lastError: AuthError | null;
  /** Where the refresh token lives, once a session exists (null before). */
  readonly tokenIsolation: TokenIsolation | null;
  subscribe(listener: SessionListener): () => void;
  /** When an element attaches: completes a callback on `href`, else restores a session. */
  start(href: string): void;
  /** Starts a login with the calling element's `config`; `popup`: the window opened in the click's task (null: blocked). */
  login(call?: LoginCallOptions, config?: LoginConfig, popup?: Window | null): Promise<TokenView | undefined>;
  getAccessToken(options?: AccessTokenOptions): Promise<string>;
  exchangeToken(options: TokenExchangeOptions): Promise<ExchangedToken>;
  fetch(input: RequestInfo | URL, init?: RequestInit & ApiRequest): Promise<Response>;
  logout(options?: LogoutOptions, config?: LoginConfig): Promise<void>;
  /** Releases what the session holds in the page (tab channel, listeners, timers, its worker) once nobody is logged in and no login is under way; false before. */
  dispose(): boolean;
}
