/**
 * Scenario 2a, `kill -9` under traffic: three nodes send to each other in a ring without pause; one node at
 * a time is killed in the middle of it and restarted. Afterwards every acknowledged message (201 from the
 * owner API: it was on the sender's disk) must be in its receiver's inbox exactly once, every outbox must be
 * empty with nothing failed, and after a clean restart of everyone the stores must read back the same.
 */
import { expect } from 'chai';
import { pollUntil } from '../../helpers/node-harness.js';
import type { Cluster, SystemNode } from '../lib/cluster.js';
import { report } from '../lib/report.js';
import { startTrafficLoop, type TrafficLoop } from '../lib/traffic-loop.js';
import { tally, waitOutboxesDrained, type Sent } from '../lib/traffic.js';

export interface NodeCrashOptions {
  /** Names of the nodes to kill, one per round, in order (each must be one of a, b, c). */
  victims: string[];
}

export async function runNodeCrash(cluster: Cluster, o: NodeCrashOptions): Promise<void> {
  const nodes = await cluster.addNodes(['a', 'b', 'c']);
  const [a, b, c] = nodes as [SystemNode, SystemNode, SystemNode];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const loops: TrafficLoop[] = [
    startTrafficLoop(a, b, 'a-b'),
    startTrafficLoop(b, c, 'b-c'),
    startTrafficLoop(c, a, 'c-a'),
  ];
  const ackedSoFar = () => loops.reduce((n, l) => n + l.acked.length, 0);
  const downMs: number[] = [];
  try {
    for (const name of o.victims) {
      const victim = cluster.node(name);
      const before = ackedSoFar();
      // Kill in the middle of traffic: after a fresh batch was acknowledged by everyone.
      await pollUntil(() => ackedSoFar() >= before + 60, {
        what: 'traffic before the kill',
        timeoutMs: 60_000,
      });
      const t0 = performance.now();
      await victim.kill9();
      await new Promise((r) => setTimeout(r, 300));
      await victim.start();
      downMs.push(Math.round(performance.now() - t0));
      const after = ackedSoFar();
      await pollUntil(() => ackedSoFar() >= after + 60, {
        what: 'traffic after the restart',
        timeoutMs: 60_000,
      });
    }
  } finally {
    await Promise.all(loops.map((l) => l.stop()));
  }
  const sent: Sent[] = loops.flatMap((l) => l.acked);
  const refused = loops.reduce((n, l) => n + l.refused.length, 0);
  const t1 = performance.now();
  await waitOutboxesDrained(nodes, 90_000);
  const drainMs = Math.round(performance.now() - t1);
  const live = await tally(sent, byId);

  for (const n of nodes) {
    const failed = await n.call<{ messages: unknown[] }>('GET', '/api/outbox?state=failed');
    expect(failed.json.messages, `failed messages on ${n.name}`).to.deep.equal([]);
  }
  // Stores read back the same after a clean restart of every node (nothing half-written on disk).
  for (const n of nodes) {
    await n.stop();
    await n.start();
  }
  const reread = await tally(sent, byId);
  report('node-crash', {
    victims: o.victims,
    acked: sent.length,
    refusedWhileDown: refused,
    delivered: live.delivered,
    missing: live.missing.length,
    duplicates: live.duplicates.length,
    restartMs: downMs,
    drainAfterTrafficMs: drainMs,
    afterCleanRestart: { delivered: reread.delivered, missing: reread.missing.length },
  });
  expect(live.missing, 'acknowledged messages lost').to.deep.equal([]);
  expect(live.duplicates, 'messages stored twice').to.deep.equal([]);
  expect(reread.missing).to.deep.equal([]);
  expect(reread.duplicates).to.deep.equal([]);
}
