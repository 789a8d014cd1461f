import { expect } from 'chai';
import { RateLimiter } from '../../../core/http/rate-limiter.js';
import { ManualClock } from '../../../core/kernel/clock.js';
import { RateLimitError } from '../../../core/errors.js';

function retryAfter(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(RateLimitError);
    expect((err as RateLimitError).status).to.equal(429);
    return (err as RateLimitError).retryAfterSeconds;
  }
}

describe('http/rate-limiter', () => {
  it('allows a burst, then refuses with the seconds until the next token', () => {
    const clock = new ManualClock();
    const rl = new RateLimiter({ perSecond: 0.5, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) expect(retryAfter(() => rl.take('peer'))).to.equal(undefined);
    expect(retryAfter(() => rl.take('peer'))).to.equal(2);
  });

  it('refills with time (injected clock, no sleeping)', () => {
    const clock = new ManualClock();
    const rl = new RateLimiter({ perSecond: 2, burst: 2 }, clock);
    rl.take('a');
    rl.take('a');
    expect(retryAfter(() => rl.take('a'))).to.equal(1);
    clock.advance(499);
    expect(retryAfter(() => rl.take('a'))).to.equal(1);
    clock.advance(1);
    expect(retryAfter(() => rl.take('a'))).to.equal(undefined);
    clock.advance(60_000); // never more than the burst
    rl.take('a');
    rl.take('a');
    expect(retryAfter(() => rl.take('a'))).not.to.equal(undefined);
  });

  it('keys are independent', () => {
    const rl = new RateLimiter({ perSecond: 1, burst: 1 }, new ManualClock());
    rl.take('a');
    expect(retryAfter(() => rl.take('a'))).to.equal(1);
    expect(retryAfter(() => rl.take('b'))).to.equal(undefined);
  });

  it('bounds memory: the least recently used key is forgotten first', () => {
    const rl = new RateLimiter({ perSecond: 1, burst: 1 }, new ManualClock(), 2);
    rl.take('a');
    rl.take('b');
    expect(retryAfter(() => rl.take('a'))).to.equal(1); // touches a: b is now the oldest
    rl.take('c'); // evicts b
    expect(rl.size).to.equal(2);
    expect(retryAfter(() => rl.take('b'))).to.equal(undefined); // b starts with a full bucket again
    expect(retryAfter(() => rl.take('c'))).to.equal(1);
  });

  it('names what is limited in the message', () => {
    const rl = new RateLimiter({ perSecond: 1, burst: 1 }, new ManualClock());
    rl.take('k');
    expect(() => rl.take('k', 'handshakes')).to.throw(/too many handshakes; retry in 1 s/);
  });
});
