/**
 * ID token signatures. oauth4webapi validates an ID token's claims and algorithm when it
 * processes a token response, and its signature only when asked: OpenID Connect Core
 * §3.1.3.7 (6) lets a client trust TLS to the token endpoint instead. The element asks
 * (validateApplicationLevelSignature), so that a tampered token is refused whatever the
 * transport. The provider's keys are fetched when the login starts and kept in
 * sessionStorage as oauth4webapi's JWKS cache, so the callback page still makes a single
 * request.
 */
import { jwksCache, validateApplicationLevelSignature, type AuthorizationServer, type ExportedJWKSCache, type JWK } from 'oauth4webapi';
import { requestOptions, type NetworkOptions } from './authorization-server.js';
import type { LoginConfig } from './config.js';
import { AuthError, toAuthError } from './errors.js';
import { readCached, writeCached } from './storage.js';

/** oauth4webapi fetches the keys again once its cache is this old (its own rule), so a prefetch is no use beyond it. */
const JWKS_FRESH_S = 300;

const cacheName = (config: LoginConfig) => `jwks:${config.issuer}`;
const now = () => Math.floor(Date.now() / 1000);

/** Fetches the JWKS ahead of the callback (at login, before a refresh). Failures are left for the check to report. */
export async function prefetchJwks(config: LoginConfig, as: AuthorizationServer, network: NetworkOptions = {}): Promise<void> {
  const cached = readCached<ExportedJWKSCache>(cacheName(config));
  if (!as.jwks_uri || (cached && now() - cached.uat < JWKS_FRESH_S)) return;
  try {
    const response = await (network.fetch ?? fetch)(as.jwks_uri, {
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

/** Verifies the signature of the ID token in `response`, a token response oauth4webapi has processed. */
export async function verifyIdTokenSignature(config: LoginConfig, as: AuthorizationServer, response: Response, network: NetworkOptions = {}): Promise<void> {
  const cache: Partial<ExportedJWKSCache> = readCached<ExportedJWKSCache>(cacheName(config)) ?? {};
  const uat = cache.uat;
  try {
    await validateApplicationLevelSignature(as, response, { ...requestOptions(config, network), [jwksCache]: cache as ExportedJWKSCache });
  } catch (error) {
    const failure = toAuthError(error, 'id_token_invalid');
    // network_error or timeout: the keys could not be fetched.
    throw failure.code === 'id_token_invalid' ? new AuthError('id_token_invalid', `The ID token was rejected: ${failure.message}`, { cause: error }) : failure;
  }
  // oauth4webapi fetched the keys again (expired cache, rotation): keep the new set.
  if (cache.uat !== uat) writeCached(cacheName(config), cache);
}
