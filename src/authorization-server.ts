/**
 * What every protocol step shares: the provider's metadata (discovery), request options
 * (timeouts, loopback http, the fetch seam) and the mapping of token responses.
 */
import {
  allowInsecureRequests,
  customFetch,
  discoveryRequest,
  isDPoPNonceError,
  processDiscoveryResponse,
  ResponseBodyError,
  type AuthorizationServer,
  type DPoPHandle,
  type TokenEndpointResponse,
} from 'oauth4webapi';
import { isLoopbackHost, parseUrl, type LoginConfig } from './config.js';
import { AuthError, toAuthError } from './errors.js';
import type { IdTokenClaims, TokenEventDetail } from './events.js';
import { readCached, writeCached } from './storage.js';

/** Tokens of a logged-in session: what the page sees, plus the refresh token, which never leaves the core. */
export interface TokenSet extends TokenEventDetail {
  readonly refreshToken: string | null;
}

/** Network settings; `fetch` is the seam tests and advanced hosts use (oauth4webapi's customFetch). */
export interface NetworkOptions {
  /** Milliseconds before a request to the provider is abandoned with `timeout`. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Signs DPoP proofs for token requests (RFC 9449), when DPoP is on. */
  readonly dpop?: DPoPHandle;
}

const DISCOVERY_CACHE_MS = 60 * 60 * 1000;
/** Longest access token lifetime taken at its word: a year. */
const MAX_LIFETIME_S = 365 * 24 * 3600;

export function requestOptions(config: LoginConfig, network: NetworkOptions, timeoutMs = network.timeoutMs ?? config.timeoutMs) {
  return {
    // oauth4webapi has no default timeout: every request gets one.
    signal: AbortSignal.timeout(timeoutMs),
    // Plain http only for loopback issuers; config.ts refuses the rest.
    [allowInsecureRequests]: config.loopbackHttp,
    // oauth4webapi calls it as fetch(url, init).
    ...(network.fetch ? { [customFetch]: network.fetch as never } : {}),
    ...(network.dpop ? { DPoP: network.dpop } : {}),
  };
}

/**
 * Runs a token request once more when the server asks for a DPoP nonce (RFC 9449 §8): the
 * handle has stored the nonce from the refusal, and the refused request was not processed.
 */
export async function retryOnDpopNonce<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (!isDPoPNonceError(error)) throw error;
    return request();
  }
}

const discoveries = new Map<string, Promise<AuthorizationServer>>();

/**
 * The provider's metadata, fetched once per page session: kept in memory and in
 * sessionStorage, so that the callback page needs only the token request.
 */
export function discover(config: LoginConfig, network: NetworkOptions = {}): Promise<AuthorizationServer> {
  let metadata = discoveries.get(config.issuer);
  if (!metadata) {
    metadata = fetchMetadata(config, network);
    discoveries.set(config.issuer, metadata);
    metadata.catch(() => discoveries.delete(config.issuer));
  }
  return metadata;
}

async function fetchMetadata(config: LoginConfig, network: NetworkOptions): Promise<AuthorizationServer> {
  const cacheKey = `discovery:${config.issuer}`;
  const cached = readCached<AuthorizationServer>(cacheKey, DISCOVERY_CACHE_MS);
  if (cached?.issuer === config.issuer && usableEndpoints(config, cached)) return cached;
  const issuer = new URL(config.issuer);
  try {
    const response = await discoveryRequest(issuer, { ...requestOptions(config, network), algorithm: 'oidc' });
    // Checks that the metadata's issuer is exactly ours (RFC 8414 §3.3).
    const metadata = await processDiscoveryResponse(issuer, response);
    if (!usableEndpoints(config, metadata)) {
      throw new AuthError('discovery_failed', 'The provider metadata lacks an authorization or token endpoint, or lists an endpoint that is not https://.');
    }
    writeCached(cacheKey, metadata);
    return metadata;
  } catch (error) {
    throw toAuthError(error, 'discovery_failed');
  }
}

const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'revocation_endpoint', 'end_session_endpoint'] as const;

/**
 * The browser navigates to some endpoints (authorization, logout) and oauth4webapi's https
 * rule covers only the requests it sends: a javascript: or http: endpoint from a hostile or
 * misconfigured provider would run script in this page or expose the login. Every endpoint
 * must be https://, or loopback http:// next to a loopback issuer.
 */
function usableEndpoints(config: LoginConfig, metadata: AuthorizationServer): boolean {
  if (!metadata.authorization_endpoint || !metadata.token_endpoint) return false;
  return ENDPOINTS.every((name) => {
    const value = metadata[name];
    if (value === undefined) return true;
    const url = parseUrl(String(value));
    return url?.protocol === 'https:' || (url?.protocol === 'http:' && config.loopbackHttp && isLoopbackHost(url.hostname));
  });
}

/** Forgets cached metadata (tests; a host that rotated its provider). */
export function clearDiscoveryCache(): void {
  discoveries.clear();
}

/** Maps a failed token request: OAuth errors keep their `error`, ID token problems are `id_token_invalid`. */
export function tokenError(error: unknown, fallback: 'token_exchange_failed' | 'refresh_failed'): AuthError {
  if (error instanceof ResponseBodyError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    // invalid_grant on a refresh: expired, revoked or reused; only a new login helps.
    const code = fallback === 'refresh_failed' && error.error === 'invalid_grant' ? 'login_required' : fallback;
    return new AuthError(code, `The token endpoint answered ${error.status} ${error.error}${description}`, { cause: error });
  }
  const message = (error as Error | undefined)?.message ?? '';
  if (/JWT|JWE|ID Token|id_token/.test(message)) {
    return new AuthError('id_token_invalid', `The ID token was rejected: ${message}`, { cause: error });
  }
  return toAuthError(error, fallback);
}

/**
 * Checks what oauth4webapi leaves to the client: an access token that is already expired
 * (expires_in 0) is of no use, and with dpop="required" a Bearer answer is refused.
 */
export function assertTokenResponse(config: LoginConfig, result: TokenEndpointResponse, code: 'token_exchange_failed' | 'refresh_failed'): void {
  if (result.expires_in === 0) throw new AuthError(code, 'The token endpoint issued an access token that is already expired (expires_in 0).');
  // A DPoP-bound token nobody asked for cannot be used: the element holds no key it is bound to.
  if (config.dpop === 'off' && result.token_type === 'dpop') throw new AuthError(code, 'The token endpoint answered with a DPoP token, but DPoP is off.');
  if (config.dpop === 'required' && result.token_type !== 'dpop') {
    throw new AuthError(code, `The token endpoint answered a DPoP request with a ${result.token_type} token; dpop="required" refuses it.`);
  }
}

export function toTokenSet(
  result: TokenEndpointResponse,
  claims: IdTokenClaims,
  idToken: string,
  audience: string | null,
  scope: string,
  previousRefreshToken: string | null = null,
): TokenSet {
  const expiresIn = result.expires_in;
  return {
    accessToken: result.access_token,
    // oauth4webapi lowercases token_type; the Authorization header wants the scheme's usual spelling.
    tokenType: result.token_type === 'dpop' ? 'DPoP' : 'Bearer',
    // Capped, so that an absurd lifetime still gives a finite date (JSON has no Infinity).
    expiresAt: typeof expiresIn === 'number' ? Date.now() + Math.min(expiresIn, MAX_LIFETIME_S) * 1000 : null,
    scope: result.scope ?? scope,
    audience,
    idToken,
    claims,
    // A response without a new refresh token keeps the old one (RFC 6749 §6).
    refreshToken: result.refresh_token ?? previousRefreshToken,
  };
}
