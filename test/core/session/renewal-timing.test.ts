import { expect } from '@esm-bundle/chai';
import { MAX_TIMER_MS, renewalDelay, retryDelay } from '../../../src/core/session/renewal-timing.js';

// A fixed clock: these are pure functions of the times they are given.
const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const minutes = (n: number) => n * 60_000;

describe('renewalDelay', () => {
  it('renews renew-before seconds ahead of expiry, minus up to 5 s of jitter', () => {
    const expiresAt = NOW + minutes(60);
    expect(renewalDelay(expiresAt, 60, NOW, 0)).to.equal(minutes(59));
    expect(renewalDelay(expiresAt, 60, NOW, 0.999)).to.be.within(minutes(59) - 5_000, minutes(59) - 4_990);
  });

  it('never renews before half-way through a short-lived token', () => {
    // 90 s token, renew 60 s ahead: 30 s would be too early for some tabs and clients; half-way is 45 s.
    expect(renewalDelay(NOW + 90_000, 60, NOW, 0)).to.equal(45_000);
    expect(renewalDelay(NOW + minutes(10), 3600, NOW, 0)).to.equal(minutes(5));
  });

  it('waits at least a second, even for a token that is already due', () => {
    expect(renewalDelay(NOW + 500, 60, NOW, 0)).to.equal(1_000);
    expect(renewalDelay(NOW - minutes(5), 60, NOW, 0.5)).to.equal(1_000);
  });

  it('can exceed what a browser timer holds, which the session splits (2^31 - 1 ms)', () => {
    expect(renewalDelay(NOW + 365 * 24 * minutes(60), 60, NOW, 0)).to.be.greaterThan(MAX_TIMER_MS);
    expect(MAX_TIMER_MS).to.equal(2_147_483_647);
  });
});

describe('retryDelay', () => {
  it('backs off after failures in a row: 30 s, doubling, capped at 10 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map(retryDelay)).to.deep.equal([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
  });
});
