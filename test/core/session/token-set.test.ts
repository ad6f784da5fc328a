import { expect } from '@esm-bundle/chai';
import { isExpired, validFor, viewOf } from '../../../src/core/session/token-set.js';
import type { IdTokenClaims, TokenSet } from '../../../src/core/session-contract.js';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const tokens: TokenSet = {
  accessToken: 'at',
  tokenType: 'Bearer',
  expiresAt: NOW + 60_000,
  scope: 'openid',
  audience: 'https://api.example.com',
  idToken: 'id',
  claims: { iss: 'https://tenant.example.com/', sub: 'u', aud: 'c', exp: 0, iat: 0 } as IdTokenClaims,
  refreshToken: 'rt-secret',
};

describe('viewOf', () => {
  it('is what the page may see: everything but the refresh token, frozen', () => {
    const view = viewOf(tokens);
    expect(Object.keys(view).sort()).to.deep.equal(['accessToken', 'audience', 'claims', 'expiresAt', 'idToken', 'scope', 'tokenType']);
    expect(JSON.stringify(view)).not.to.contain('rt-secret');
    expect(Object.isFrozen(view)).to.equal(true);
  });
});

describe('validFor and isExpired', () => {
  it('compare the expiry with the clock given', () => {
    expect(validFor(tokens, 30, NOW)).to.equal(true);
    expect(validFor(tokens, 60, NOW)).to.equal(false);
    expect(isExpired(tokens, NOW + 59_999)).to.equal(false);
    expect(isExpired(tokens, NOW + 60_000)).to.equal(true);
  });

  it('treat a token without a lifetime as valid', () => {
    expect(validFor({ expiresAt: null }, 1e9, NOW)).to.equal(true);
    expect(isExpired({ expiresAt: null }, NOW)).to.equal(false);
  });
});
