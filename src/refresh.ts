/** The refresh_token grant (RFC 6749 §6) with OpenID Connect's continuity rules (§12.2). */
import { getValidatedIdTokenClaims, None, processRefreshTokenResponse, refreshTokenGrantRequest, ResponseBodyError, type TokenEndpointResponse } from 'oauth4webapi';
import { assertTokenResponse, discover, requestOptions, retryOnDpopNonce, tokenError, toTokenSet, type NetworkOptions, type TokenSet } from './authorization-server.js';
import type { LoginConfig } from './config.js';
import { AuthError } from './errors.js';
import type { IdTokenClaims } from './events.js';
import { prefetchJwks, verifyIdTokenSignature } from './id-token-signature.js';

/**
 * Renews `current` with its refresh token. The answer's refresh token replaces the old
 * one; an answer without one keeps it. A new ID token must name the same issuer and
 * subject, or the whole answer is refused.
 *
 * Once the token endpoint has answered 200, the old refresh token may be spent (rotation):
 * any later refusal ends the session (`login_required`) rather than inviting a retry with
 * it, which reuse detection would punish by revoking the whole grant.
 */
export async function refreshTokens(config: LoginConfig, current: TokenSet, network: NetworkOptions = {}): Promise<TokenSet> {
  if (!current.refreshToken) throw new AuthError('login_required', 'There is no refresh token; the user must log in again.');
  const as = await discover(config, network);
  // The keys that check a renewed ID token are needed after the refresh token is spent: fetch them first.
  await prefetchJwks(config, as, network);
  const client = { client_id: config.clientId };
  const refreshToken = current.refreshToken;
  let answered = false;
  let response!: Response;
  let result: TokenEndpointResponse;
  try {
    result = await retryOnDpopNonce(async () => {
      response = await refreshTokenGrantRequest(as, client, None(), refreshToken, requestOptions(config, network));
      answered = response.status === 200;
      return processRefreshTokenResponse(as, client, response);
    });
    assertTokenResponse(config, result, 'refresh_failed');
    const fresh = getValidatedIdTokenClaims(result) as unknown as IdTokenClaims | undefined;
    if (fresh && (fresh.iss !== current.claims.iss || fresh.sub !== current.claims.sub || (fresh.azp !== undefined && fresh.azp !== config.clientId))) {
      throw new AuthError('id_token_invalid', 'The renewed ID token names another issuer, user or client (OpenID Connect Core §12.2, §3.1.3.7).');
    }
    if (fresh) await verifyIdTokenSignature(config, as, response, network);
    return toTokenSet(result, fresh ?? current.claims, fresh ? result.id_token! : current.idToken, current.audience, current.scope, refreshToken);
  } catch (error) {
    const failure = error instanceof AuthError ? error : tokenError(error, 'refresh_failed');
    // Before an answer (network, timeout) or on an OAuth error, the refresh token is unspent; our
    // own checks (id_token_invalid) already end the session.
    if (!answered || error instanceof ResponseBodyError || failure.code === 'login_required' || failure.code === 'id_token_invalid') throw failure;
    throw new AuthError('login_required', `The renewed tokens were refused (${failure.message}); the old refresh token is spent, so the session ended.`, { cause: failure });
  }
}
