import { expect } from '@esm-bundle/chai';
import { CancellableLogin } from '../../../src/core/session/cancellable-login.js';

/** A login that ends when its AbortController is aborted (as the silent sign-in does), or when `finish` is called. */
function running() {
  const cancel = new AbortController();
  let finish!: () => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    cancel.signal.addEventListener('abort', () => reject(new Error('cancelled')));
  });
  return { cancel, done, finish };
}

describe('CancellableLogin', () => {
  it('holds nothing at first: nothing yields, nothing to cancel', () => {
    const held = new CancellableLogin();
    expect(held.yields).to.equal(false);
    expect(held.cancel()).to.equal(null);
  });

  it('cancels the held login while it yields, and resolves once it has ended', async () => {
    const held = new CancellableLogin();
    const login = running();
    held.hold(login.done, login.cancel, () => true);
    expect(held.yields).to.equal(true);
    const ended = held.cancel();
    expect(login.cancel.signal.aborted).to.equal(true);
    await ended;
    expect(held.yields, 'released once ended').to.equal(false);
  });

  it('does not cancel a login that does not yield now (a popup still open)', () => {
    const held = new CancellableLogin();
    const login = running();
    let closed = false;
    held.hold(login.done, login.cancel, () => closed);
    expect([held.yields, held.cancel()]).to.deep.equal([false, null]);
    expect(login.cancel.signal.aborted).to.equal(false);
    closed = true;
    expect(held.yields).to.equal(true);
  });

  it('gives up a held login that yields when another is held, and forgets the newer one only once it ended', async () => {
    const held = new CancellableLogin();
    const first = running();
    held.hold(first.done, first.cancel, () => true);
    const second = running();
    held.hold(second.done, second.cancel, () => true);
    expect(first.cancel.signal.aborted, 'two at once would leave one that nothing can cancel').to.equal(true);
    await first.done.catch(() => {});
    await Promise.resolve();
    expect(held.yields, 'the second is still held').to.equal(true);
    second.finish();
    await second.done;
    await new Promise((resolve) => setTimeout(resolve));
    expect(held.yields).to.equal(false);
  });

  it('leaves a held login that does not yield now (a popup still open) running when another is held', async () => {
    const held = new CancellableLogin();
    const popup = running();
    held.hold(popup.done, popup.cancel, () => false);
    const second = running();
    held.hold(second.done, second.cancel, () => true);
    expect(popup.cancel.signal.aborted).to.equal(false);
    popup.finish();
    await popup.done;
    await Promise.resolve();
    expect(held.yields, 'the newer one is still held').to.equal(true);
  });
});
