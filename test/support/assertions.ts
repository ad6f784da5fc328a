import { expect } from '@esm-bundle/chai';
import { AuthError } from '../../src/core/errors.js';

/** Awaits `promise`, expecting it to reject with an AuthError, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}
