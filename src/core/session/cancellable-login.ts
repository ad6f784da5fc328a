/**
 * The running login that a new login() cancels rather than waits for: the silent sign-in at page
 * start (the user clicked Log in), or a popup login whose window looks closed (closed by the user,
 * or cut off by Cross-Origin-Opener-Policy, which nothing in the page can tell apart).
 */
interface Held {
  readonly cancel: AbortController;
  readonly ended: Promise<unknown>;
  readonly when: () => boolean;
}

export class CancellableLogin {
  #held: Held | null = null;

  /** Holds `done` as the login to cancel with `cancel` while `when()` says so, until it ends. */
  hold(done: Promise<unknown>, cancel: AbortController, when: () => boolean): void {
    // Two at once would leave one running that nothing can cancel: the one held before gives way.
    if (this.#held?.when()) this.#held.cancel.abort();
    const held: Held = { cancel, when, ended: done.catch(() => {}).finally(() => { if (this.#held === held) this.#held = null; }) };
    this.#held = held;
  }

  /** A login is held that a new login() would cancel now. */
  get yields(): boolean {
    return !!this.#held?.when();
  }

  /** Cancels the held login if it yields; resolves once it has ended (null: nothing to cancel). */
  cancel(): Promise<unknown> | null {
    const held = this.#held;
    if (!held?.when()) return null;
    held.cancel.abort();
    return held.ended;
  }
}
