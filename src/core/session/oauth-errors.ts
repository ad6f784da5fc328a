/**
 * The one place where anything thrown during a protocol step becomes an AuthError.
 * oauth4webapi's errors are mapped by their `code` and `cause`, never by their message: a
 * reworded message in an oauth4webapi release must not change which error a user sees.
 */
import {
  AUTHORIZATION_RESPONSE_ERROR,
  INVALID_RESPONSE,
  JWT_CLAIM_COMPARISON,
  JWT_TIMESTAMP_CHECK,
  KEY_SELECTION,
  PARSE_ERROR,
  RESPONSE_BODY_ERROR,
  UNSUPPORTED_OPERATION,
} from 'oauth4webapi';
import { AuthError, AUTHORIZATION_ERROR_CODES, type AuthErrorCode, type AuthorizationErrorCode } from '../errors.js';

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
export type Step = 'discovery_failed' | 'authorization_failed' | 'token_exchange_failed' | 'refresh_failed' | 'passkey_refused' | 'id_token_invalid' | 'storage_unavailable' | 'config_invalid';

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
    case RESPONSE_BODY_ERROR: {
      const description = failure.error_description ? `: ${failure.error_description}` : '';
      // invalid_grant on a refresh: expired, revoked or reused; only a new login helps (RFC 6749 §5.2).
      // mfa_required (Auth0): the refresh token (or passkey) is good, but the user must step up first.
      const code = step !== 'refresh_failed' && step !== 'passkey_refused' ? step
        : failure.error === 'mfa_required' ? 'mfa_required' : failure.error === 'invalid_grant' && step === 'refresh_failed' ? 'login_required' : step;
      return new AuthError(code, `The token endpoint answered ${failure.status} ${failure.error}${description}`, { cause: error });
    }
    case AUTHORIZATION_RESPONSE_ERROR: {
      const description = failure.error_description ? `: ${failure.error_description}` : '';
      return new AuthError(authorizationErrorCode(String(failure.error)), `${failure.error}${description}`, { cause: error });
    }
  }
  if ((step === 'token_exchange_failed' || step === 'refresh_failed' || step === 'passkey_refused') && concernsJwt(failure)) {
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
  if (code === JWT_CLAIM_COMPARISON || code === JWT_TIMESTAMP_CHECK || code === KEY_SELECTION) return true;
  if (code !== INVALID_RESPONSE && code !== PARSE_ERROR && code !== UNSUPPORTED_OPERATION) return false;
  if (typeof cause === 'string') return true; // the JWT itself: not three parts, or a JWE
  if (!cause || typeof cause !== 'object' || cause instanceof Response) return false;
  if ('body' in cause) return false;
  return 'claims' in cause || 'header' in cause || 'alg' in cause || 'key' in cause || code === PARSE_ERROR;
}
