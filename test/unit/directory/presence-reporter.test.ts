import { expect } from 'chai';
import { RateLimitError, UpstreamError } from '../../../core/errors.js';
import { ManualClock } from '../../../core/kernel/clock.js';
import { PresenceReporter, type Scheduler } from '../../../core/directory/presence-reporter.js';
import type { RegistrationResult } from '../../../core/directory/protocol.js';
import { StoreContext } from './harness.js';

class FakeScheduler implements Scheduler {
  pending: Array<{ fn: () => void; ms: number; id: number }> = [];
  #next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.push({ fn, ms, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }
  /** Runs the one scheduled callback; returns its delay. */
  async fire(): Promise<number> {
    expect(this.pending).to.have.length(1);
    const p = this.pending.shift()!;
    p.fn();
    await new Promise((r) => setImmediate(r));
    return p.ms;
  }
}

const ok: RegistrationResult = {
  node_id: 'or' + 'a'.repeat(32),
  status: 'active',
  last_seen: 0,
  heartbeat_seconds: 30,
};

describe('PresenceReporter', () => {
  it('registers at start, then heartbeats at the interval the directory suggests', async () => {
    let calls = 0;
    const sched = new FakeScheduler();
    const r = new PresenceReporter({ client: { register: async () => (calls++, ok) }, scheduler: sched });
    expect(await r.start()).to.equal(true);
    expect(calls).to.equal(1);
    expect(await sched.fire()).to.equal(30_000);
    expect(calls).to.equal(2);
    expect(sched.pending[0]!.ms).to.equal(30_000);
    await r.stop();
    expect(sched.pending).to.have.length(0);
  });

  it('backs off exponentially (capped) while the directory is down, then resumes', async () => {
    let down = true;
    const sched = new FakeScheduler();
    const clock = new ManualClock();
    const states: boolean[] = [];
    const r = new PresenceReporter({
      client: {
        register: async () => {
          if (down) throw new UpstreamError('down', 'OR_ERR_DIRECTORY_UNREACHABLE');
          return ok;
        },
      },
      intervalMs: 10_000,
      initialBackoffMs: 1000,
      maxBackoffMs: 8000,
      random: () => 1, // no jitter: the full delay
      scheduler: sched,
      clock,
      onChange: (s) => states.push(s.registered),
    });
    expect(await r.start()).to.equal(false);
    expect(r.state.lastError!.code).to.equal('OR_ERR_DIRECTORY_UNREACHABLE');
    const delays = [];
    for (let i = 0; i < 5; i++) delays.push(await sched.fire());
    expect(delays).to.deep.equal([1000, 2000, 4000, 8000, 8000]);
    expect(r.state.failures).to.equal(6);
    down = false;
    expect(await sched.fire()).to.equal(8000);
    expect(r.state).to.deep.include({
      registered: true,
      failures: 0,
      lastError: null,
      lastSuccessAt: clock.now(),
    });
    expect(sched.pending[0]!.ms).to.equal(10_000);
    expect(states.at(-1)).to.equal(true);
    await r.stop();
  });

  it('waits at least Retry-After when rate limited', async () => {
    const sched = new FakeScheduler();
    const r = new PresenceReporter({
      client: {
        register: async () => {
          throw new RateLimitError('slow down', 42);
        },
      },
      random: () => 0,
      scheduler: sched,
    });
    await r.start();
    expect(sched.pending[0]!.ms).to.equal(42_000);
    await r.stop();
  });

  it('stop() waits for an attempt in flight and schedules nothing after it', async () => {
    const sched = new FakeScheduler();
    let release!: () => void;
    const r = new PresenceReporter({
      client: { register: () => new Promise<RegistrationResult>((res) => (release = () => res(ok))) },
      scheduler: sched,
    });
    const started = r.start();
    const stopped = r.stop();
    release();
    await started;
    await stopped;
    expect(sched.pending).to.have.length(0);
  });

  describe('against a real directory that goes away and comes back', () => {
    const h = new StoreContext('lowdb');
    after(() => h.cleanup());

    it('re-registers after the outage', async function () {
      const t = await h.start({ rateLimits: { perAddress: { perSecond: 1000, burst: 1000 } } });
      const node = await t.node({ noServer: true });
      const client = node.client(t.dir.url, t.dir.publicKey, { timeoutMs: 300 });
      const r = new PresenceReporter({ client, intervalMs: 20, initialBackoffMs: 10, maxBackoffMs: 40 });
      try {
        expect(await r.start()).to.equal(true);
        const port = t.dir.port;
        await t.dir.stop();
        const until = Date.now() + 3000;
        while (r.state.failures < 2 && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
        expect(r.state.registered).to.equal(false);
        t.clock.advance(5000);
        const again = await h.start({ port, dataDir: t.dataDir }, { clock: t.clock });
        while (!r.state.registered && Date.now() < until + 3000)
          await new Promise((res) => setTimeout(res, 10));
        expect(r.state.registered).to.equal(true);
        expect((await again.dir.store.getNode(node.nodeId))!.last_seen).to.equal(t.clock.now());
      } finally {
        await r.stop();
        await client.close();
      }
    });
  });
});
