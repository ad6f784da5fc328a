import { expect } from '@esm-bundle/chai';
import { resolveConfig, type LoginOptions } from '../../src/core/config.js';
import { tokenStore } from '../../src/core/token-store.js';
import type { StoredSession } from '../../src/core/session-contract.js';

const page = { origin: 'https://app.example.com', pathname: '/' };
const configFor = (storage: LoginOptions['storage']) =>
  resolveConfig({ issuer: 'https://tenant.example.com/', clientId: 'store-client', audience: 'https://api.example.com', storage }, page);

const session: StoredSession = {
  accessToken: 'at-secret-3f1a', tokenType: 'Bearer', expiresAt: 1, scope: 'openid', audience: 'https://api.example.com',
  idToken: 'id', claims: { iss: 'i', sub: 's', aud: 'a', exp: 1, iat: 1 }, refreshToken: 'rt-secret-9c2e', sessionId: 'sid', generation: 3,
};

const everything = () => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage });

describe('tokenStore', () => {
  afterEach(() => { sessionStorage.clear(); localStorage.clear(); });

  it('memory keeps nothing in any storage', () => {
    const store = tokenStore(configFor('memory'));
    store.save(session);
    expect(store.load()).to.equal(null);
    // Distinct values: other scripts (the test runner's among them) keep their own things in storage.
    expect(everything()).not.to.contain('rt-secret-9c2e');
    expect(everything()).not.to.contain('at-secret-3f1a');
  });

  it('session and local keep the session in their storage area only, keyed by client', () => {
    for (const [mode, area, other] of [['session', sessionStorage, localStorage], ['local', localStorage, sessionStorage]] as const) {
      const store = tokenStore(configFor(mode));
      store.save(session);
      expect(store.load(), mode).to.deep.equal(session);
      expect(Object.keys(area).some((k) => k.startsWith('closo-login:store-client:session:'))).to.equal(true);
      expect(other.length).to.equal(0);
      store.clear();
      expect(store.load()).to.equal(null);
    }
  });

  it('ignores malformed entries', () => {
    const store = tokenStore(configFor('local'));
    store.save(session);
    const key = Object.keys(localStorage)[0]!;
    localStorage.setItem(key, '{"accessToken":42}');
    expect(store.load()).to.equal(null);
    localStorage.setItem(key, 'not json');
    expect(store.load()).to.equal(null);
  });

  it('reports storage_unavailable when a write fails', () => {
    const original = Storage.prototype.setItem;
    Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); };
    try {
      expect(() => tokenStore(configFor('local')).save(session)).to.throw().with.property('code', 'storage_unavailable');
    } finally {
      Storage.prototype.setItem = original;
    }
  });
});
