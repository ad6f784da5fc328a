import { expect } from '@esm-bundle/chai';
import { startTokenWorker, takeTokenWorker } from '../../src/core/token-worker-start.js';

/** Replaces Worker for `run`: counts the workers started and the URLs they were started from. */
async function withCountedWorkers(run: (started: string[]) => Promise<void>): Promise<void> {
  const original = Object.getOwnPropertyDescriptor(window, 'Worker')!;
  const started: string[] = [];
  class CountedWorker extends EventTarget {
    constructor(url: string | URL) {
      super();
      started.push(String(url));
    }
    postMessage(): void {}
    terminate(): void {}
  }
  Object.defineProperty(window, 'Worker', { value: CountedWorker, configurable: true, writable: true });
  try {
    await run(started);
  } finally {
    Object.defineProperty(window, 'Worker', original);
  }
}

describe('token-worker-start', () => {
  it('hands the worker started ahead to the first vault, starts a new one for the next, and starts none ahead once a vault has taken one', async () => {
    await withCountedWorkers(async (started) => {
      startTokenWorker();
      startTokenWorker(); // a second element on the callback page: still one worker
      expect(started.length).to.equal(1);
      expect(started[0]).to.match(/\/token-worker\.js$/);
      const first = await takeTokenWorker();
      expect(started.length).to.equal(1);
      const second = await takeTokenWorker();
      expect(started.length).to.equal(2);
      expect(second.worker).to.not.equal(first.worker);
      // Late: a vault already started its own, so a worker started now would never be used.
      startTokenWorker();
      expect(started.length).to.equal(2);
    });
  });
});
