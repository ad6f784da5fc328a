/**
 * When to renew: pure arithmetic on times, so that it can be tested with a fake clock.
 * Renewal (renewal.ts) owns the timer; this file owns the numbers.
 */

/** Upper bound of the random delay taken off scheduled renewals, so tabs and clients don't renew in lockstep. */
const RENEWAL_JITTER_MS = 5_000;
/** The first retry after a failed renewal; each failure in a row doubles it, up to MAX_RETRY_MS. */
const RETRY_AFTER_FAILURE_MS = 30_000;
const MAX_RETRY_MS = 10 * 60_000;
/** Browsers fire timers longer than 2^31 - 1 ms (~24.8 days) at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Milliseconds from `now` until a token expiring at `expiresAt` is renewed: `renewBefore`
 * seconds ahead (less up to 5 s of jitter, `random` in [0, 1)), but never sooner than
 * half-way through a short-lived token, nor sooner than a second.
 */
export function renewalDelay(expiresAt: number, renewBefore: number, now = Date.now(), random = Math.random()): number {
  const remaining = expiresAt - now;
  return Math.max(remaining - renewBefore * 1000 - random * RENEWAL_JITTER_MS, remaining / 2, 1_000);
}

/** Milliseconds before retrying after `failures` renewals failed in a row (1 or more): 30 s, 60 s, … up to 10 minutes. */
export function retryDelay(failures: number): number {
  return Math.min(RETRY_AFTER_FAILURE_MS * 2 ** Math.max(0, failures - 1), MAX_RETRY_MS);
}
