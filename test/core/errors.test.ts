import { expect } from '@esm-bundle/chai';
import { AuthError, AUTHORIZATION_ERROR_CODES, ELEMENT_ERROR_CODES } from '../../src/core/errors.js';

describe('AuthError', () => {
  it('is an Error named AuthError with a code', () => {
    const error = new AuthError('timeout', 'slow');
    expect(error).to.be.instanceOf(Error);
    expect(error).to.include({ name: 'AuthError', code: 'timeout', message: 'slow' });
  });

  it('keeps of its cause only the name, message and codes: never what the cause carried', () => {
    const cause = Object.assign(new TypeError('refused'), { code: 'OAUTH_X', status: 400, error: 'invalid_grant', response: { refresh_token: 'secret-rt' }, cause: 'deeper' });
    const reported = new AuthError('refresh_failed', 'no', { cause }).cause as Error & Record<string, unknown>;
    expect(reported).to.be.instanceOf(Error).and.not.equal(cause);
    expect(reported).to.include({ name: 'TypeError', message: 'refused', code: 'OAUTH_X', status: 400, error: 'invalid_grant' });
    expect(JSON.stringify(reported, Object.getOwnPropertyNames(reported))).not.to.contain('secret-rt');
    expect(reported.cause).to.equal(undefined);
    expect(new AuthError('timeout', 'x', { cause: 'a reason' }).cause).to.equal('a reason');
    expect(new AuthError('timeout', 'x', { cause: { refresh_token: 'secret-rt' } }).cause).to.equal(undefined);
  });

  it('has every code once, the provider\'s and its own apart', () => {
    const all = [...AUTHORIZATION_ERROR_CODES, ...ELEMENT_ERROR_CODES];
    expect(new Set(all).size).to.equal(all.length);
  });
});
