/**
 * The token data model: what a login or a renewal yields (TokenSet), what the page may see
 * of it (TokenView: never the refresh token), and how a session is kept and shared
 * (StoredSession), with the expiry arithmetic all of them share.
 */

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

/** A session as kept in memory, persisted and shared between tabs. */
export interface StoredSession extends TokenSet {
  /** Random per login: tabs holding the same refresh token family share it. */
  readonly sessionId: string;
  /** Incremented by every renewal: tells a tab that another one renewed first. */
  readonly generation: number;
  /** Tokens for other APIs, by audience and scope. */
  readonly apis?: Readonly<Record<string, ApiToken>>;
}

/** The page's view of `tokens`: everything but the refresh token, frozen. */
export const viewOf = (tokens: TokenSet): TokenView => Object.freeze({
  accessToken: tokens.accessToken,
  tokenType: tokens.tokenType,
  expiresAt: tokens.expiresAt,
  scope: tokens.scope,
  audience: tokens.audience,
  idToken: tokens.idToken,
  claims: tokens.claims,
});

/** Whether the access token stays valid for more than `seconds` from `now` (a token without lifetime always does). */
export const validFor = (tokens: Pick<TokenSet, 'expiresAt'>, seconds: number, now = Date.now()): boolean =>
  tokens.expiresAt === null || tokens.expiresAt - now > seconds * 1000;

export const isExpired = (tokens: Pick<TokenSet, 'expiresAt'>, now = Date.now()): boolean => !validFor(tokens, 0, now);
