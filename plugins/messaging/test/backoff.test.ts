import { expect } from 'chai';
import fc from 'fast-check';
import { backoffDelay } from '../backoff.js';

describe('messaging: backoff', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  it('doubles per failure from the base, capped, with half of it random', () => {
    expect(backoffDelay(1, policy, () => 0)).to.equal(500);
    expect(backoffDelay(1, policy, () => 1)).to.equal(1000);
    expect(backoffDelay(2, policy, () => 0)).to.equal(1000);
    expect(backoffDelay(3, policy, () => 0.5)).to.equal(3000);
    expect(backoffDelay(100, policy, () => 1)).to.equal(60_000);
  });

  it('always lies between half the nominal delay and the nominal delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 40));
          const d = backoffDelay(n, policy, () => r);
          return d >= Math.floor(nominal / 2) && d <= nominal;
        },
      ),
    );
  });
});
