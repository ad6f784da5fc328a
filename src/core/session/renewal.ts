/**
 * Renewing a session: once at a time in this tab and, with the other tabs of the origin, one
 * use of each refresh token (rotation, RFC 9700 §4.14.2: a spent refresh token sent again
 * revokes the grant). With a refresh token, a refresh grant (also with an `audience`, for a
 * token for another API: Auth0's Multi-Resource Refresh Token); without one, with `silent`, a
 * silent sign-in. On a schedule (renewal-timing.ts), when a tab wakes, and on demand. The
 * session (session.ts) holds the state; this file decides when and how it is renewed.
 */
import { AuthError, meansSignedOut } from '../errors.js';
import { toAuthError } from './oauth-errors.js';
import type { LoginConfig } from '../config.js';
import { refreshTokens } from './refresh.js';
import { MAX_TIMER_MS, renewalDelay, retryDelay } from './renewal-timing.js';
import { silentLogin } from './silent-login.js';
import { holdMark, isMarked, nextTask, withTabLock } from './tab-locks.js';
import { assertSameUser } from './token-answer.js';
import { pastCeiling, sessionCeiling, validFor } from './token-set.js';
import type { NetworkOptions, StoredSession, TokenSet } from '../session-contract.js';

/** How long a tab waits for the tokens another tab renewed to arrive (storage or BroadcastChannel). */
const OTHER_TAB_WAIT_MS = 3_000;

/** What renewal needs of the session it renews. */
export interface RenewalHost {
  readonly config: LoginConfig;
  /** The session's name, for its locks. */
  readonly key: string;
  /** The session now; null once it ended. */
  current(): StoredSession | null;
  /** Adopts what another tab stored, when it is a newer generation of this session. */
  catchUp(): void;
  /**
   * Takes `next` as the session (its refresh token replacing the spent one), tells the other tabs
   * when it used one, and (with `announce`) the elements.
   */
  adopt(next: StoredSession, shared: boolean, announce?: boolean): void;
  /** Ends the session after a refusal only a new login mends; `everywhere` when its refresh token was refused. */
  end(everywhere: boolean): void;
  /** Reports a failure; returns it for throwing. */
  fail(error: AuthError): AuthError;
  /** Tells the elements that the access token stops working at `expiresAt` and nothing will renew it. */
  expiring(expiresAt: number): void;
  net(): Promise<NetworkOptions>;
}

/** What a refresh grant gave: the session after it, and the answer itself (null when another tab renewed first). */
export interface Renewed {
  readonly session: StoredSession;
  readonly answer: TokenSet | null;
}

/** How an answer for another API becomes the session: the tokens it keeps, and a refusal of the answer's access token. */
export type Merge = (started: StoredSession, answer: TokenSet) => { tokens: StoredSession; refusal?: AuthError };

export class Renewal {
  readonly #host: RenewalHost;
  #renewal: Promise<StoredSession> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Ends the session at its ceiling (the ID token's session_expiry). */
  #ceiling: ReturnType<typeof setTimeout> | undefined;
  /** Warns `renew-before` seconds ahead that access ends with nothing to renew it. */
  #expiring: ReturnType<typeof setTimeout> | undefined;
  /** Renewals failed in a row, for the retry back-off. */
  #failures = 0;

  constructor(host: RenewalHost) {
    this.#host = host;
    document.addEventListener('visibilitychange', this.#wake);
    window.addEventListener('online', this.#wake);
  }

  /** Stops for good, when the session is disposed: timers and the wake listeners. */
  close(): void {
    this.stop();
    document.removeEventListener('visibilitychange', this.#wake);
    window.removeEventListener('online', this.#wake);
  }

  #wake = (): void => this.wake();

  /** With a refresh token, or (no offline_access) with `silent` through the provider's session; never past the session's ceiling. */
  canRenew(tokens: TokenSet): boolean {
    return !pastCeiling(tokens) && (tokens.refreshToken !== null || (this.#host.config.silent && window.top === window));
  }

  /**
   * Past the session's ceiling (the ID token's `session_expiry`), the session is over whatever
   * the refresh token says: it ends here (logout `session_ended`), with no request, and this
   * throws `login_required`. A timer does the same at the ceiling itself (adopted()).
   */
  checkCeiling(): void {
    const current = this.#host.current();
    if (!current || !pastCeiling(current)) return;
    this.#host.end(false);
    throw new AuthError('login_required', 'The session reached its ceiling (session_expiry); the user must log in again.');
  }

  /** Whether a renewal is under way (its result is shared by every caller). */
  get pending(): Promise<StoredSession> | null {
    return this.#renewal;
  }

  /**
   * The session's own access token, valid for `minValidity` more seconds: renewed first when
   * needed. A renewal in flight is shared, whatever validity each caller asked for.
   */
  async accessToken(minValidity: number): Promise<string> {
    this.checkCeiling();
    if (this.#renewal) return (await this.#renewal).accessToken;
    const current = this.#host.current();
    if (current && validFor(current, minValidity)) return current.accessToken;
    if (!current || !this.canRenew(current)) {
      if (!current) throw new AuthError('login_required', 'Nobody is logged in.');
      const left = current.expiresAt === null ? 0 : Math.max(0, Math.floor((current.expiresAt - Date.now()) / 1000));
      throw new AuthError('login_required', left > 0
        ? `The access token is valid for ${left} more s, less than the ${minValidity} s asked for, and nothing can renew it (no refresh token, no silent sign-in).`
        : 'The access token expired, and nothing can renew it (no refresh token, no silent sign-in).');
    }
    return (await this.renew()).accessToken;
  }

  /** Renews the session's own tokens: one renewal at a time, shared by every caller. */
  renew(): Promise<StoredSession> {
    this.#renewal ??= this.#renewOnce().then((renewed) => renewed.session).finally(() => { this.#renewal = null; });
    return this.#renewal;
  }

  /**
   * A refresh grant with `extra` parameters (an `audience` and `scope` for another API), under
   * the same one-use rule; `merge` makes the session from the answer (api-tokens.ts). The
   * elements are not told: the session's own token did not change.
   */
  async exchange(extra: Readonly<Record<string, string>>, merge: Merge): Promise<Renewed> {
    while (this.#renewal) await this.#renewal.catch(() => {});
    return this.#renewOnce({ extra, merge });
  }

  /** Schedules the next renewal: in `delay` ms, or when renewal-timing.ts says it is due. */
  schedule(delay?: number): void {
    clearTimeout(this.#timer);
    const current = this.#host.current();
    if (!current || !this.canRenew(current) || current.expiresAt === null) return;
    const due = delay ?? renewalDelay(current.expiresAt, this.#host.config.renewBefore);
    // A longer timer would fire at once: wait the longest a timer can, then schedule again.
    this.#timer = setTimeout(() => (due > MAX_TIMER_MS ? this.schedule() : this.renew().catch(() => {})), Math.min(due, MAX_TIMER_MS));
  }

  /**
   * A new generation of the session arrived: renewals start counting failures afresh; its ceiling
   * is watched; and where access will end with nothing to renew it (no refresh token and no
   * silent sign-in, or the ceiling first), the elements hear of it `renew-before` seconds ahead.
   */
  adopted(): void {
    this.#failures = 0;
    this.schedule();
    clearTimeout(this.#ceiling);
    clearTimeout(this.#expiring);
    const current = this.#host.current();
    if (!current) return;
    const ceiling = sessionCeiling(current);
    const timer = (at: number, run: () => void) => setTimeout(run, Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS));
    // Timers run on a monotonic clock and may fire a little before Date.now() reaches the ceiling (Firefox does): then wait again.
    const watch = (at: number) => { this.#ceiling = timer(at, () => (Date.now() < at ? watch(at) : this.#endAtCeiling())); };
    if (ceiling !== null) watch(ceiling);
    const unrenewed = this.canRenew(current) ? null : current.expiresAt;
    const end = ceiling === null ? unrenewed : Math.min(ceiling, unrenewed ?? Infinity);
    if (end !== null) this.#expiring = timer(end - this.#host.config.renewBefore * 1000, () => this.#host.expiring(end));
  }

  #endAtCeiling(): void {
    try {
      this.checkCeiling();
    } catch {
      // the session ended
    }
  }

  stop(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#ceiling);
    clearTimeout(this.#expiring);
  }

  /** Renews at once when a sleeping tab wakes up or the network comes back with a token due. */
  wake(): void {
    const current = this.#host.current();
    if (document.visibilityState !== 'visible' || !current || !this.canRenew(current)) return;
    if (!validFor(current, this.#host.config.renewBefore)) this.renew().catch(() => {});
  }

  async #renewOnce(forApi?: { extra: Readonly<Record<string, string>>; merge: Merge }): Promise<Renewed> {
    const extra = forApi?.extra;
    const host = this.#host;
    this.checkCeiling();
    const started = host.current();
    if (!started || !this.canRenew(started)) throw new AuthError('login_required', 'There is no refresh token; the user must log in again.');
    if (!started.refreshToken) {
      const config = extra ? { ...host.config, ...silentOverrides(extra, host.config) } : host.config;
      return this.#renewed(started, () => host.net().then((network) => silentLogin(config, network, { idTokenHint: started.idToken })), 'authorization_failed', forApi?.merge);
    }
    return withTabLock(`closo-login:renew:${host.key}:${started.sessionId}`, async () => {
      await nextTask(); // let a renewal broadcast by the tab that held the lock land first
      host.catchUp();
      const current = host.current();
      if (!current) throw new AuthError('login_required', 'The session ended while waiting to renew.');
      // Another tab renewed this session while we waited: use its result.
      if (current.generation !== started.generation || current.sessionId !== started.sessionId) return { session: current, answer: null };
      // Storage may lag behind the lock: the mark tells whether this refresh token was already sent.
      const spent = `closo-login:spent:${host.key}:${current.sessionId}:${current.generation}`;
      if (await isMarked(spent)) return { session: await this.#awaitOtherTab(current), answer: null };
      const releaseMark = await holdMark(spent);
      return this.#renewed(current, () => host.net().then((network) => refreshTokens(host.config, current, network, extra)), 'refresh_failed', forApi?.merge, releaseMark);
    });
  }

  /**
   * Adopts a renewal of `started`. A refusal only a new login mends (login_required,
   * id_token_invalid) ends the session; `mfa_required` keeps it (the user must step up); anything
   * else is retried later, and `unspent` called.
   */
  async #renewed(
    started: StoredSession,
    renew: () => Promise<TokenSet>,
    step: 'refresh_failed' | 'authorization_failed',
    merge: Merge | undefined,
    unspent = () => {},
  ): Promise<Renewed> {
    const host = this.#host;
    let answer: TokenSet;
    try {
      answer = await renew();
      if (!started.refreshToken) assertSameUser(started.claims, answer.claims);
    } catch (error) {
      const failure = toAuthError(error, step);
      // The session ended or changed meanwhile: this failure is about a session that is over.
      this.#assertStillCurrent(started);
      if (meansSignedOut(failure.code) || failure.code === 'id_token_invalid') {
        host.end(started.refreshToken !== null);
      } else if (failure.code !== 'mfa_required') {
        unspent();
        if (!merge) this.schedule(retryDelay(++this.#failures));
      } else {
        unspent(); // refused unprocessed: the refresh token is still good
      }
      throw host.fail(failure);
    }
    this.#assertStillCurrent(started);
    const merged = merge?.(started, answer);
    const tokens: TokenSet = merged ? merged.tokens : { ...answer, organization: started.organization ?? null, ...(started.apis ? { apis: started.apis } : {}) };
    const session: StoredSession = { ...tokens, sessionId: started.sessionId, generation: started.generation + 1 };
    host.adopt(session, started.refreshToken !== null, !merge);
    if (merged?.refusal) throw merged.refusal;
    return { session, answer };
  }

  /** A renewal finishing after a logout or a new login must not bring that session back. */
  #assertStillCurrent(started: StoredSession): void {
    const now = this.#host.current();
    if (now?.sessionId !== started.sessionId || now.generation !== started.generation) {
      throw new AuthError('login_required', 'The session ended while it was being renewed.');
    }
  }

  /** Another tab renewed `current` (its mark is held): wait for its result rather than reuse the spent refresh token. */
  async #awaitOtherTab(current: StoredSession): Promise<StoredSession> {
    const host = this.#host;
    for (let waited = 0; waited < OTHER_TAB_WAIT_MS && host.current() === current; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      host.catchUp();
    }
    const now = host.current();
    if (!now) throw new AuthError('login_required', 'The session ended while waiting to renew.');
    if (now !== current) return now;
    this.schedule(retryDelay(++this.#failures));
    throw host.fail(new AuthError('refresh_failed', 'Another tab renewed the session, and its tokens have not reached this tab yet.'));
  }
}

/** A silent sign-in for another API asks for that audience and scope instead of the session's. */
function silentOverrides(extra: Readonly<Record<string, string>>, config: LoginConfig): Partial<LoginConfig> {
  if (!extra['scope']) return { audience: extra['audience'] ?? null };
  // A sign-in is OpenID Connect: its request keeps the session's OpenID scopes (openid first,
  // OIDC Core §3.1.2.1), and the API's scopes join them.
  const oidc = config.scope.split(' ').filter((name) => OIDC_SCOPES.has(name));
  return { audience: extra['audience'] ?? null, scope: [...new Set(['openid', ...oidc, ...extra['scope'].split(' ')])].join(' ') };
}

/** The scopes OpenID Connect defines (OIDC Core §5.4, §11). */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);
