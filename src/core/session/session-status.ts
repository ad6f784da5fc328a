/**
 * What the elements hear of a session (session-contract.ts's SessionChange), and the state they
 * read between changes: whether a login is under way, and the last error. The session decides;
 * this file keeps the record and tells every listener, in order.
 */
import type { AuthError } from '../errors.js';
import type { SessionChange, SessionListener } from '../session-contract.js';

export class SessionStatus {
  readonly #listeners = new Set<SessionListener>();
  #busy = false;
  #lastError: AuthError | null = null;
  /** A login in flight that getAccessToken() waits for: a callback, a popup or a silent sign-in. */
  #pending: Promise<unknown> | null = null;

  /** A login is under way: redirect, callback, popup or silent sign-in. */
  get busy(): boolean { return this.#busy; }

  get lastError(): AuthError | null { return this.#lastError; }

  get pending(): Promise<unknown> | null { return this.#pending; }

  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  emit(change: SessionChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }

  /** Records and reports `error`; returns it for throwing. */
  fail(error: AuthError): AuthError {
    this.#lastError = error;
    this.emit({ type: 'error', error });
    return error;
  }

  /** A session was adopted: the error before it is past. */
  cleared(): void {
    this.#lastError = null;
  }

  /** Runs `work` busy: the last error is cleared and the elements hear the login start. */
  async whileBusy<T>(work: () => Promise<T>): Promise<T> {
    this.#busy = true;
    this.#lastError = null;
    this.emit({ type: 'busy' });
    try {
      return await work();
    } finally {
      this.#busy = false;
    }
  }

  /** Remembers a login in flight, for getAccessToken() to wait for. */
  track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.finally(() => { if (this.#pending === tracked) this.#pending = null; });
    return (this.#pending = tracked);
  }

  /** The session ended: whatever was under way is over. */
  ended(): void {
    this.#busy = false;
  }

  /** Nobody listens any more: the session is disposed. */
  close(): void {
    this.#listeners.clear();
  }
}
