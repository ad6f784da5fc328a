/** The refresh_token grant (RFC 6749 §6) with OpenID Connect's continuity rules (§12.2). */
import { getValidatedIdTokenClaims, None, processRefreshTokenResponse, refreshTokenGrantRequest, type TokenEndpointResponse } from 'oauth4webapi';
import { assertTokenResponse, discover, requestOptions, retryOnDpopNonce, tokenError, toTokenSet, type NetworkOptions, type TokenSet } from './authorization-server.js';
import type { LoginConfig } from './config.js';
import { AuthError } from './errors.js';
import type { IdTokenClaims } from './events.js';
import { verifyIdTokenSignature } from './id-token-signature.js';

/**
 * Renews `current` with its refresh token. The answer's refresh token replaces the old
 * one; an answer without one keeps it. A new ID token must name the same issuer and
 * subject, or the whole answer is refused.
 */
export async function refreshTokens(config: LoginConfig, current: TokenSet, network: NetworkOptions = {}): Promise<TokenSet> {
  if (!current.refreshToken) throw new AuthError('login_required', 'There is no refresh token; the user must log in again.');
  const as = await discover(config, network);
  const client = { client_id: config.clientId };
  let result: TokenEndpointResponse;
  try {
    const refreshToken = current.refreshToken;
    result = await retryOnDpopNonce(async () => processRefreshTokenResponse(as, client,
      await refreshTokenGrantRequest(as, client, None(), refreshToken, requestOptions(config, network))));
  } catch (error) {
    throw tokenError(error, 'refresh_failed');
  }
  assertTokenResponse(config, result, 'refresh_failed');
  const fresh = getValidatedIdTokenClaims(result) as unknown as IdTokenClaims | undefined;
  if (fresh && (fresh.iss !== current.claims.iss || fresh.sub !== current.claims.sub)) {
    throw new AuthError('id_token_invalid', 'The renewed ID token names another issuer or user (OpenID Connect Core §12.2).');
  }
  if (fresh) await verifyIdTokenSignature(config, as, result.id_token!, network);
  return toTokenSet(
    result,
    fresh ?? current.claims,
    fresh ? result.id_token! : current.idToken,
    current.audience,
    current.scope,
    current.refreshToken,
  );
}
