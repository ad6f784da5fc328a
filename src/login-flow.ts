/**
 * The protocol: discovery, the PKCE authorization request and the callback's code
 * exchange, every step through oauth4webapi. No DOM, no element: testable alone.
 */
import {
  authorizationCodeGrantRequest,
  AuthorizationResponseError,
  calculatePKCECodeChallenge,
  generateRandomCodeVerifier,
  generateRandomNonce,
  generateRandomState,
  getValidatedIdTokenClaims,
  None,
  processAuthorizationCodeResponse,
  validateAuthResponse,
  type Client,
  type TokenEndpointResponse,
} from 'oauth4webapi';
import { TOKEN_PARAMS } from './authorization-response.js';
import { assertTokenResponse, discover, requestOptions, retryOnDpopNonce, tokenError, toTokenSet, type NetworkOptions, type TokenSet } from './authorization-server.js';
import type { LoginConfig } from './config.js';
import { AuthError, authorizationErrorCode } from './errors.js';
import type { IdTokenClaims } from './events.js';
import { prefetchJwks, verifyIdTokenSignature } from './id-token-signature.js';
import { PENDING_LOGIN_TTL_MS, savePendingLogin, type PendingLogin } from './storage.js';

/** Tolerated clock difference with the provider, in seconds. */
const CLOCK_SKEW_S = 300;
/** An authorization code longer than this is not one any provider issues: refused unsent. */
const MAX_CODE_LENGTH = 2048;

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
  const { url, pending } = await authorizationRequest(config, options, network);
  savePendingLogin(pending);
  return url;
}

/** The authorization request and its pending login, not yet stored (silent sign-in keeps it in memory). */
export async function authorizationRequest(
  config: LoginConfig,
  options: StartLoginOptions,
  network: NetworkOptions = {},
): Promise<{ url: URL; pending: PendingLogin }> {
  if (!globalThis.crypto?.subtle) {
    throw new AuthError('crypto_unavailable', 'WebCrypto is unavailable: serve the page over https:// (or http://localhost).');
  }
  const as = await discover(config, network);
  const codeVerifier = generateRandomCodeVerifier();
  // The callback page will need the signing keys: fetch them now, alongside the PKCE hash.
  const [codeChallenge] = await Promise.all([calculatePKCECodeChallenge(codeVerifier), prefetchJwks(config, as, network)]);
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

  const pending: PendingLogin = {
    state,
    codeVerifier,
    nonce,
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    audience: config.audience,
    scope: config.scope,
    returnTo: options.returnTo,
    createdAt: Date.now(),
    expiresAt: Date.now() + PENDING_LOGIN_TTL_MS,
  };
  return { url, pending };
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
    const code = /"iss"/.test(message) ? 'iss_mismatch' : /"state" missing/.test(message) ? 'state_missing' : /"state"/.test(message) ? 'state_mismatch' : 'authorization_failed';
    throw new AuthError(code, `Invalid authorization response: ${message}`, { cause: error });
  }

  // Tokens never travel in the URL in the code flow (RFC 9700 §2.1.2): such a response is forged or misrouted.
  if (TOKEN_PARAMS.some((name) => params.has(name))) {
    throw new AuthError('authorization_failed', 'The authorization response carries a token in the URL; it was refused.');
  }
  const codes = params.getAll('code');
  if (codes.length !== 1) {
    throw new AuthError('authorization_failed', codes.length ? 'The authorization response carries more than one code; none was sent.' : 'The authorization response carries no code.');
  }
  if (codes[0]!.length > MAX_CODE_LENGTH) {
    throw new AuthError('authorization_failed', 'The authorization code is implausibly long; it was not sent.');
  }

  let tokenResponse!: Response;
  let result: TokenEndpointResponse;
  try {
    // The only second sending of a code: a DPoP nonce demand, which the server refused unprocessed.
    result = await retryOnDpopNonce(async () => {
      tokenResponse = await authorizationCodeGrantRequest(as, client, None(), params, pending.redirectUri, pending.codeVerifier, requestOptions(config, network));
      return processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: pending.nonce, requireIdToken: true });
    });
  } catch (error) {
    throw tokenError(error, 'token_exchange_failed');
  }
  assertTokenResponse(config, result, 'token_exchange_failed');
  const claims = getValidatedIdTokenClaims(result) as unknown as IdTokenClaims;
  await verifyIdTokenSignature(config, as, tokenResponse, network);
  // oauth4webapi checks that iat is a number; its age is the client's call (OIDC Core §3.1.3.7 (10)).
  const now = Date.now() / 1000;
  // oauth4webapi checks azp only with several audiences; OIDC Core §3.1.3.7 (5): whenever present.
  if (claims.azp !== undefined && claims.azp !== pending.clientId) throw new AuthError('id_token_invalid', 'The ID token was rejected: it was issued to another client (azp).');
  if (claims.iat > now + CLOCK_SKEW_S) throw new AuthError('id_token_invalid', 'The ID token was rejected: it was issued in the future (iat).');
  if (claims.iat < pending.createdAt / 1000 - CLOCK_SKEW_S - 3600) {
    throw new AuthError('id_token_invalid', 'The ID token was rejected: it was issued long before this login started (iat).');
  }
  return toTokenSet(result, claims, result.id_token!, pending.audience, pending.scope);
}
