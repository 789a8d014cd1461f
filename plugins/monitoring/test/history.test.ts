import { expect } from 'chai';
import type { RequestObservation } from '@openred/plugin-sdk';
import { MetricsHistory } from '../history.js';

const request = (
  durationMs: number,
  status = 200,
  bytesIn = 10,
  bytesOut = 100,
  route = '/api/x',
): RequestObservation => ({
  surface: 'api',
  method: 'GET',
  route,
  plugin: undefined,
  status,
  durationMs,
  bytesIn,
  bytesOut,
});

describe('monitoring: metrics history', () => {
  let now: number;
  let sessions: number;
  const history = () =>
    new MetricsHistory({ now: () => now, sessions: () => sessions, stepMs: 10_000, spanMs: 60_000 });

  beforeEach(() => {
    now = 1_000_000;
    sessions = 0;
  });

  it('sums each step: requests, errors, mean and largest latency, bytes; sessions at the end of the step', () => {
    const h = history();
    h.observe(request(2));
    h.observe(request(6, 503));
    sessions = 2;
    now += 10_000;
    h.observe(request(1));
    const [first, current] = h.points();
    expect(first).to.deep.equal({
      t: 1_000_000,
      requests: 2,
      errors: 1,
      latency_ms: 4,
      latency_max_ms: 6,
      sessions: 2,
      bytes_in: 20,
      bytes_out: 200,
    });
    expect(current).to.include({ t: 1_010_000, requests: 1, latency_ms: 1 });
  });

  it('counts event streams as requests but not in latency: they stay open on purpose', () => {
    const h = history();
    h.observe(request(4));
    h.observe(request(25_000, 200, 0, 0, '/api/messages/events'));
    expect(h.points()[0]).to.include({ requests: 2, latency_ms: 4, latency_max_ms: 4 });
  });

  it('fills quiet steps with zeros and keeps one span', () => {
    const h = history();
    h.observe(request(1));
    now += 35_000;
    expect(h.points().map((p) => p.requests)).to.deep.equal([1, 0, 0, 0]);
    now += 10 * 60_000;
    const points = h.points();
    expect(points.length).to.equal(7); // six closed steps of the minute, then the current one
    expect(points.every((p) => p.requests === 0)).to.equal(true);
  });
});
