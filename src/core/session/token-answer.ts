/**
 * Every check on a token answer, from a code exchange, a refresh, a token exchange or a passkey alike: oauth4webapi's
 * processing (body, token type, ID token claims, nonce), the ID token's signature, what
 * OpenID Connect leaves to the client (azp, iat, the same user on renewal) and what this
 * element adds (expired answers, DPoP mode). What passes becomes a TokenSet.
 */
import {
  getValidatedIdTokenClaims,
  jwksCache,
  PARSE_ERROR,
  processAuthorizationCodeResponse,
  processGenericTokenEndpointResponse,
  processRefreshTokenResponse,
  validateApplicationLevelSignature,
  type AuthorizationServer,
  type ExportedJWKSCache,
  type TokenEndpointResponse,
} from 'oauth4webapi';
import type { LoginConfig } from '../config.js';
import { AuthError } from '../errors.js';
import { toAuthError } from './oauth-errors.js';
import type { PendingLogin } from './pending-login.js';
import { requestOptions, retryOnDpopNonce } from './provider.js';
import { cachedJwks, keepJwks } from './signing-keys.js';
import type { ExchangedToken, IdTokenClaims, NetworkOptions, TokenSet } from '../session-contract.js';

type TokenStep = 'token_exchange_failed' | 'refresh_failed' | 'passkey_refused';

/** Tolerated clock difference with the provider, in seconds. */
const CLOCK_SKEW_S = 300;
/** Longest access token lifetime taken at its word: a year. */
const MAX_LIFETIME_S = 365 * 24 * 3600;

/** What the grant modules hand over: how to send their token request, once or twice. */
export type SendTokenRequest = () => Promise<Response>;

/** The answer to a code exchange (OpenID Connect Core §3.1.3.5 to §3.1.3.7) for `pending`. */
export async function acceptCodeAnswer(
  config: LoginConfig,
  as: AuthorizationServer,
  pending: PendingLogin,
  send: SendTokenRequest,
  network: NetworkOptions = {},
): Promise<TokenSet> {
  const client = { client_id: pending.clientId };
  // With max_age asked for, oauth4webapi requires auth_time and checks its age (OIDC Core §3.1.3.7 (11)).
  const { result, response } = await answer('token_exchange_failed', send, (r) =>
    processAuthorizationCodeResponse(as, client, r, { expectedNonce: pending.nonce, requireIdToken: true, ...(pending.maxAge != null ? { maxAge: pending.maxAge } : {}) }));
  checkAnswer(config.dpop, result, 'token_exchange_failed');
  const claims = getValidatedIdTokenClaims(result) as unknown as IdTokenClaims;
  await verifySignature(config, as, response, network);
  checkIssue(claims, pending.clientId);
  if (claims.iat < pending.createdAt / 1000 - CLOCK_SKEW_S - 3600) throw rejected('it was issued long before this login started (iat)');
  // Step-up: acr_values asked for must be met, or the login is not the stronger one asked for.
  if (pending.acrValues && !pending.acrValues.split(' ').includes(String(claims['acr'] ?? ''))) {
    throw rejected(`its acr is ${claims['acr'] === undefined ? 'missing' : `"${String(claims['acr'])}"`}, not one of the acr_values asked for ("${pending.acrValues}")`);
  }
  assertOrganization(pending.organization ?? null, claims);
  return { ...tokenSet(result, claims, result.id_token!, pending.audience, pending.scope), organization: pending.organization ?? null };
}

/**
 * The answer to a refresh of `current` (RFC 6749 §6). A new refresh token replaces the old
 * one; an answer without one keeps it. A new ID token must be the same user's (OpenID
 * Connect Core §12.2) and this client's (§3.1.3.7).
 */
export async function acceptRefreshAnswer(
  config: LoginConfig,
  as: AuthorizationServer,
  current: TokenSet,
  send: SendTokenRequest,
  network: NetworkOptions = {},
): Promise<TokenSet> {
  const client = { client_id: config.clientId };
  const { result, response } = await answer('refresh_failed', send, (r) => processRefreshTokenResponse(as, client, r));
  checkAnswer(config.dpop, result, 'refresh_failed');
  const fresh = getValidatedIdTokenClaims(result) as unknown as IdTokenClaims | undefined;
  const organization = current.organization ?? null;
  if (!fresh) return { ...tokenSet(result, current.claims, current.idToken, current.audience, current.scope, current.refreshToken), organization };
  assertSameUser(current.claims, fresh);
  if (fresh.azp !== undefined && fresh.azp !== config.clientId) throw rejected('it was issued to another client (azp)');
  assertOrganization(organization, fresh);
  await verifySignature(config, as, response, network);
  return { ...tokenSet(result, fresh, result.id_token!, current.audience, current.scope, current.refreshToken), organization };
}

/**
 * The answer to a grant that logs in at the token endpoint, with no authorization request: a
 * token exchange (RFC 8693 §2.2.1) or a passkey (passkeys.ts). A session needs an ID token,
 * checked as a code exchange's is but for the nonce (none was sent) and the age (no login
 * started here).
 */
export async function acceptGrantAnswer(
  config: LoginConfig,
  as: AuthorizationServer,
  organization: string | null,
  send: SendTokenRequest,
  network: NetworkOptions = {},
  step: TokenStep = 'token_exchange_failed',
): Promise<TokenSet> {
  const { result, response } = await answer(step, send, (r) => processGenericTokenEndpointResponse(as, { client_id: config.clientId }, r));
  checkAnswer(config.dpop, result, step);
  const claims = getValidatedIdTokenClaims(result) as unknown as IdTokenClaims | undefined;
  if (!claims) throw new AuthError(step, 'The token endpoint answered without an ID token, so no session can start (is openid in the scope?).');
  await verifySignature(config, as, response, network);
  checkIssue(claims, config.clientId);
  assertOrganization(organization, claims);
  return { ...tokenSet(result, claims, result.id_token!, config.audience, config.scope), organization };
}

/** The answer to a token exchange for the caller: its access token, and the refresh token to drop. */
export async function acceptExchangedToken(as: AuthorizationServer, clientId: string, send: SendTokenRequest): Promise<{ token: ExchangedToken; refreshToken: string | null }> {
  const { result } = await answer('token_exchange_failed', send, (r) => processGenericTokenEndpointResponse(as, { client_id: clientId }, r));
  // Sent without a DPoP proof: a DPoP-bound answer is refused (checkAnswer), as one nobody asked for.
  checkAnswer('off', result, 'token_exchange_failed');
  const { expiresAt, scope } = tokenSet(result, {} as IdTokenClaims, '', null, '');
  const issued = (result as { issued_token_type?: unknown }).issued_token_type;
  return {
    token: { accessToken: result.access_token, tokenType: 'Bearer', expiresAt, scope: scope || null, issuedTokenType: typeof issued === 'string' ? issued : null },
    refreshToken: result.refresh_token ?? null,
  };
}

/** A renewal (refresh or silent sign-in) must be for the user who logged in (OpenID Connect Core §12.2). */
export function assertSameUser(before: IdTokenClaims, after: IdTokenClaims): void {
  if (after.iss !== before.iss || after.sub !== before.sub) throw rejected('it names another issuer or user than the session (OpenID Connect Core §12.2)');
}

/**
 * An Auth0 Organization login: every ID token names the organization, by `org_id` when it was
 * asked for by id (`org_…`), else by `org_name`, lower-cased (as Auth0's SDKs check it).
 */
export function assertOrganization(organization: string | null, claims: IdTokenClaims): void {
  if (!organization) return;
  const [claim, expected] = organization.startsWith('org_') ? ['org_id', organization] : ['org_name', organization.toLowerCase()];
  if (claims[claim] !== expected) {
    throw rejected(`it is not for the organization "${organization}": its ${claim} is ${claims[claim] === undefined ? 'missing' : `"${String(claims[claim])}"`}`);
  }
}

/**
 * A token for another API must be for that API: when it is a JWT, its `aud` must name it. Auth0
 * answers an API outside the application's refresh token policy with a token for the default
 * one, silently. An opaque token cannot be checked here; its API will.
 */
export function assertAudience(accessToken: string, audience: string): void {
  const aud = jwtPayload(accessToken)?.['aud'];
  if (aud === undefined) return;
  if (!(Array.isArray(aud) ? aud : [aud]).includes(audience)) {
    throw new AuthError('audience_mismatch', `The provider answered with a token for ${JSON.stringify(aud)}, not for ${audience}; it was not handed out (is the API in the application's refresh token policy?).`);
  }
}

const rejected = (reason: string) => new AuthError('id_token_invalid', `The ID token was rejected: ${reason}.`);

/** What oauth4webapi leaves to the client about who and when: azp whenever present, iat not in the future. */
function checkIssue(claims: IdTokenClaims, clientId: string): void {
  // oauth4webapi checks azp only with several audiences; OIDC Core §3.1.3.7 (5): whenever present.
  if (claims.azp !== undefined && claims.azp !== clientId) throw rejected('it was issued to another client (azp)');
  // oauth4webapi checks that iat is a number; its age is the client's call (OIDC Core §3.1.3.7 (10)).
  if (claims.iat > Date.now() / 1000 + CLOCK_SKEW_S) throw rejected('it was issued in the future (iat)');
}

/**
 * Sends the token request and processes the answer, asking once more when the server demands
 * a DPoP nonce (RFC 9449 §8: it refused the first request unprocessed). Failures are mapped
 * for `step`; a body that is not JSON is told apart from an ID token that is not (both are
 * oauth4webapi's PARSE_ERROR) by reading a copy of the body.
 */
async function answer(step: TokenStep, send: SendTokenRequest, process: (response: Response) => Promise<TokenEndpointResponse>) {
  let response!: Response;
  let copy: Response | undefined;
  try {
    const result = await retryOnDpopNonce(async () => {
      response = await send();
      copy = response.clone();
      return process(response);
    });
    return { result, response };
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === PARSE_ERROR && copy && !(await isJson(copy))) {
      throw new AuthError(step, 'The token endpoint answered with a body that is not JSON.', { cause: error });
    }
    throw toAuthError(error, step);
  }
}

const isJson = (response: Response) => response.text().then((body) => { JSON.parse(body); return true; }, () => false).catch(() => false);

/** What oauth4webapi leaves to the client: an already expired token is useless; DPoP answers must match the mode. */
function checkAnswer(dpop: LoginConfig['dpop'], result: TokenEndpointResponse, step: TokenStep): void {
  if ((result.expires_in ?? jwtLifetime(result.access_token)) === 0) throw new AuthError(step, 'The token endpoint issued an access token that is already expired (expires_in 0, or its exp is past).');
  // A DPoP-bound token nobody asked for cannot be used: the element holds no key it is bound to.
  if (dpop === 'off' && result.token_type === 'dpop') throw new AuthError(step, 'The token endpoint answered with a DPoP token, but no DPoP proof was sent.');
  if (dpop === 'required' && result.token_type !== 'dpop') {
    throw new AuthError(step, `The token endpoint answered a DPoP request with a ${result.token_type} token; dpop="required" refuses it.`);
  }
}

/**
 * The ID token's signature, checked whatever the transport (OpenID Connect Core §3.1.3.7 (6)
 * would let a client trust TLS instead), with the keys cached at login.
 */
async function verifySignature(config: LoginConfig, as: AuthorizationServer, response: Response, network: NetworkOptions): Promise<void> {
  const cache = cachedJwks(config);
  const before = cache.uat;
  try {
    await validateApplicationLevelSignature(as, response, { ...requestOptions(config, network), [jwksCache]: cache as ExportedJWKSCache });
  } catch (error) {
    const failure = toAuthError(error, 'id_token_invalid');
    // network_error or timeout: the keys could not be fetched.
    throw failure.code === 'id_token_invalid' ? new AuthError('id_token_invalid', `The ID token was rejected: ${failure.message}`, { cause: error }) : failure;
  }
  keepJwks(config, cache, before);
}

function tokenSet(
  result: TokenEndpointResponse,
  claims: IdTokenClaims,
  idToken: string,
  audience: string | null,
  scope: string,
  previousRefreshToken: string | null = null,
): TokenSet {
  // The answer's lifetime (RFC 6749 §5.1), or when it gives none, a JWT access token's own `exp`.
  const expiresIn = result.expires_in ?? jwtLifetime(result.access_token);
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

/**
 * Seconds left before a JWT access token's `exp`, or undefined for an opaque token. Read, not
 * verified: the token is the API's to check, and this only keeps a token known to be expired
 * from being handed out as valid when the provider sent no expires_in.
 */
function jwtLifetime(accessToken: string): number | undefined {
  const exp = jwtPayload(accessToken)?.['exp'];
  return typeof exp === 'number' && Number.isFinite(exp) ? Math.max(0, exp - Date.now() / 1000) : undefined;
}

/** The claims of a JWT access token, read without verifying it (the API verifies it); undefined for an opaque token. */
function jwtPayload(accessToken: string): Record<string, unknown> | undefined {
  try {
    const payload = JSON.parse(atob(accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as unknown;
    return payload && typeof payload === 'object' ? payload as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}
