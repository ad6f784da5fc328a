/**
 * The token data model's arithmetic: what the page may see of a login's tokens (never the
 * refresh token), their expiry, and the session's ceiling. The types themselves (TokenSet, TokenView, StoredSession)
 * are the session's contract (session-contract.ts): the first load names them too.
 */
import type { TokenSet, TokenView } from '../session-contract.js';

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

/**
 * When the session is over whatever the refresh token says: the ID token's `session_expiry`
 * (Auth0's session ceiling, from IPSIE), in epoch ms; null when it has none.
 */
export const sessionCeiling = (tokens: Pick<TokenSet, 'claims'>): number | null => {
  const at = tokens.claims['session_expiry'];
  return typeof at === 'number' && Number.isFinite(at) ? at * 1000 : null;
};

export const pastCeiling = (tokens: Pick<TokenSet, 'claims'>, now = Date.now()): boolean => {
  const at = sessionCeiling(tokens);
  return at !== null && now >= at;
};
