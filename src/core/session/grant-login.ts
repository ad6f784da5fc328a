/**
 * A login at the token endpoint, with no authorization request and no page of the provider: a
 * token exchange (RFC 8693 §2.2.1, token-exchange.ts) or a passkey (../passkeys/webauthn.ts). The
 * grant carries the session's scope and audience and the login's organization; its answer is
 * checked as every login's is (token-answer.ts).
 */
import { genericTokenEndpointRequest, None } from 'oauth4webapi';
import type { LoginConfig } from '../config.js';
import type { NetworkOptions, TokenSet } from '../session-contract.js';
import { discover, tokenRequestOptions } from './provider.js';
import { prefetchJwks } from './signing-keys.js';
import { acceptGrantAnswer } from './token-answer.js';

/**
 * Logs in with `grantType` and its `params`; `step` names its unexplained failures. The request
 * goes through `sending` (by default `network`, the way every token request goes).
 */
export async function grantLogin(
  config: LoginConfig,
  grantType: string,
  params: Readonly<Record<string, string>>,
  organization: string | null,
  network: NetworkOptions,
  { step = 'token_exchange_failed' as 'token_exchange_failed' | 'passkey_refused', sending = network } = {},
): Promise<TokenSet> {
  const as = await discover(config, network);
  // The ID token's keys, fetched before the grant (a token, a passkey's challenge) is spent.
  await prefetchJwks(config, as, network);
  const body = {
    ...params,
    scope: config.scope,
    ...(config.audience ? { audience: config.audience } : {}),
    ...(organization ? { organization } : {}),
  };
  return acceptGrantAnswer(config, as, organization, () =>
    genericTokenEndpointRequest(as, { client_id: config.clientId }, None(), grantType, body, tokenRequestOptions(config, sending)), network, step);
}
