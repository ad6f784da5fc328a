/**
 * Token exchange (RFC 8693) at the token endpoint: a token from elsewhere (a legacy system's, a
 * partner's) for this provider's tokens; Auth0 calls it Custom Token Exchange. Logging in with
 * one, the answer becomes a session, checked as a code exchange's is (token-answer.ts).
 * Exchanged for the caller (exchangeToken()), only the access token comes back: nothing is
 * stored, no event fires, and a refresh token is neither asked for nor kept.
 */
import { genericTokenEndpointRequest, None } from 'oauth4webapi';
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import type { ExchangedToken, LoginCallOptions, NetworkOptions, TokenExchangeOptions, TokenSet } from '../session-contract.js';
import { grantLogin } from './grant-login.js';
import { discover, tokenRequestOptions } from './provider.js';
import { refusePageOptions } from './redirect-login.js';
import { acceptExchangedToken, assertAudience } from './token-answer.js';

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** A token to exchange and its type (RFC 8693 §2.1 `subject_token`, `subject_token_type`). */
export interface SubjectToken {
  readonly token: string;
  readonly type: string;
}

/** The subject token of a login() call, checked; null when the call logs in at the provider's page. */
export function subjectOf(call: LoginCallOptions): SubjectToken | null {
  if (call.subjectToken === undefined && call.subjectTokenType === undefined) return null;
  checkToken(call.subjectToken, call.subjectTokenType, 'subject');
  refusePageOptions(call, 'subjectToken');
  return { token: call.subjectToken!, type: call.subjectTokenType! };
}

/** Logs in with `subject`: the session's audience and scope, and the login's organization (RFC 8693 §2.1). */
export function exchangeLogin(config: LoginConfig, subject: SubjectToken, organization: string | null, network: NetworkOptions = {}): Promise<TokenSet> {
  return grantLogin(config, TOKEN_EXCHANGE_GRANT, { subject_token: subject.token, subject_token_type: subject.type }, organization, network);
}

/**
 * Exchanges a token for the caller. No DPoP proof is sent (the session's key signs only for the
 * tokens it keeps) and `offline_access` is never asked for; a refresh token that comes anyway
 * is handed to `drop` (the vault forgets it), never to the caller.
 */
export async function exchangeToken(
  config: LoginConfig,
  options: TokenExchangeOptions,
  network: NetworkOptions,
  drop: (refreshToken: string) => void,
): Promise<ExchangedToken> {
  checkToken(options?.subjectToken, options?.subjectTokenType, 'subject');
  if (options.actorToken !== undefined || options.actorTokenType !== undefined) checkToken(options.actorToken, options.actorTokenType, 'actor');
  const audience = options.audience ?? config.audience;
  const scope = options.scope?.split(/\s+/).filter((name) => name && name !== 'offline_access').join(' ');
  const organization = options.organization ?? config.organization;
  const params = {
    subject_token: options.subjectToken,
    subject_token_type: options.subjectTokenType,
    ...(options.actorToken ? { actor_token: options.actorToken, actor_token_type: options.actorTokenType! } : {}),
    ...(audience ? { audience } : {}),
    ...(scope ? { scope } : {}),
    ...(organization ? { organization } : {}),
    ...(options.requestedTokenType ? { requested_token_type: options.requestedTokenType } : {}),
  };
  const as = await discover(config, network);
  const { dpop: _, ...bearer } = network;
  const { token, refreshToken } = await acceptExchangedToken(as, config.clientId, () =>
    genericTokenEndpointRequest(as, { client_id: config.clientId }, None(), TOKEN_EXCHANGE_GRANT, params, tokenRequestOptions(config, bearer)));
  if (refreshToken) drop(refreshToken);
  // As for a token for another API: a JWT for another audience than asked is refused.
  if (audience) assertAudience(token.accessToken, audience);
  return token;
}

/** A token and its type, as RFC 8693 §2.1 wants them: a non-empty token, and an absolute URI for its type. */
function checkToken(token: unknown, type: unknown, role: 'subject' | 'actor'): void {
  if (typeof token !== 'string' || !token.trim()) throw new AuthError('config_invalid', `${role}Token must be a non-empty string.`);
  if (typeof type !== 'string' || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(type)) {
    throw new AuthError('config_invalid', `${role}TokenType must be a URI such as urn:acme:legacy-token; got ${JSON.stringify(type)}.`);
  }
}
