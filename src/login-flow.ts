/**
 * The protocol: discovery, the PKCE authorization request and the callback's code
 * exchange, every step through oauth4webapi. No DOM, no element: testable alone.
 */
import {
  allowInsecureRequests,
  authorizationCodeGrantRequest,
  AuthorizationResponseError,
  calculatePKCECodeChallenge,
  customFetch,
  discoveryRequest,
  generateRandomCodeVerifier,
  generateRandomNonce,
  generateRandomState,
  getValidatedIdTokenClaims,
  None,
  processAuthorizationCodeResponse,
  processDiscoveryResponse,
  ResponseBodyError,
  validateAuthResponse,
  type AuthorizationServer,
  type Client,
  type TokenEndpointResponse,
} from 'oauth4webapi';
import type { LoginConfig } from './config.js';
import { AuthError, authorizationErrorCode, toAuthError } from './errors.js';
import type { IdTokenClaims } from './events.js';
import { PENDING_LOGIN_TTL_MS, readCached, savePendingLogin, writeCached, type PendingLogin } from './storage.js';

/** Tokens of a logged-in session. Only `refreshToken` never leaves the core. */
export interface TokenSet {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresAt: number | null;
  readonly scope: string;
  readonly audience: string | null;
  readonly idToken: string;
  readonly claims: IdTokenClaims;
  readonly refreshToken: string | null;
}

/** Network settings; `fetch` is the seam tests and advanced hosts use (oauth4webapi's customFetch). */
export interface NetworkOptions {
  /** Milliseconds before a request to the provider is abandoned with `timeout`. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const DISCOVERY_CACHE_MS = 60 * 60 * 1000;

function requestOptions(config: LoginConfig, network: NetworkOptions) {
  return {
    signal: AbortSignal.timeout(network.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    // Plain http only for loopback issuers; config.ts refuses the rest.
    [allowInsecureRequests]: config.loopbackHttp,
    // oauth4webapi calls it as fetch(url, init).
    ...(network.fetch ? { [customFetch]: network.fetch as never } : {}),
  };
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
  if (cached?.issuer === config.issuer && cached.token_endpoint) return cached;
  const issuer = new URL(config.issuer);
  try {
    const response = await discoveryRequest(issuer, { ...requestOptions(config, network), algorithm: 'oidc' });
    // Checks that the metadata's issuer is exactly ours (RFC 8414 §3.3).
    const metadata = await processDiscoveryResponse(issuer, response);
    if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
      throw new AuthError('discovery_failed', 'The provider metadata has no authorization or token endpoint.');
    }
    writeCached(cacheKey, metadata);
    return metadata;
  } catch (error) {
    throw toAuthError(error, 'discovery_failed');
  }
}

/** Forgets cached metadata (tests; a host that rotated its provider). */
export function clearDiscoveryCache(): void {
  discoveries.clear();
}

export interface StartLoginOptions {
  /** Same-origin path to come back to after the callback (validated by the caller). */
  readonly returnTo: string;
  /** Per-call authorization parameters, already checked against RESERVED_PARAMS. */
  readonly authorizationParams?: Readonly<Record<string, string>>;
}

/**
 * Builds the authorization request (the guide's §4, plus state and nonce) and stores
 * the pending login. Returns the URL to navigate to.
 */
export async function startLogin(config: LoginConfig, options: StartLoginOptions, network: NetworkOptions = {}): Promise<URL> {
  if (!globalThis.crypto?.subtle) {
    throw new AuthError('crypto_unavailable', 'WebCrypto is unavailable: serve the page over https:// (or http://localhost).');
  }
  const as = await discover(config, network);
  const codeVerifier = generateRandomCodeVerifier();
  const codeChallenge = await calculatePKCECodeChallenge(codeVerifier);
  const state = generateRandomState();
  const nonce = generateRandomNonce();

  const url = new URL(as.authorization_endpoint!);
  const extra = { ...config.authorizationParams, ...options.authorizationParams };
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  if (config.audience) url.searchParams.set('audience', config.audience);
  url.searchParams.set('scope', config.scope);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', config.redirectUri);
  // RFC 7636 §4.2: S256 only, whatever else the provider lists.
  url.searchParams.set('code_challenge', codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);

  savePendingLogin({
    state,
    codeVerifier,
    nonce,
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    audience: config.audience,
    scope: config.scope,
    returnTo: options.returnTo,
    expiresAt: Date.now() + PENDING_LOGIN_TTL_MS,
  });
  return url;
}

/**
 * Validates an authorization response for a pending login (already removed from
 * storage) and exchanges the code. The pending login's own issuer is used, never
 * the element's current one (mix-up defence, RFC 9700 §4.4.2).
 */
export async function completeLogin(
  config: LoginConfig,
  pending: PendingLogin,
  response: URL,
  network: NetworkOptions = {},
): Promise<TokenSet> {
  if (pending.issuer !== config.issuer || pending.clientId !== config.clientId) {
    throw new AuthError('iss_mismatch', 'The pending login was started for another provider or client.');
  }
  if (!(pending.expiresAt > Date.now())) {
    throw new AuthError('login_expired', 'The login took too long; please log in again.');
  }
  const as = await discover(config, network);
  const client: Client = { client_id: pending.clientId };

  let params: URLSearchParams;
  try {
    // Checks state, iss (RFC 9207) and duplicate parameters; throws on error responses.
    params = validateAuthResponse(as, client, response, pending.state);
  } catch (error) {
    if (error instanceof AuthorizationResponseError) {
      const description = error.error_description ? `: ${error.error_description}` : '';
      throw new AuthError(authorizationErrorCode(error.error), `${error.error}${description}`, { cause: error });
    }
    const message = (error as Error).message ?? '';
    const code = /"iss"/.test(message) ? 'iss_mismatch' : /"state"/.test(message) ? 'state_mismatch' : 'authorization_failed';
    throw new AuthError(code, `Invalid authorization response: ${message}`, { cause: error });
  }

  let result: TokenEndpointResponse;
  try {
    const answer = await authorizationCodeGrantRequest(
      as, client, None(), params, pending.redirectUri, pending.codeVerifier, requestOptions(config, network),
    );
    result = await processAuthorizationCodeResponse(as, client, answer, { expectedNonce: pending.nonce, requireIdToken: true });
  } catch (error) {
    throw tokenError(error);
  }
  const claims = getValidatedIdTokenClaims(result) as unknown as IdTokenClaims;
  return toTokenSet(result, claims, pending.audience, pending.scope);
}

function tokenError(error: unknown): AuthError {
  if (error instanceof ResponseBodyError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    return new AuthError('token_exchange_failed', `The token endpoint answered ${error.status} ${error.error}${description}`, { cause: error });
  }
  const message = (error as Error | undefined)?.message ?? '';
  if (/JWT|ID Token|id_token/.test(message)) {
    return new AuthError('id_token_invalid', `The ID token was rejected: ${message}`, { cause: error });
  }
  return toAuthError(error, 'token_exchange_failed');
}

function toTokenSet(result: TokenEndpointResponse, claims: IdTokenClaims, audience: string | null, scope: string): TokenSet {
  const expiresIn = result.expires_in;
  return {
    accessToken: result.access_token,
    // oauth4webapi lowercases token_type; the Authorization header wants the scheme's usual spelling.
    tokenType: result.token_type === 'dpop' ? 'DPoP' : 'Bearer',
    expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null,
    scope: result.scope ?? scope,
    audience,
    idToken: result.id_token!,
    claims,
    refreshToken: result.refresh_token ?? null,
  };
}
