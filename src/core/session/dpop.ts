/**
 * DPoP (RFC 9449): tokens bound to a key pair the page cannot leak. The key is a
 * non-extractable ES256 pair (oauth4webapi's generateKeyPair; BBA §6.3.4.2.2), kept in
 * IndexedDB (structured clone keeps it non-extractable) so that a session restored after
 * a reload can still renew; oauth4webapi's DPoP handle signs the proofs and tracks nonces.
 */
import { DPoP, generateKeyPair, type DPoPHandle } from 'oauth4webapi';

const DATABASE = 'closo-login';
const STORE = 'dpop-keys';

/**
 * Runs one request in a transaction and settles once the transaction has committed (or failed),
 * not when the request succeeds: a write is durable only then, and a navigation right after it
 * (a redirect login) could otherwise lose the key; WebKit also finds the database still open.
 */
function withStore<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DATABASE, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => { db.close(); resolve(request.result); };
      // A refused request aborts its transaction: its error, else the transaction's.
      transaction.onerror = transaction.onabort = () => { db.close(); reject(request.error ?? transaction.error); };
    };
  });
}

/** The key pair stored under `name`, or a new one (stored when IndexedDB allows). */
export async function dpopKeyPair(name: string): Promise<CryptoKeyPair> {
  const stored = await withStore<CryptoKeyPair | undefined>('readonly', (store) => store.get(name)).catch(() => undefined);
  if (stored?.privateKey && stored.publicKey) return stored;
  const pair = await generateKeyPair('ES256'); // extractable: false
  try {
    // add, not put: when another tab stored a key meanwhile, the add fails and both tabs use that
    // one, so the tokens bound to it stay renewable from either.
    await withStore('readwrite', (store) => store.add(pair, name));
  } catch {
    const winner = await withStore<CryptoKeyPair | undefined>('readonly', (store) => store.get(name)).catch(() => undefined);
    // Without IndexedDB the key lives in memory only: no renewal after a reload, nothing worse.
    if (winner?.privateKey && winner.publicKey) return winner;
  }
  return pair;
}

/** Forgets the key: a new login gets a new one. */
export async function deleteDpopKey(name: string): Promise<void> {
  await withStore('readwrite', (store) => store.delete(name)).catch(() => undefined);
}

export function dpopHandle(keyPair: CryptoKeyPair): DPoPHandle {
  return DPoP({}, keyPair);
}

/**
 * A session's key, as its requests use it: made or loaded on first use, under the session's
 * name (one key per session configuration, shared by its tabs through IndexedDB).
 */
export class SessionKey {
  readonly #name: string;
  #handle: Promise<DPoPHandle> | null = null;

  constructor(name: string) {
    this.#name = name;
  }

  handle(): Promise<DPoPHandle> {
    this.#handle ??= dpopKeyPair(this.#name).then(dpopHandle);
    return this.#handle;
  }

  /** Forgets the key here only: it may have been deleted (here or by the tab that logged out), so the next use loads it again. */
  drop(): void {
    this.#handle = null;
  }

  /** Deletes the key: a new login gets a new one. */
  async forget(): Promise<void> {
    this.#handle = null;
    await deleteDpopKey(this.#name);
  }
}
