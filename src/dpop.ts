/**
 * DPoP (RFC 9449): tokens bound to a key pair the page cannot leak. The key is a
 * non-extractable ES256 pair (oauth4webapi's generateKeyPair; BBA §6.3.4.2.2), kept in
 * IndexedDB (structured clone keeps it non-extractable) so that a session restored after
 * a reload can still renew; oauth4webapi's DPoP handle signs the proofs and tracks nonces.
 * Imported on demand: pages without the `dpop` attribute never load it.
 */
import {
  allowInsecureRequests,
  DPoP,
  generateKeyPair,
  isDPoPNonceError,
  protectedResourceRequest,
  WWWAuthenticateChallengeError,
  type DPoPHandle,
} from 'oauth4webapi';
import { isLoopbackHost } from './config.js';

const DATABASE = 'closo-login';
const STORE = 'dpop-keys';

function withStore<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DATABASE, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const request = action(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => { db.close(); resolve(request.result); };
      request.onerror = () => { db.close(); reject(request.error); };
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
 * Calls an API with a DPoP-bound token and a fresh proof for this method and URL. A resource
 * server's `use_dpop_nonce` challenge is answered once (the handle keeps nonces per server).
 */
export async function fetchWithProof(input: RequestInfo | URL, init: RequestInit, accessToken: string, dpop: DPoPHandle): Promise<Response> {
  const request = new Request(input, init);
  // Read once: a retry needs the body again.
  const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer();
  const url = new URL(request.url);
  for (let attempt = 0; ; attempt++) {
    try {
      return await protectedResourceRequest(accessToken, request.method, url, new Headers(request.headers), body, {
        DPoP: dpop,
        ...(init.signal ? { signal: init.signal } : {}),
        // Plain http only to loopback APIs, as for issuers.
        [allowInsecureRequests]: isLoopbackHost(url.hostname),
      });
    } catch (error) {
      if (!(error instanceof WWWAuthenticateChallengeError)) throw error;
      if (attempt === 0 && isDPoPNonceError(error)) continue;
      return error.response;
    }
  }
}
