import type { AuthErrorCode } from './errors.js';

/** ID token claims (OpenID Connect Core §2), as validated by the element. */
export interface IdTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly name?: string;
  readonly email?: string;
  readonly [claim: string]: unknown;
}

/** `detail` of the `token` event. The refresh token is never part of it. */
export interface TokenEventDetail {
  /** The access token (a JWT when an Auth0 `audience` was requested). */
  readonly accessToken: string;
  /** `Bearer` or `DPoP`. */
  readonly tokenType: string;
  /** When the access token expires, in epoch milliseconds; null when the provider gave no lifetime. */
  readonly expiresAt: number | null;
  /** The scope granted (or requested, when the provider did not say). */
  readonly scope: string;
  /** The audience (API identifier) requested, or null. */
  readonly audience: string | null;
  /** The raw ID token. */
  readonly idToken: string;
  /** The validated ID token claims. */
  readonly claims: IdTokenClaims;
}

/** `detail` of the `auth-error` event. */
export interface AuthErrorEventDetail {
  /** A documented, machine-readable code. */
  readonly code: AuthErrorCode;
  /** A human-readable message; provider-supplied text is plain text, never HTML. */
  readonly message: string;
  /** The underlying error, for logging. */
  readonly cause?: unknown;
}

/**
 * Why a session ended: `user` (logout() or the button), `session_ended` (the provider
 * refused to renew it: refresh token expired, revoked or reused; or a new login replaced it),
 * `other_tab` (logout in another tab).
 */
export type LogoutReason = 'user' | 'session_ended' | 'other_tab';

/** `detail` of the `logout` event. */
export interface LogoutEventDetail {
  /** The user who was logged in, or null. */
  readonly claims: IdTokenClaims | null;
  readonly reason: LogoutReason;
}

export type TokenEvent = CustomEvent<TokenEventDetail>;
export type AuthErrorEvent = CustomEvent<AuthErrorEventDetail>;
export type LogoutEvent = CustomEvent<LogoutEventDetail>;

declare global {
  interface HTMLElementEventMap {
    token: TokenEvent;
    'auth-error': AuthErrorEvent;
    logout: LogoutEvent;
  }
}

/** Events cross shadow roots so a page or framework listening on an ancestor hears them. */
export function outcomeEvent<K extends 'token' | 'auth-error' | 'logout'>(
  type: K,
  detail: HTMLElementEventMap[K]['detail'],
): HTMLElementEventMap[K] {
  return new CustomEvent(type, { detail, bubbles: true, composed: true }) as HTMLElementEventMap[K];
}

let loaded: Promise<void> | null = null;

/**
 * Null once the page has run its DOMContentLoaded handlers; before, a promise for the task
 * after them. By then every deferred and module script has run and added its listeners, so
 * an outcome found during loading (a session restored from storage, a bad configuration)
 * waits for it instead of reaching nobody.
 */
export function pageLoading(): Promise<void> | null {
  if (typeof document === 'undefined' || document.readyState === 'complete') return null;
  const timing = performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined;
  if (timing ? timing.domContentLoadedEventEnd > 0 : document.readyState !== 'loading') return null;
  loaded ??= new Promise<void>((resolve) => {
    const next = () => setTimeout(resolve);
    // Inside a DOMContentLoaded handler the event will not fire again: the next task is after it.
    if (timing && timing.domContentLoadedEventStart > 0) next();
    else document.addEventListener('DOMContentLoaded', next, { once: true });
  });
  return loaded;
}
