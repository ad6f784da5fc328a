import { AuthError } from './errors.js';

/**
 * What the callback page needs to finish a login started on this origin.
 * Kept in sessionStorage under its state (never the tokens), used once.
 */
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
}

/** How long a user may take at the provider before the pending login lapses. */
export const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;

const PREFIX = 'closo-login:';
const loginPrefix = (clientId: string) => `${PREFIX}${encodeURIComponent(clientId)}:login:`;

/** States we create are base64url (oauth4webapi: 32 random bytes); anything else cannot be ours. */
export const STATE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

function sessionStore(): Storage {
  try {
    const store = globalThis.sessionStorage;
    if (!store) throw new Error('sessionStorage is missing');
    return store;
  } catch (cause) {
    throw new AuthError('storage_unavailable', 'sessionStorage is not available in this browser context.', { cause });
  }
}

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
  try {
    for (const key of keysWithPrefix(store, loginPrefix(login.clientId))) store.removeItem(key);
    store.setItem(loginPrefix(login.clientId) + login.state, JSON.stringify(login));
    // Read back: some privacy modes accept writes and drop them.
    if (store.getItem(loginPrefix(login.clientId) + login.state) === null) throw new Error('write was dropped');
  } catch (cause) {
    throw new AuthError('storage_unavailable', 'Could not save the pending login in sessionStorage.', { cause });
  }
}

/** Reads the pending login for `state` without removing it; null when there is none or it is malformed. */
export function readPendingLogin(clientId: string, state: string): PendingLogin | null {
  return readLogin(clientId, state, false);
}

/**
 * Reads and removes the pending login for `state`, before anything validates it,
 * so the same response can never be replayed. Returns null when there is none.
 */
export function takePendingLogin(clientId: string, state: string): PendingLogin | null {
  return readLogin(clientId, state, true);
}

function readLogin(clientId: string, state: string, remove: boolean): PendingLogin | null {
  if (!STATE_PATTERN.test(state)) return null;
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

/** Every pending login of `clientId` in this tab (well-formed ones only). */
export function listPendingLogins(clientId: string): PendingLogin[] {
  try {
    const store = sessionStore();
    return keysWithPrefix(store, loginPrefix(clientId))
      .map((key) => readLogin(clientId, key.slice(loginPrefix(clientId).length), false))
      .filter((login): login is PendingLogin => login !== null && login.expiresAt > Date.now());
  } catch {
    return [];
  }
}

/** A small JSON cache in sessionStorage (discovery metadata, signing keys). Failures only mean a cache miss. */
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
