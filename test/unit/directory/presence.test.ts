import { expect } from 'chai';
import { ManualClock } from '../../../core/kernel/clock.js';
import { Presence } from '../../../core/directory/presence.js';

describe('Presence', () => {
  const p = new Presence({ activeSeconds: 90, offlineSeconds: 300, retentionSeconds: 3600 });

  it('derives active, stale and offline from last_seen with a ManualClock', () => {
    const clock = new ManualClock();
    const seen = clock.now();
    expect(p.status(seen, clock.now())).to.equal('active');
    clock.advance(90_000);
    expect(p.status(seen, clock.now())).to.equal('active');
    clock.advance(1);
    expect(p.status(seen, clock.now())).to.equal('stale');
    clock.advance(210_000 - 1);
    expect(p.status(seen, clock.now())).to.equal('stale');
    clock.advance(1);
    expect(p.status(seen, clock.now())).to.equal('offline');
  });

  it('status filters select exactly the matching last_seen values', () => {
    const now = 10_000_000;
    for (const age of [0, 89_999, 90_000, 90_001, 299_999, 300_000, 300_001, 3_000_000]) {
      const seen = now - age;
      const status = p.status(seen, now);
      for (const s of ['active', 'stale', 'offline'] as const) {
        const r = p.range(s, now);
        const inRange = seen >= (r.since ?? -Infinity) && seen < (r.before ?? Infinity);
        expect(inRange, `age ${age} status ${s}`).to.equal(s === status);
      }
    }
  });

  it('suggests three heartbeats per active window', () => {
    expect(p.heartbeatSeconds).to.equal(30);
    expect(
      new Presence({ activeSeconds: 1, offlineSeconds: 2, retentionSeconds: 10 }).heartbeatSeconds,
    ).to.equal(1);
  });
});
