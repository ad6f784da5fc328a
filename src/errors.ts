/**
 * Typed errors. Every failure the element reports carries one of these codes in
 * the `auth-error` event's `detail.code`; the README documents each of them.
 */

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
] as const;

export type AuthorizationErrorCode = (typeof AUTHORIZATION_ERROR_CODES)[number];
export type ElementErrorCode = (typeof ELEMENT_ERROR_CODES)[number];
export type AuthErrorCode = AuthorizationErrorCode | ElementErrorCode;

/** The error every public method rejects with and every `auth-error` event describes. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: safeCause(options.cause) });
    this.code = code;
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

/**
 * Turns anything thrown during a protocol step into an AuthError.
 * `fallback` names the step that failed (e.g. `token_exchange_failed`).
 */
export function toAuthError(error: unknown, fallback: ElementErrorCode): AuthError {
  if (error instanceof AuthError) return error;
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AuthError('timeout', 'The identity provider did not answer in time.', { cause: error });
  }
  // fetch() rejects with a TypeError when the network or CORS fails.
  if (error instanceof TypeError && /fetch|network|load failed/i.test(error.message)) {
    return new AuthError('network_error', 'The identity provider could not be reached.', { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AuthError(fallback, message, { cause: error });
}
