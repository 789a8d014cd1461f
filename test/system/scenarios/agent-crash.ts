/**
 * Scenario 2c, the crypto agent dies: a node running its keys in the isolated agent process (found as a
 * descendant of the node process) loses it to `kill -9` while bursts of signatures keep it busy. Requests
 * in flight must end with a coded error (never hang, never an uncoded 500); the node restarts the agent;
 * later requests succeed, including a first contact with a new peer (a handshake inside the agent) and
 * traffic on the sessions that existed before.
 */
import { expect } from 'chai';
import { pollUntil } from '../../helpers/node-harness.js';
import type { Cluster, SystemNode } from '../lib/cluster.js';
import { cryptoAgentPid } from '../lib/proc-stats.js';
import { report } from '../lib/report.js';
import { sendMessages, tally, waitOutboxesDrained } from '../lib/traffic.js';

type Counts = Record<string, number>;

const burst = async (node: SystemNode, count: number): Promise<Counts> => {
  const r = await node.call<{ counts: Counts }>('POST', '/api/probe/sign-burst', { count }, 30_000);
  if (r.status !== 200) throw new Error(`sign burst: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.counts;
};

/** Resolves false (nothing to test) when no sandbox works on this host and the agent runs inline. */
export async function runAgentCrash(cluster: Cluster): Promise<boolean> {
  const x = await cluster.addNode('x', { isolation: 'process' });
  const status = await x.call<{ crypto: { isolation: string } }>('GET', '/api/node/status');
  if (status.json.crypto.isolation === 'inline') return false;
  const [y, z] = await cluster.addNodes(['y', 'z']);
  const before = cryptoAgentPid(x.pid);
  expect(before, 'crypto agent process').to.be.a('number');

  const sent = (await sendMessages(x, y!, 5, 'before')).acked;
  await waitOutboxesDrained([x], 30_000);

  // Keep the agent busy with back-to-back bursts, kill it during one, stop when the bursts succeed again.
  const totals: Counts = {};
  let running = true;
  let bursts = 0;
  const load = (async () => {
    while (running) {
      for (const [k, v] of Object.entries(await burst(x, 400))) totals[k] = (totals[k] ?? 0) + v;
      bursts++;
    }
  })();
  let t0 = 0;
  try {
    await pollUntil(() => bursts >= 2, { what: 'signature bursts running', timeoutMs: 30_000 });
    t0 = performance.now();
    process.kill(before!, 'SIGKILL');
    await pollUntil(
      () => {
        const after = cryptoAgentPid(x.pid);
        return after !== undefined && after !== before;
      },
      { what: 'a new crypto agent', timeoutMs: 30_000, intervalMs: 50 },
    );
    const settled = bursts;
    await pollUntil(() => bursts >= settled + 2, { what: 'bursts after the restart', timeoutMs: 30_000 });
  } finally {
    running = false;
    await load;
  }
  const recoveredMs = Math.round(performance.now() - t0);

  const clean = await burst(x, 200);
  expect(clean, 'every signature works again').to.deep.equal({ ok: 200 });
  const codes = Object.keys(totals).filter((k) => k !== 'ok');
  expect(
    codes.every((c) => c === 'OR_ERR_AGENT_UNAVAILABLE'),
    `outcomes: ${JSON.stringify(totals)}`,
  ).to.equal(true);
  // A handshake (keys in the agent) with a peer never met, and the old session, both work.
  const first = await x.call('POST', '/api/probe/request', { peer: z!.id, timeout_ms: 5000 });
  expect(first.status, JSON.stringify(first.json)).to.equal(200);
  sent.push(...(await sendMessages(x, y!, 5, 'after')).acked);
  sent.push(...(await sendMessages(y!, x, 5, 'after')).acked);
  await waitOutboxesDrained([x, y!], 30_000);
  const t = await tally(sent, new Map([x, y!, z!].map((n) => [n.id, n])));
  report('agent-crash', {
    signatures: totals,
    failedCleanly: totals.OR_ERR_AGENT_UNAVAILABLE ?? 0,
    recoveredMs,
    messages: { acked: t.sent, delivered: t.delivered, missing: t.missing.length },
  });
  expect(t.missing).to.deep.equal([]);
  expect(t.duplicates).to.deep.equal([]);
  return true;
}
