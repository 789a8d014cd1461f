import { expect } from 'chai';
import { DeadlineQueue } from '../../../core/http/deadlines.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('http/deadlines', () => {
  it('expires live deadlines in start order with the queue error; removed ones never fire', async () => {
    // A 0 ms timeout: every deadline is due when the timer fires, so the test does not race the clock.
    const queue = new DeadlineQueue(0, () => Object.assign(new Error('late'), { code: 'OR_ERR_TIMEOUT' }));
    const fired: Array<[string, string]> = [];
    const start = performance.now();
    const a = queue.add(start, (err) => fired.push(['a', (err as Error & { code: string }).code]));
    const b = queue.add(start, () => fired.push(['b', '']));
    queue.add(start, (err) => fired.push(['c', (err as Error & { code: string }).code]));
    queue.remove(b);
    queue.remove(b); // idempotent
    await tick();
    expect(fired).to.deep.equal([
      ['a', 'OR_ERR_TIMEOUT'],
      ['c', 'OR_ERR_TIMEOUT'],
    ]);
    queue.remove(a); // after it fired: a no-op
    // The queue is empty and re-arms for the next request.
    queue.add(performance.now(), () => fired.push(['d', '']));
    await tick();
    expect(fired.map(([n]) => n)).to.deep.equal(['a', 'c', 'd']);
  });

  it('a deadline in the future does not fire early, and removing it leaves nothing armed', async () => {
    const queue = new DeadlineQueue(60_000, () => new Error('late'));
    let fired = false;
    const d = queue.add(performance.now(), () => (fired = true));
    await tick();
    expect(fired).to.equal(false);
    queue.remove(d);
    expect(d.reject).to.equal(undefined);
  });
});
