/** Ending a session at the provider: token revocation (RFC 7009) and the logout URL. */
import { generateRandomState, None, processRevocationResponse, revocationRequest } from 'oauth4webapi';
import { rememberLogoutState } from './logout-return.js';
import type { LoginConfig } from '../config.js';
import { discover, tokenRequestOptions } from './provider.js';
import type { NetworkOptions } from '../session-contract.js';

const REVOCATION_TIMEOUT_MS = 3_000;
/** Said once per page: a provider that refuses revocation refuses it every time. */
let refusalTold = false;

/**
 * Revokes the refresh token when the provider advertises a revocation endpoint. Never throws: a
 * refusal (some providers answer 401 to a public client) is said once on the console, since the
 * refresh token then stays valid at the provider until it expires (docs/providers.md).
 */
export async function revokeRefreshToken(config: LoginConfig, refreshToken: string, network: NetworkOptions = {}): Promise<boolean> {
  try {
    const as = await discover(config, network);
    if (!as.revocation_endpoint) return false;
    const response = await revocationRequest(as, { client_id: config.clientId }, None(), refreshToken, {
      ...tokenRequestOptions(config, network, REVOCATION_TIMEOUT_MS),
      additionalParameters: { token_type_hint: 'refresh_token' },
    });
    if (!response.ok && !refusalTold) {
      refusalTold = true;
      console.warn(`closo-login: ${config.issuer} refused to revoke the refresh token (HTTP ${response.status}); it stays valid at the provider until it expires. See docs/providers.md.`);
    }
    await processRevocationResponse(response);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where to send the browser to end the provider's session: OpenID Connect RP-initiated
 * logout when advertised, else Auth0's /v2/logout for an Auth0 tenant (given as `domain`, an
 * `*.auth0.com` issuer, or a custom domain whose metadata is Auth0's), else nowhere.
 */
export async function logoutUrl(config: LoginConfig, idToken: string | null, network: NetworkOptions = {}): Promise<URL | null> {
  let endSession: string | undefined;
  let auth0 = config.auth0;
  try {
    const metadata = await discover(config, network);
    endSession = metadata.end_session_endpoint;
    // An Auth0 tenant behind a custom domain given as issuer=: its metadata lists Auth0's MFA API.
    auth0 ||= typeof metadata['mfa_challenge_endpoint'] === 'string';
  } catch {
    return null; // an unreachable provider: stay on the page, logged out locally
  }
  if (endSession) {
    const url = new URL(endSession);
    if (idToken) url.searchParams.set('id_token_hint', idToken);
    url.searchParams.set('client_id', config.clientId);
    url.searchParams.set('post_logout_redirect_uri', config.logoutUri);
    // Optional (RP-Initiated Logout §2), but some providers return to post_logout_redirect_uri only with it.
    const state = generateRandomState();
    url.searchParams.set('state', state);
    rememberLogoutState(config.clientId, state);
    return url;
  }
  if (auth0) {
    const url = new URL('v2/logout', config.issuer);
    url.searchParams.set('client_id', config.clientId);
    url.searchParams.set('returnTo', config.logoutUri);
    return url;
  }
  return null;
}
