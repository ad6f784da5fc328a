/**
 * Typed errors: AuthError and its codes. Every failure the element reports carries one of
 * these codes in the `auth-error` event's `detail.code`; docs/errors.md documents each of them.
 * What a protocol step throws becomes an AuthError in session/oauth-errors.ts, which only a
 * page that logs someone in loads.
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
  'audience_mismatch',
  'step_up_required',
  'mfa_required',
  'passkey_unsupported',
  'passkey_cancelled',
  'passkey_refused',
] as const;

/**
 * The answers to `prompt=none` that mean "nobody is signed in here without the user" (OpenID
 * Connect Core §3.1.2.6): a silent sign-in or renewal that gets one ends quietly, as logged out.
 */
const SIGNED_OUT_CODES: ReadonlySet<string> = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']);
export const meansSignedOut = (code: string): boolean => SIGNED_OUT_CODES.has(code);

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
