/**
 * sessionStorage, as the core uses it: the pending login's home (pending-login.ts) and a small
 * JSON cache of public provider data (discovery metadata, signing keys) that lets the
 * callback page skip those requests. Never tokens: token-store.ts decides where they live.
 */
import { AuthError } from '../errors.js';

/** Every key the element writes starts with this. */
export const PREFIX = 'closo-login:';

/** sessionStorage, or `storage_unavailable` when the browser context has none (sandboxed frames, privacy modes). */
export function sessionStore(): Storage {
  try {
    const store = globalThis.sessionStorage;
    if (!store) throw new Error('sessionStorage is missing');
    return store;
  } catch (cause) {
    throw new AuthError('storage_unavailable', 'sessionStorage is not available in this browser context.', { cause });
  }
}

/** A cached value no older than `maxAgeMs`, or null. Failures only mean a cache miss. */
export function readCached<T>(name: string, maxAgeMs = Infinity): T | null {
  try {
    const raw = sessionStore().getItem(PREFIX + name);
    if (!raw) return null;
    const { at, value } = JSON.parse(raw) as { at: number; value: T };
    return typeof at === 'number' && Date.now() - at < maxAgeMs && Date.now() >= at ? value : null;
  } catch {
    return null;
  }
}

export function writeCached(name: string, value: unknown): void {
  try {
    sessionStore().setItem(PREFIX + name, JSON.stringify({ at: Date.now(), value }));
  } catch {
    // A cache that cannot be written is only slower.
  }
}
