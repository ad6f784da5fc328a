/**
 * The provider's signing keys (JWKS), kept in sessionStorage as oauth4webapi's JWKS cache:
 * fetched when a login starts and before a refresh, so that the callback page and the
 * check of a renewed ID token need no extra request.
 */
import type { AuthorizationServer, ExportedJWKSCache, JWK } from 'oauth4webapi';
import { readCached, writeCached } from './cache.js';
import type { LoginConfig } from '../config.js';
import { requestOptions, sender } from './provider.js';
import type { NetworkOptions } from '../session-contract.js';

/** oauth4webapi fetches the keys again once its cache is this old (its own rule), so a prefetch is no use beyond it. */
const JWKS_FRESH_S = 300;

const cacheName = (config: LoginConfig) => `jwks:${config.issuer}`;
const now = () => Math.floor(Date.now() / 1000);

/** Fetches the JWKS ahead of its use. Failures are left for the signature check to report. */
export async function prefetchJwks(config: LoginConfig, as: AuthorizationServer, network: NetworkOptions = {}): Promise<void> {
  const cached = readCached<ExportedJWKSCache>(cacheName(config));
  if (!as.jwks_uri || (cached && now() - cached.uat < JWKS_FRESH_S)) return;
  try {
    const response = await sender(network)(as.jwks_uri, {
      headers: { accept: 'application/json' },
      signal: requestOptions(config, network).signal,
      redirect: 'error',
    });
    const { keys } = (await response.json()) as { keys?: JWK[] };
    // oauth4webapi validates the set when it uses it; a bad one is only a cache miss.
    if (response.ok && Array.isArray(keys)) writeCached(cacheName(config), { jwks: { keys }, uat: now() } satisfies ExportedJWKSCache);
  } catch {
    // The check fetches the keys itself and reports what fails.
  }
}

/** The cached keys, as oauth4webapi's jwksCache option takes them (it updates the object when it refetches). */
export const cachedJwks = (config: LoginConfig): Partial<ExportedJWKSCache> => readCached<ExportedJWKSCache>(cacheName(config)) ?? {};

/** Keeps a cache oauth4webapi refreshed (expired cache, key rotation). */
export function keepJwks(config: LoginConfig, cache: Partial<ExportedJWKSCache>, before: number | undefined): void {
  if (cache.uat !== before) writeCached(cacheName(config), cache);
}
