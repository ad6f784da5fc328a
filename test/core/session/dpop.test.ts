import { expect } from '@esm-bundle/chai';
import { deleteDpopKey, dpopKeyPair, SessionKey } from '../../../src/core/session/dpop.js';

const DATABASE = 'closo-login';
const STORE = 'dpop-keys';

/** What IndexedDB holds under `name`, read as another tab (or a reloaded page) would. */
function storedPair(name: string): Promise<CryptoKeyPair | undefined> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DATABASE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains(STORE)) {
        db.close();
        resolve(undefined);
        return;
      }
      const transaction = db.transaction(STORE, 'readonly');
      const request = transaction.objectStore(STORE).get(name);
      transaction.oncomplete = () => { db.close(); resolve(request.result); };
      transaction.onerror = () => { db.close(); reject(request.error); };
    };
  });
}

/**
 * Deletes the database; fails when a connection stays open. A connection whose close() waits for its
 * last transaction makes some engines (WebKit) report `blocked` first: only one that is still open a
 * second later is a leak.
 */
function deleteDatabase(): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DATABASE);
    let leak: ReturnType<typeof setTimeout> | undefined;
    request.onsuccess = () => { clearTimeout(leak); resolve(); };
    request.onerror = () => { clearTimeout(leak); reject(request.error); };
    request.onblocked = () => {
      leak = setTimeout(() => reject(new Error('a connection to the closo-login database was left open')), 1000);
    };
  });
}

/** The public key as a JWK string: equal for the same key pair, wherever it was loaded from. */
const publicJwk = async (pair: CryptoKeyPair | undefined) => JSON.stringify(await crypto.subtle.exportKey('jwk', pair!.publicKey));

let names = 0;
const newName = () => `closo-login:unit-client:test-${Date.now()}-${names++}`;

describe('dpopKeyPair', () => {
  afterEach(deleteDatabase);

  it('makes a non-extractable ES256 (P-256) key pair', async () => {
    const pair = await dpopKeyPair(newName());
    expect(pair.privateKey.algorithm).to.deep.equal({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(pair.privateKey.extractable).to.equal(false);
    expect(pair.privateKey.usages).to.deep.equal(['sign']);
    let exported: unknown = null;
    try {
      exported = await crypto.subtle.exportKey('jwk', pair.privateKey);
    } catch (error) {
      expect((error as DOMException).name).to.equal('InvalidAccessError');
    }
    expect(exported, 'the private key cannot be exported').to.equal(null);
    // The public half goes into every proof's header.
    expect(pair.publicKey.extractable).to.equal(true);
  });

  it('stores the pair in IndexedDB under its name, still non-extractable', async () => {
    const name = newName();
    const pair = await dpopKeyPair(name);
    const stored = await storedPair(name);
    expect(stored?.privateKey).to.be.instanceOf(CryptoKey);
    expect(stored!.privateKey.extractable).to.equal(false);
    expect(await publicJwk(stored)).to.equal(await publicJwk(pair));
  });

  it('loads the stored pair for the same name without making one, and makes another for another name', async () => {
    const name = newName();
    const first = await dpopKeyPair(name);
    const generateKey = SubtleCrypto.prototype.generateKey;
    let generated = 0;
    SubtleCrypto.prototype.generateKey = function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto['generateKey']>) {
      generated++;
      return generateKey.apply(this, args);
    } as SubtleCrypto['generateKey'];
    let again: CryptoKeyPair;
    try {
      again = await dpopKeyPair(name);
    } finally {
      SubtleCrypto.prototype.generateKey = generateKey;
    }
    expect(await publicJwk(again)).to.equal(await publicJwk(first));
    expect(generated, 'loaded, not made again').to.equal(0);
    const other = await dpopKeyPair(newName());
    expect(await publicJwk(other)).not.to.equal(await publicJwk(first));
  });

  it('makes a new pair after deleteDpopKey', async () => {
    const name = newName();
    const first = await dpopKeyPair(name);
    await deleteDpopKey(name);
    expect(await storedPair(name)).to.equal(undefined);
    const next = await dpopKeyPair(name);
    expect(await publicJwk(next)).not.to.equal(await publicJwk(first));
    expect(await publicJwk(await storedPair(name))).to.equal(await publicJwk(next));
  });

  it('ends with one key when two tabs make one for a new name at once: the first stored wins', async () => {
    for (let round = 0; round < 3; round++) {
      const name = newName();
      const [a, b] = await Promise.all([dpopKeyPair(name), dpopKeyPair(name)]);
      const stored = await publicJwk(await storedPair(name));
      expect(await publicJwk(a), `round ${round}`).to.equal(stored);
      expect(await publicJwk(b), `round ${round}`).to.equal(stored);
    }
  });

  it('still gives a usable key, in memory only, when IndexedDB is unavailable', async () => {
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = () => { throw new DOMException('IndexedDB is disabled', 'SecurityError'); };
    let pair: CryptoKeyPair;
    try {
      pair = await dpopKeyPair(newName());
      await deleteDpopKey('anything'); // does not throw either
    } finally {
      IDBFactory.prototype.open = open;
    }
    expect(pair.privateKey.extractable).to.equal(false);
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new Uint8Array([1]));
    expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pair.publicKey, signature, new Uint8Array([1]))).to.equal(true);
  });
});

describe('SessionKey', () => {
  afterEach(deleteDatabase);

  it('loads or makes the handle once, until drop(): then loads the same key again', async () => {
    const name = newName();
    const key = new SessionKey(name);
    const handle = key.handle();
    expect(key.handle()).to.equal(handle);
    const thumbprint = await (await handle).calculateThumbprint();
    expect(await (await key.handle()).calculateThumbprint()).to.equal(thumbprint);
    expect(await publicJwk(await storedPair(name))).to.be.a('string');

    key.drop();
    const reloaded = key.handle();
    expect(reloaded).not.to.equal(handle);
    expect(await (await reloaded).calculateThumbprint(), 'the same stored key').to.equal(thumbprint);
  });

  it('shares the key between sessions of the same name (tabs of the same configuration)', async () => {
    const name = newName();
    const a = await (await new SessionKey(name).handle()).calculateThumbprint();
    const b = await (await new SessionKey(name).handle()).calculateThumbprint();
    expect(b).to.equal(a);
  });

  it('forget() deletes the key: the next login gets a new one', async () => {
    const name = newName();
    const key = new SessionKey(name);
    const handle = key.handle();
    const thumbprint = await (await handle).calculateThumbprint();
    await key.forget();
    expect(await storedPair(name)).to.equal(undefined);
    const next = key.handle();
    expect(next).not.to.equal(handle);
    expect(await (await next).calculateThumbprint()).not.to.equal(thumbprint);
  });
});
