/**
 * Scenario 2b, the directory dies: `kill -9` of the directory process while nodes talk. Sessions already
 * established keep working without it (the directory only brokers first contact); nodes notice the outage
 * in their presence state and register again once it is back, so first contacts work again. A second
 * crash loses the directory's node table entirely (its key kept): heartbeats alone must repopulate it.
 */
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil } from '../../helpers/node-harness.js';
import type { Cluster, SystemNode } from '../lib/cluster.js';
import { report } from '../lib/report.js';
import { sendMessages, tally, waitOutboxesDrained, type Sent } from '../lib/traffic.js';

interface Status {
  directory: { registered: boolean };
}

const registered = async (n: SystemNode) =>
  (await n.call<Status>('GET', '/api/node/status')).json.directory.registered;

/** A first contact from `from` to `to` (discover, grant, handshake) through the probe route. */
const firstContact = async (from: SystemNode, to: SystemNode) =>
  (await from.call<{ status: number }>('POST', '/api/probe/request', { peer: to.id, timeout_ms: 3000 }))
    .status === 200;

export async function runDirectoryCrash(cluster: Cluster): Promise<void> {
  const nodes = await cluster.addNodes(['a', 'b', 'c', 'd'], { heartbeatSeconds: 2 });
  const [a, b, c, d] = nodes as [SystemNode, SystemNode, SystemNode, SystemNode];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const sent: Sent[] = [];
  sent.push(...(await sendMessages(a, b, 10, 'before')).acked);
  await waitOutboxesDrained([a], 30_000);

  // Crash 1: the directory is gone; the a-b session carries on.
  await cluster.directory.kill9();
  sent.push(...(await sendMessages(a, b, 20, 'directory-down')).acked);
  sent.push(...(await sendMessages(b, a, 20, 'directory-down')).acked);
  await waitOutboxesDrained([a, b], 30_000);
  const duringOutage = await tally(sent, byId);
  expect(
    duringOutage.missing,
    'messages on an established session while the directory is down',
  ).to.deep.equal([]);
  await pollUntil(async () => !(await registered(c)), {
    what: 'presence to notice the outage',
    timeoutMs: 20_000,
    intervalMs: 200,
  });
  // A first contact needs the directory: a clear error now, not a hang.
  const refused = await c.call('POST', '/api/probe/request', { peer: d.id, timeout_ms: 3000 });
  expect(refused.status).to.be.within(500, 504);
  const t0 = performance.now();
  await cluster.directory.start();
  await pollUntil(async () => (await Promise.all(nodes.map(registered))).every(Boolean), {
    what: 'every node registered again',
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  const reregisterMs = Math.round(performance.now() - t0);
  expect(await firstContact(c, d), 'first contact after the directory restart').to.equal(true);

  // Crash 2: the directory comes back with an empty node table (same key): heartbeats refill it.
  await cluster.directory.kill9();
  await rm(join(cluster.directory.dataDir, 'nodes'), { recursive: true, force: true });
  const t1 = performance.now();
  await cluster.directory.start();
  await pollUntil(() => firstContact(b, d), {
    what: 'discover to find d again after the table was lost',
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  await pollUntil(() => firstContact(d, c), {
    what: 'discover to find c again after the table was lost',
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  const refillMs = Math.round(performance.now() - t1);
  sent.push(...(await sendMessages(a, b, 10, 'after')).acked);
  sent.push(...(await sendMessages(c, d, 10, 'after')).acked);
  await waitOutboxesDrained(nodes, 30_000);
  const t = await tally(sent, byId);
  report('directory-crash', {
    acked: t.sent,
    delivered: t.delivered,
    missing: t.missing.length,
    duplicates: t.duplicates.length,
    deliveredDuringOutage: duringOutage.delivered,
    reregisterMs,
    refillAfterLostTableMs: refillMs,
  });
  expect(t.missing).to.deep.equal([]);
  expect(t.duplicates).to.deep.equal([]);
}
