/**
 * The refresh_token grant (RFC 6749 §6), with rotation's one rule for the client: once the
 * token endpoint has answered 200, the old refresh token may be spent. Any later refusal
 * ends the session (`login_required`) rather than inviting a retry with it, which reuse
 * detection would punish by revoking the whole grant (RFC 9700 §4.14.2).
 */
import { None, refreshTokenGrantRequest } from 'oauth4webapi';
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import { toAuthError } from './oauth-errors.js';
import { discover, tokenRequestOptions } from './provider.js';
import { prefetchJwks } from './signing-keys.js';
import { acceptRefreshAnswer } from './token-answer.js';
import type { NetworkOptions, TokenSet } from '../session-contract.js';

/**
 * Renews `current` with its refresh token (the checks on the answer are token-answer.ts's).
 * `extra` parameters ask for another API (Auth0's Multi-Resource Refresh Token: `audience`, `scope`).
 */
export async function refreshTokens(config: LoginConfig, current: TokenSet, network: NetworkOptions = {}, extra?: Readonly<Record<string, string>>): Promise<TokenSet> {
  const refreshToken = current.refreshToken;
  if (!refreshToken) throw new AuthError('login_required', 'There is no refresh token; the user must log in again.');
  const as = await discover(config, network);
  // The keys that check a renewed ID token are needed after the refresh token is spent: fetch them first.
  await prefetchJwks(config, as, network);
  let answered = false;
  try {
    return await acceptRefreshAnswer(config, as, current, async () => {
      const response = await refreshTokenGrantRequest(as, { client_id: config.clientId }, None(), refreshToken, {
        ...tokenRequestOptions(config, network),
        ...(extra ? { additionalParameters: extra } : {}),
      });
      answered = response.status === 200;
      return response;
    }, network);
  } catch (error) {
    const failure = toAuthError(error, 'refresh_failed');
    // Before an answer (network, timeout) or on an OAuth error answer, the refresh token is unspent;
    // a refused ID token already ends the session.
    if (!answered || failure.code === 'login_required' || failure.code === 'id_token_invalid') throw failure;
    throw new AuthError('login_required', `The renewed tokens were refused (${failure.message}); the old refresh token is spent, so the session ended.`, { cause: failure });
  }
}
