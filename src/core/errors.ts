/**
 * Typed errors, and the one place where anything thrown during a protocol step becomes one.
 * Every failure the element reports carries one of these codes in the `auth-error` event's
 * `detail.code`; docs/reference.md documents each of them.
 *
 * oauth4webapi's errors are mapped by their `code` and `cause`, never by their message: a
 * reworded message in an oauth4webapi release must not change which error a user sees.
 */
/**
 * oauth4webapi's error codes this mapping reads, as oauth4webapi exports them (errors.test.ts
 * checks each against its export). Spelled out rather than imported, so that a page that only
 * shows the login button loads none of oauth4webapi (see sessions.ts).
 */
const OAUTH = {
  AUTHORIZATION_RESPONSE_ERROR: 'OAUTH_AUTHORIZATION_RESPONSE_ERROR',
  INVALID_RESPONSE: 'OAUTH_INVALID_RESPONSE',
  JWT_CLAIM_COMPARISON: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  JWT_TIMESTAMP_CHECK: 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  KEY_SELECTION: 'OAUTH_KEY_SELECTION_FAILED',
  PARSE_ERROR: 'OAUTH_PARSE_ERROR',
  RESPONSE_BODY_ERROR: 'OAUTH_RESPONSE_BODY_ERROR',
  UNSUPPORTED_OPERATION: 'OAUTH_UNSUPPORTED_OPERATION',
} as const;

/** oauth4webapi's codes as this file reads them, for the test that compares them with oauth4webapi's exports. */
export const OAUTH4WEBAPI_CODES: Readonly<Record<keyof typeof OAUTH, string>> = OAUTH;

/** OAuth 2.0 / OpenID Connect `error` values passed through from an authorization response (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
export const AUTHORIZATION_ERROR_CODES = [
  'access_denied',
  'invalid_request',
  'unauthorized_client',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'interaction_required',
  'login_required',
  'account_selection_required',
  'consent_required',
  'invalid_request_uri',
  'invalid_request_object',
  'request_not_supported',
  'request_uri_not_supported',
  'registration_not_supported',
] as const;

/** Codes of the element's own checks. */
export const ELEMENT_ERROR_CODES = [
  'config_invalid',
  'crypto_unavailable',
  'storage_unavailable',
  'discovery_failed',
  'network_error',
  'timeout',
  'state_missing',
  'state_mismatch',
  'iss_mismatch',
  'login_expired',
  'authorization_failed',
  'token_exchange_failed',
  'id_token_invalid',
  'refresh_failed',
  'popup_blocked',
  'popup_closed',
  'frame_refused',
  'audience_mismatch',
  'step_up_required',
  'mfa_required',
] as const;

export type AuthorizationErrorCode = (typeof AUTHORIZATION_ERROR_CODES)[number];
export type ElementErrorCode = (typeof ELEMENT_ERROR_CODES)[number];
export type AuthErrorCode = AuthorizationErrorCode | ElementErrorCode;

/** The error every public method rejects with and every `auth-error` event describes. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  /** With `step_up_required`: what the API asks of a new login (RFC 9470), for `login({ authorizationParams })`. */
  readonly stepUp?: { readonly acrValues?: string; readonly maxAge?: number };

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown; stepUp?: AuthError['stepUp'] }) {
    super(message, options?.cause === undefined ? undefined : { cause: safeCause(options.cause) });
    this.code = code;
    if (options?.stepUp) this.stepUp = options.stepUp;
  }
}

/**
 * What of an underlying error reaches the page (auth-error's `detail.cause`): its name,
 * message and codes only. oauth4webapi attaches whole token responses to some errors, and
 * those carry live tokens, the refresh token among them.
 */
function safeCause(cause: unknown): unknown {
  if (cause instanceof AuthError) return cause;
  if (!(cause instanceof Error)) return typeof cause === 'string' ? cause : undefined;
  const copy = new Error(cause.message);
  copy.name = cause.name;
  for (const key of ['code', 'status', 'error'] as const) {
    const value = (cause as unknown as Record<string, unknown>)[key];
    if (typeof value === 'string' || typeof value === 'number') Object.defineProperty(copy, key, { value, enumerable: true });
  }
  return copy;
}

const authorizationCodes: ReadonlySet<string> = new Set(AUTHORIZATION_ERROR_CODES);

/** Maps an OAuth `error` value from an authorization response to a documented code. */
export function authorizationErrorCode(error: string): AuthErrorCode {
  return authorizationCodes.has(error) ? (error as AuthorizationErrorCode) : 'authorization_failed';
}

/** The fields of oauth4webapi's errors this mapping reads (OperationProcessingError, ResponseBodyError, …). */
interface OAuthFailure {
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly status?: number;
  readonly error?: string;
  readonly error_description?: string;
}

/** The step that failed, and what its unexplained failures are reported as. */
export type Step = 'discovery_failed' | 'authorization_failed' | 'token_exchange_failed' | 'refresh_failed' | 'id_token_invalid' | 'storage_unavailable' | 'config_invalid';

/**
 * Turns anything thrown during `step` into an AuthError:
 * - our own AuthErrors pass through (network failures are tagged where fetch is called);
 * - a timeout (AbortSignal.timeout) is `timeout`;
 * - an OAuth error answer keeps its `error` (a refused refresh token ends the session: `login_required`);
 * - in a token answer, a problem with the ID token is `id_token_invalid`;
 * - the rest is the step's own code.
 */
export function toAuthError(error: unknown, step: Step): AuthError {
  if (error instanceof AuthError) return error;
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AuthError('timeout', 'The identity provider did not answer in time.', { cause: error });
  }
  const failure = (error ?? {}) as OAuthFailure;
  const message = error instanceof Error ? error.message : String(error);
  switch (failure.code) {
    case OAUTH.RESPONSE_BODY_ERROR: {
      const description = failure.error_description ? `: ${failure.error_description}` : '';
      // invalid_grant on a refresh: expired, revoked or reused; only a new login helps (RFC 6749 §5.2).
      // mfa_required (Auth0): the refresh token is good, but the user must step up first.
      const code = step !== 'refresh_failed' ? step : failure.error === 'invalid_grant' ? 'login_required' : failure.error === 'mfa_required' ? 'mfa_required' : step;
      return new AuthError(code, `The token endpoint answered ${failure.status} ${failure.error}${description}`, { cause: error });
    }
    case OAUTH.AUTHORIZATION_RESPONSE_ERROR: {
      const description = failure.error_description ? `: ${failure.error_description}` : '';
      return new AuthError(authorizationErrorCode(String(failure.error)), `${failure.error}${description}`, { cause: error });
    }
  }
  if ((step === 'token_exchange_failed' || step === 'refresh_failed') && concernsJwt(failure)) {
    return new AuthError('id_token_invalid', `The ID token was rejected: ${message}`, { cause: error });
  }
  return new AuthError(step, message, { cause: error });
}

/**
 * Whether an oauth4webapi error from processing a token answer is about the ID token (a JWT)
 * rather than the answer's body. Claim comparisons, timestamps and key selection always are.
 * The codes oauth4webapi shares between both tell them apart by their cause: body checks
 * carry the parsed `body` (or the Response), JWT checks its `claims`, `header`, `alg` or the
 * token itself. A PARSE_ERROR of the body is told apart before this is asked (token-answer.ts).
 */
function concernsJwt({ code, cause }: OAuthFailure): boolean {
  if (code === OAUTH.JWT_CLAIM_COMPARISON || code === OAUTH.JWT_TIMESTAMP_CHECK || code === OAUTH.KEY_SELECTION) return true;
  if (code !== OAUTH.INVALID_RESPONSE && code !== OAUTH.PARSE_ERROR && code !== OAUTH.UNSUPPORTED_OPERATION) return false;
  if (typeof cause === 'string') return true; // the JWT itself: not three parts, or a JWE
  if (!cause || typeof cause !== 'object' || cause instanceof Response) return false;
  if ('body' in cause) return false;
  return 'claims' in cause || 'header' in cause || 'alg' in cause || 'key' in cause || code === OAUTH.PARSE_ERROR;
}
