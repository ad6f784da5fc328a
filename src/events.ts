/**
 * The element's events: their detail types, their registration in HTMLElementEventMap, and
 * their delivery (bubbling, composed, held until the page has loaded).
 */
import type { AuthErrorCode } from './core/errors.js';
import type { IdTokenClaims, LogoutReason, TokenView } from './core/session-contract.js';

export type { IdTokenClaims, LogoutReason };

/** `detail` of the `token` event: the session's tokens as the page may see them. The refresh token is never part of it. */
export interface TokenEventDetail extends TokenView {
  /** What login({ appState }) carried, on the `token` event of that login only. */
  readonly appState?: unknown;
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

/** `detail` of the `logout` event. */
export interface LogoutEventDetail {
  /** The user who was logged in, or null. */
  readonly claims: IdTokenClaims | null;
  readonly reason: LogoutReason;
}

/** `detail` of the `expiring` event. */
export interface ExpiringEventDetail {
  /** When the access token stops working, in epoch milliseconds: its expiry, or the session's ceiling if that comes first. */
  readonly expiresAt: number;
}

export type TokenEvent = CustomEvent<TokenEventDetail>;
export type AuthErrorEvent = CustomEvent<AuthErrorEventDetail>;
export type LogoutEvent = CustomEvent<LogoutEventDetail>;
export type ExpiringEvent = CustomEvent<ExpiringEventDetail>;

declare global {
  interface HTMLElementEventMap {
    token: TokenEvent;
    'auth-error': AuthErrorEvent;
    logout: LogoutEvent;
    expiring: ExpiringEvent;
  }
}

/** Events cross shadow roots so a page or framework listening on an ancestor hears them. */
export function outcomeEvent<K extends 'token' | 'auth-error' | 'logout' | 'expiring'>(
  type: K,
  detail: HTMLElementEventMap[K]['detail'],
): HTMLElementEventMap[K] {
  return new CustomEvent(type, { detail, bubbles: true, composed: true }) as HTMLElementEventMap[K];
}

/** Per element, the outcomes waiting for the page to finish loading (see pageLoading). */
const outboxes = new WeakMap<EventTarget, Promise<void>>();

/**
 * Dispatches an outcome on `target`; while the page is still loading, once it has loaded, in
 * order, so that listeners added by later scripts hear about a restored session or a bad configuration.
 */
export function dispatchOutcome(target: EventTarget, event: Event): void {
  const waiting = outboxes.get(target) ?? pageLoading();
  if (!waiting) {
    target.dispatchEvent(event);
    return;
  }
  const sent: Promise<void> = waiting.then(() => {
    target.dispatchEvent(event);
    if (outboxes.get(target) === sent) outboxes.delete(target);
  });
  outboxes.set(target, sent);
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
