import { expect } from '@esm-bundle/chai';
import { holdMark, isMarked } from '../../../src/core/session/tab-locks.js';

describe('holdMark / isMarked', () => {
  it('shows a mark to everyone at once, until it is released', async () => {
    const name = `closo-login:test:${crypto.randomUUID()}`;
    expect(await isMarked(name)).to.equal(false);
    const release = await holdMark(name);
    expect(await isMarked(name)).to.equal(true);
    // The browser answers lock queries for every context of the origin: a frame sees it too.
    const frame = document.createElement('iframe');
    document.body.append(frame);
    const seenFromFrame = await frame.contentWindow!.navigator.locks.query();
    expect(seenFromFrame.held?.some((lock) => lock.name === name)).to.equal(true);
    frame.remove();
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await isMarked(name)).to.equal(false);
  });
});
