/**
 * The OpenID Provider as every protocol step reaches it: its metadata (discovery, once per
 * page session) and the options of each request (timeout, loopback http, the fetch seam,
 * DPoP). Network failures are tagged here, where fetch is called.
 */
import {
  allowInsecureRequests,
  customFetch,
  discoveryRequest,
  isDPoPNonceError,
  processDiscoveryResponse,
  type AuthorizationServer,
  type DPoPHandle,
} from 'oauth4webapi';
import { readCached, writeCached } from './cache.js';
import { isLoopbackHost, parseUrl, type LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import { toAuthError } from './oauth-errors.js';
import type { NetworkOptions } from '../session-contract.js';

const DISCOVERY_CACHE_MS = 60 * 60 * 1000;

/**
 * fetch, with its failures named: a rejected fetch (no network, CORS, connection dropped)
 * is `network_error`; a timeout stays a TimeoutError, which toAuthError maps to `timeout`.
 */
export function sender(network: NetworkOptions): typeof fetch {
  return async (input, init) => {
    try {
      // Looked up at call time: pages and tests may replace window.fetch.
      return await (network.fetch ?? fetch)(input, init);
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw error;
      throw new AuthError('network_error', 'The identity provider could not be reached.', { cause: error });
    }
  };
}

export function requestOptions(config: LoginConfig, network: NetworkOptions, timeoutMs = network.timeoutMs ?? config.timeoutMs) {
  return {
    // oauth4webapi has no default timeout: every request gets one.
    signal: AbortSignal.timeout(timeoutMs),
    // Plain http only for loopback issuers; config.ts refuses the rest.
    [allowInsecureRequests]: config.loopbackHttp,
    // oauth4webapi calls it as fetch(url, init).
    [customFetch]: sender(network) as never,
    ...(network.dpop ? { DPoP: network.dpop } : {}),
  };
}

/** The options of a request to the token or revocation endpoint: through the vault when there is one. */
export const tokenRequestOptions = (config: LoginConfig, network: NetworkOptions, timeoutMs?: number) =>
  requestOptions(config, network.tokenFetch ? { ...network, fetch: network.tokenFetch } : network, timeoutMs);

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
  if (cached && sameIssuer(cached.issuer, config.issuer) && usableEndpoints(config, cached)) return cached;
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

/**
 * Whether two spellings name the same issuer, as oauth4webapi's processDiscoveryResponse decides
 * it (RFC 8414 §3.3, comparing URLs): `https://tenant.auth0.com` and `https://tenant.auth0.com/`
 * are one issuer, so the cached metadata serves either spelling.
 */
const sameIssuer = (a: string, b: string): boolean => parseUrl(a)?.href === parseUrl(b)?.href;

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
