import { expect } from '@esm-bundle/chai';
import { PREFIX, readCached, sessionStore, writeCached } from '../../../src/core/session/cache.js';
import { AuthError } from '../../../src/core/errors.js';
import { clearClosoStorage } from '../../support/responses.js';

/** Stores `value` as writeCached would have `ageMs` ago (negative: in the future). */
const storeAged = (name: string, value: unknown, ageMs: number) =>
  sessionStorage.setItem(PREFIX + name, JSON.stringify({ at: Date.now() - ageMs, value }));

/** Replaces window.sessionStorage for one test, as a sandboxed frame or a privacy mode has it. */
/**
 * WebKit, deep in a long test run, keeps handing the real sessionStorage to code that read it before
 * the property was redefined (the test's own module sees the change, cache.ts does not): a missing or
 * throwing sessionStorage cannot be staged there by redefining it. (Storage.prototype stubs still work.)
 */
const stagesGlobals = () => !(/AppleWebKit/.test(navigator.userAgent) && !/Chrome/.test(navigator.userAgent));

function replaceSessionStorage(get: () => Storage | undefined): () => void {
  const original = Object.getOwnPropertyDescriptor(window, 'sessionStorage')!;
  Object.defineProperty(window, 'sessionStorage', { get, configurable: true });
  return () => Object.defineProperty(window, 'sessionStorage', original);
}

describe('cache: readCached / writeCached', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
    clearClosoStorage();
  });

  it('reads back what it wrote, under the closo-login: prefix, as JSON only', () => {
    writeCached('discovery:x', { issuer: 'https://tenant.example.com/', n: 1 });
    expect(readCached('discovery:x')).to.deep.equal({ issuer: 'https://tenant.example.com/', n: 1 });
    const raw = JSON.parse(sessionStorage.getItem('closo-login:discovery:x')!);
    expect(raw.value).to.deep.equal({ issuer: 'https://tenant.example.com/', n: 1 });
    expect(Date.now() - raw.at).to.be.within(0, 1000);
    expect(readCached('discovery:other')).to.equal(null);
  });

  it('treats a value older than the age limit as a miss', () => {
    storeAged('aged', 'v', 10_000);
    expect(readCached('aged', 20_000)).to.equal('v');
    expect(readCached('aged', 10_500)).to.equal('v');
    expect(readCached('aged', 9_000)).to.equal(null);
    expect(readCached('aged')).to.equal('v'); // no limit given: any age
  });

  it('ignores a value stamped in the future (a clock set back must not keep it forever)', () => {
    storeAged('future', 'v', -60_000);
    expect(readCached('future', 3_600_000)).to.equal(null);
    expect(readCached('future')).to.equal(null);
  });

  it('treats malformed or foreign entries as a miss', () => {
    for (const raw of ['{not json', 'null', '"text"', JSON.stringify({ value: 'v' }), JSON.stringify({ at: String(Date.now()), value: 'v' })]) {
      sessionStorage.setItem(`${PREFIX}bad`, raw);
      expect(readCached('bad'), raw).to.equal(null);
    }
  });

  it('is a miss, not a crash, when sessionStorage refuses access (a sandboxed frame, a privacy mode)', () => {
    writeCached('kept', 'v');
    const methods = ['getItem', 'setItem', 'removeItem'] as const;
    const originals = methods.map((name) => Storage.prototype[name]);
    for (const name of methods) Storage.prototype[name] = () => { throw new DOMException('The document is sandboxed', 'SecurityError'); };
    try {
      expect(readCached('kept')).to.equal(null);
      expect(() => writeCached('kept', 'w')).not.to.throw();
    } finally {
      methods.forEach((name, i) => { Storage.prototype[name] = originals[i] as never; });
    }
    expect(readCached('kept'), 'the stored value was left alone').to.equal('v');
  });

  it('is a miss, not a crash, when there is no sessionStorage', function () {
    if (!stagesGlobals()) this.skip();
    writeCached('kept', 'v');
    restore = replaceSessionStorage(() => undefined);
    expect(readCached('kept')).to.equal(null);
    expect(() => writeCached('kept', 'w')).not.to.throw();
    restore();
    restore = undefined;
    expect(readCached('kept'), 'the stored value was left alone').to.equal('v');
  });

  it('shrugs off a full storage: the write is lost, nothing throws', () => {
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); };
    restore = () => { Storage.prototype.setItem = setItem; };
    expect(() => writeCached('big', 'v')).not.to.throw();
    restore();
    restore = undefined;
    expect(readCached('big')).to.equal(null);
  });
});

describe('cache: sessionStore', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('returns sessionStorage', () => {
    expect(sessionStore()).to.equal(sessionStorage);
  });

  it('throws storage_unavailable when reading sessionStorage throws, keeping the cause', function () {
    if (!stagesGlobals()) this.skip();
    const denied = new DOMException('Access is denied for this document.', 'SecurityError');
    restore = replaceSessionStorage(() => { throw denied; });
    let error: unknown;
    try {
      sessionStore();
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(AuthError);
    expect((error as AuthError).code).to.equal('storage_unavailable');
    expect(((error as AuthError).cause as Error).name).to.equal('SecurityError');
  });

  it('throws storage_unavailable when there is no sessionStorage at all', function () {
    if (!stagesGlobals()) this.skip();
    restore = replaceSessionStorage(() => undefined);
    expect(() => sessionStore()).to.throw(AuthError).with.property('code', 'storage_unavailable');
  });
});
