import { expect } from '@esm-bundle/chai';
import { AuthError } from '../../../src/core/errors.js';
import { listPendingLogins, readPendingLogin, savePendingLogin, takePendingLogin, type PendingLogin } from '../../../src/core/session/pending-login.js';
import { clearClosoStorage } from '../../support/responses.js';

const login = (state: string, clientId = 'client-a'): PendingLogin => ({
  state,
  codeVerifier: 'v'.repeat(43),
  nonce: 'n'.repeat(43),
  issuer: 'https://tenant.example.com/',
  clientId,
  redirectUri: 'https://app.example.com/callback',
  audience: null,
  scope: 'openid',
  returnTo: '/',
  createdAt: Date.now(),
  expiresAt: Date.now() + 60_000,
});

const STATE_1 = 'state-1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const STATE_2 = 'state-2-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

describe('pending login storage', () => {
  beforeEach(clearClosoStorage);

  it('is used at most once: taking it removes it', () => {
    savePendingLogin(login(STATE_1));
    expect(takePendingLogin('client-a', STATE_1)?.state).to.equal(STATE_1);
    expect(takePendingLogin('client-a', STATE_1)).to.equal(null);
  });

  it('keys entries by client id, so another client never sees them', () => {
    savePendingLogin(login(STATE_1, 'client-a'));
    expect(readPendingLogin('client-b', STATE_1)).to.equal(null);
    expect(Object.keys(sessionStorage).filter((k) => k.startsWith('closo-login:'))).to.deep.equal([`closo-login:client-a:login:${STATE_1}`]);
  });

  it('keeps one outstanding login per client in a tab', () => {
    savePendingLogin(login(STATE_1));
    savePendingLogin(login(STATE_2));
    expect(readPendingLogin('client-a', STATE_1)).to.equal(null);
    expect(readPendingLogin('client-a', STATE_2)?.state).to.equal(STATE_2);
  });

  it('lists the unexpired pending logins of a client only', () => {
    savePendingLogin(login(STATE_1, 'client-a'));
    savePendingLogin({ ...login(STATE_2, 'client-b'), expiresAt: Date.now() - 1 });
    expect(listPendingLogins('client-a').map((l) => l.state)).to.deep.equal([STATE_1]);
    expect(listPendingLogins('client-b')).to.deep.equal([]);
  });

  it('ignores malformed entries', () => {
    sessionStorage.setItem(`closo-login:client-a:login:${STATE_1}`, '{not json');
    expect(takePendingLogin('client-a', STATE_1)).to.equal(null);
    sessionStorage.setItem(`closo-login:client-a:login:${STATE_1}`, JSON.stringify({ ...login(STATE_2) }));
    expect(takePendingLogin('client-a', STATE_1)).to.equal(null);
  });

  it('reports storage_unavailable when sessionStorage refuses writes', () => {
    const original = Storage.prototype.setItem;
    Storage.prototype.setItem = () => { throw new DOMException('quota', 'QuotaExceededError'); };
    try {
      expect(() => savePendingLogin(login(STATE_1))).to.throw(AuthError).with.property('code', 'storage_unavailable');
    } finally {
      Storage.prototype.setItem = original;
    }
  });
});
