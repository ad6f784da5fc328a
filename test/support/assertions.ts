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

/** Resolves once `check()` is true, polling every 10 ms; fails naming `what` after `ms` (generous: a busy 2-core machine). */
export async function until(check: () => boolean, what = 'the condition', ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
