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

/** Calls `run` with each of `inputs`, expecting each call to throw an AuthError with `code` (the input names the failure). */
export function throwsFor<T>(run: (input: T) => unknown, inputs: readonly T[], code: string): void {
  for (const input of inputs) {
    let thrown: string | undefined;
    try {
      run(input);
    } catch (error) {
      thrown = (error as { code?: string }).code;
    }
    expect(thrown, JSON.stringify(input)).to.equal(code);
  }
}

/** Resolves once `check()` is true, polling every 10 ms; fails naming `what` after `ms` (generous: a busy 2-core machine). */
export async function until(check: () => boolean, what = 'the condition', ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
