/**
 * The pending login: what the callback page needs to finish a login this tab started.
 * Kept in sessionStorage under its state (never tokens), namespaced by client id, and
 * single use: taken (read and removed) before anything validates it, so the same response
 * can never be redeemed twice.
 */
import { sessionStore } from './cache.js';
import { AuthError } from '../errors.js';
import { clientKey } from '../token-store.js';

export interface PendingLogin {
  readonly state: string;
  readonly codeVerifier: string;
  readonly nonce: string;
  /** The issuer the request went to: a response is only ever completed against it (RFC 9700 §4.4.2). */
  readonly issuer: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly audience: string | null;
  readonly scope: string;
  /** Same-origin path to come back to after the callback. */
  readonly returnTo: string;
  /** Epoch ms when the login started: a fresh ID token cannot be much older. */
  readonly createdAt: number;
  /** Epoch ms after which the login is refused as `login_expired`. */
  readonly expiresAt: number;
  /** The Auth0 Organization asked for: the ID token must name it. */
  readonly organization?: string | null;
  /** `max_age` asked for (seconds): the ID token's auth_time must be that recent (OIDC Core §3.1.2.1). */
  readonly maxAge?: number | null;
  /** `acr_values` asked for: the ID token's acr must be one of them. */
  readonly acrValues?: string | null;
  /** What login({ appState }) carried, handed back with the tokens. */
  readonly appState?: unknown;
}

/** How long a user may take at the provider before the pending login lapses. */
export const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;

const loginPrefix = (clientId: string) => clientKey(clientId, 'login:');

function keysWithPrefix(store: Storage, prefix: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key?.startsWith(prefix)) keys.push(key);
  }
  return keys;
}

/**
 * Stores a pending login. Earlier pending logins of the same client in this tab are
 * dropped: one outstanding transaction at a time.
 * Throws `storage_unavailable` when the write fails (then the caller must not navigate).
 */
export function savePendingLogin(login: PendingLogin): void {
  const store = sessionStore();
  const key = loginPrefix(login.clientId) + login.state;
  try {
    for (const old of keysWithPrefix(store, loginPrefix(login.clientId))) store.removeItem(old);
    store.setItem(key, JSON.stringify(login));
    // Read back: some privacy modes accept writes and drop them.
    if (store.getItem(key) === null) throw new Error('write was dropped');
  } catch (cause) {
    throw new AuthError('storage_unavailable', 'Could not save the pending login in sessionStorage.', { cause });
  }
}

/** The pending login for `state`, left in place; null when there is none or it is malformed. */
export function readPendingLogin(clientId: string, state: string): PendingLogin | null {
  return readLogin(clientId, state, false);
}

/** Reads and removes the pending login for `state`; null when there is none. */
export function takePendingLogin(clientId: string, state: string): PendingLogin | null {
  return readLogin(clientId, state, true);
}

function readLogin(clientId: string, state: string, remove: boolean): PendingLogin | null {
  const store = sessionStore();
  const key = loginPrefix(clientId) + state;
  let raw: string | null;
  try {
    raw = store.getItem(key);
    if (raw !== null && remove) store.removeItem(key);
  } catch (cause) {
    throw new AuthError('storage_unavailable', 'Could not read the pending login from sessionStorage.', { cause });
  }
  if (raw === null) return null;
  try {
    const login = JSON.parse(raw) as PendingLogin;
    return login && login.state === state && login.clientId === clientId ? login : null;
  } catch {
    return null;
  }
}

/** Every unexpired pending login of `clientId` in this tab (well-formed ones only). */
export function listPendingLogins(clientId: string): PendingLogin[] {
  try {
    const prefix = loginPrefix(clientId);
    return keysWithPrefix(sessionStore(), prefix)
      .map((key) => readLogin(clientId, key.slice(prefix.length), false))
      .filter((login): login is PendingLogin => login !== null && login.expiresAt > Date.now());
  } catch {
    return [];
  }
}
