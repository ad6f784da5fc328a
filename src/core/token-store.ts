/**
 * Where a session's tokens live between page loads, by `storage` mode:
 * - memory: nowhere (the default; OAuth 2.0 for Browser-Based Apps §8: nothing for a
 *   later XSS to read from storage, at the price of a silent sign-in or a new login after reload);
 * - session: sessionStorage (this tab; survives reloads);
 * - local: localStorage (every tab of the origin; survives restarts).
 */
import type { LoginConfig, StorageMode } from './config.js';
import { AuthError } from './errors.js';
import type { NetworkOptions, StoredSession } from './session-contract.js';

export interface TokenStore {
  load(): StoredSession | null;
  save(session: StoredSession): void;
  clear(): void;
}

/**
 * Whether the session's refresh token is kept in the vault worker (token-vault.ts): in memory
 * mode only. Persisted modes keep it in web storage, where the page can read it anyway; a
 * host's own fetch seam must see every request.
 */
export const refreshTokenInWorker = (config: LoginConfig, network: NetworkOptions): boolean =>
  config.storage === 'memory' && !network.fetch;

/** A key of this client's in web storage: every key the element keeps there is namespaced by client id. */
export const clientKey = (clientId: string, name: string): string => `closo-login:${encodeURIComponent(clientId)}:${name}`;

export function storageKey(config: LoginConfig): string {
  return clientKey(config.clientId, `session:${config.issuer}|${config.audience ?? ''}`);
}

const backing = (mode: StorageMode): Storage | null =>
  mode === 'local' ? globalThis.localStorage : mode === 'session' ? globalThis.sessionStorage : null;

export function tokenStore(config: LoginConfig): TokenStore {
  const key = storageKey(config);
  const area = () => {
    try {
      return backing(config.storage);
    } catch (cause) {
      throw new AuthError('storage_unavailable', `${config.storage}Storage is not available; the session will not survive a reload.`, { cause });
    }
  };
  return {
    load() {
      try {
        const raw = area()?.getItem(key);
        const session = raw ? (JSON.parse(raw) as StoredSession) : null;
        return session && typeof session.accessToken === 'string' && typeof session.sessionId === 'string' ? session : null;
      } catch {
        return null;
      }
    },
    save(session) {
      try {
        area()?.setItem(key, JSON.stringify(session));
      } catch (cause) {
        throw new AuthError('storage_unavailable', `Could not keep the session in ${config.storage}Storage; it will not survive a reload.`, { cause });
      }
    },
    clear() {
      try {
        area()?.removeItem(key);
      } catch {
        // Nothing stored can be read back either.
      }
    },
  };
}
