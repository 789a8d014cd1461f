/**
 * Scenario 3, network faults between nodes, injected by fault proxies placed in front of each node:
 *  - messages through connection cuts (all at once, and every connection after a few KB, mid-request):
 *    each acknowledged message arrives exactly once;
 *  - a file transfer cut and then refused until the download gives up: resumed, hash verified;
 *  - delayed and silent connections: peer requests end with OR_ERR_PEER_TIMEOUT within their timeout
 *    instead of hanging, and queued messages go through once the network heals.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { pollUntil } from '../../helpers/node-harness.js';
import { errorCode } from '../lib/api.js';
import type { Cluster } from '../lib/cluster.js';
import { addProxiedNode } from '../lib/proxied-node.js';
import { report } from '../lib/report.js';
import { startTrafficLoop } from '../lib/traffic-loop.js';
import {
  fileSha256,
  sendMessages,
  shareRandomFile,
  startDownload,
  tally,
  waitDownloadSettled,
  waitOutboxesDrained,
  type DownloadView,
} from '../lib/traffic.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runMessagesThroughCuts(
  cluster: Cluster,
  o: { cuts: number; choppyMs: number },
): Promise<void> {
  const { node: a, proxy: pa } = await addProxiedNode(cluster, 'cut-a');
  const { node: b, proxy: pb } = await addProxiedNode(cluster, 'cut-b');
  const loops = [startTrafficLoop(a, b, 'a-b', 5), startTrafficLoop(b, a, 'b-a', 5)];
  const acked = () => loops.reduce((n, l) => n + l.acked.length, 0);
  let cutConnections = 0;
  try {
    await pollUntil(() => acked() >= 20, { what: 'traffic through the proxies', timeoutMs: 30_000 });
    // Every open connection reset at once, repeatedly, while messages flow both ways.
    for (let i = 0; i < o.cuts; i++) {
      const before = acked();
      cutConnections += pa.cutAll() + pb.cutAll();
      await pollUntil(() => acked() >= before + 5, { what: `traffic after cut ${i}`, timeoutMs: 30_000 });
    }
    // Choppy line: every connection dies after 1.5 KB each way, usually in the middle of a request.
    pa.cutAfterBytes = 1500;
    pb.cutAfterBytes = 1500;
    await sleep(o.choppyMs);
  } finally {
    await Promise.all(loops.map((l) => l.stop()));
  }
  const choppyCuts = pa.stats.cut + pb.stats.cut - cutConnections;
  pa.heal();
  pb.heal();
  await waitOutboxesDrained([a, b], 60_000);
  const t = await tally(
    loops.flatMap((l) => l.acked),
    new Map([a, b].map((n) => [n.id, n])),
  );
  report('network-cuts', {
    acked: t.sent,
    delivered: t.delivered,
    missing: t.missing.length,
    duplicates: t.duplicates.length,
    cutAllRounds: o.cuts,
    connectionsReset: cutConnections,
    midStreamCuts: choppyCuts,
  });
  expect(t.missing).to.deep.equal([]);
  expect(t.duplicates).to.deep.equal([]);
  expect(choppyCuts, 'the choppy phase cut connections').to.be.greaterThan(0);
}

export async function runRequestTimeouts(cluster: Cluster): Promise<void> {
  const { node: a } = await addProxiedNode(cluster, 'to-a');
  const { node: b, proxy: pb } = await addProxiedNode(cluster, 'to-b');
  const ping = async (timeoutMs: number) => {
    const t0 = performance.now();
    const r = await a.call('POST', '/api/probe/request', { peer: b.id, timeout_ms: timeoutMs }, 30_000);
    return { status: r.status, code: errorCode(r.json), ms: Math.round(performance.now() - t0) };
  };
  expect((await ping(5000)).status).to.equal(200); // session established through the proxy

  // A slow line: every chunk held 3 s, the caller allows 1 s.
  pb.delayMs = 3000;
  const slow = await ping(1000);
  pb.heal();
  // A peer that accepts connections and never answers (the pooled connections are gone).
  pb.cutAll();
  pb.mode = 'blackhole';
  const silent = await ping(1000);
  // Messages wait in the outbox meanwhile, with the reason, and go once the line is back.
  const sent = (await sendMessages(a, b, 10, 'blackhole')).acked;
  const queued = await pollUntil(
    async () => {
      const q = (
        await a.call<{ messages: Array<{ last_error: string | null }> }>(
          'GET',
          `/api/outbox?state=queued&peer=${b.id}`,
        )
      ).json.messages;
      return q.length > 0 && q.every((m) => m.last_error !== null) && q;
    },
    { what: 'a failed delivery round', timeoutMs: 30_000, intervalMs: 100 },
  );
  // Connections accepted and reset at once: the client keeps reconnecting until its timeout.
  pb.cutAll(); // the silent connections from the blackhole phase
  pb.mode = 'refuse';
  const refusedBefore = pb.stats.refused;
  const refused = { ...(await ping(2000)), attempts: 0 };
  refused.attempts = pb.stats.refused - refusedBefore;
  pb.heal();
  await waitOutboxesDrained([a], 60_000);
  const after = await ping(5000);
  const t = await tally(sent, new Map([a, b].map((n) => [n.id, n])));
  report('network-timeouts', {
    delayed3sWith1sTimeout: slow,
    silentPeerWith1sTimeout: silent,
    refusedConnections: refused,
    outboxLastError: queued[0]?.last_error,
    afterHeal: {
      status: after.status,
      delivered: t.delivered,
      missing: t.missing.length,
      duplicates: t.duplicates.length,
    },
  });
  expect(slow.code).to.equal('OR_ERR_PEER_TIMEOUT');
  expect(silent.code).to.equal('OR_ERR_PEER_TIMEOUT');
  expect(refused.code).to.match(/^OR_ERR_PEER_(UNREACHABLE|FAILED|TIMEOUT)$/);
  expect(queued[0]?.last_error).to.match(/^OR_ERR_PEER_/);
  expect(after.status).to.equal(200);
  expect(t.missing).to.deep.equal([]);
  expect(t.duplicates).to.deep.equal([]);
}

/** Cuts a running download once (it must get through on its own), then refuses the line until it gives up. */
export async function runFileThroughCuts(cluster: Cluster): Promise<void> {
  const { node: sharer, proxy } = await addProxiedNode(cluster, 'file-a');
  const { node: getter } = await addProxiedNode(cluster, 'file-b');
  const folder = join(cluster.root, 'file-downloads');
  const progress = async (id: string) =>
    (await getter.call<DownloadView>('GET', `/api/files/downloads/${id}`)).json;

  // 1. One cut in the middle: the download retries by itself and completes.
  proxy.bytesPerSecond = 4 * MiB;
  const one = await shareRandomFile(sharer, getter, 8 * MiB, 'cut-once.bin');
  const d1 = await startDownload(getter, one.link, folder);
  await pollUntil(async () => (await progress(d1.id)).bytes >= 2 * MiB, {
    what: 'part of the first file',
    timeoutMs: 60_000,
    intervalMs: 50,
  });
  const cutOnce = proxy.cutAll();
  const r1 = await waitDownloadSettled(getter, d1.id, 120_000);
  const hash1 = r1.state === 'done' ? await fileSha256(r1.target) : undefined;

  // 2. Cut, then refuse every connection until the download stops `interrupted`; heal and resume.
  const two = await shareRandomFile(sharer, getter, 8 * MiB, 'cut-and-down.bin');
  const d2 = await startDownload(getter, two.link, folder);
  await pollUntil(async () => (await progress(d2.id)).bytes >= 2 * MiB, {
    what: 'part of the second file',
    timeoutMs: 60_000,
    intervalMs: 50,
  });
  proxy.mode = 'refuse';
  proxy.cutAll();
  const interrupted = await waitDownloadSettled(getter, d2.id, 120_000);
  proxy.heal();
  proxy.bytesPerSecond = 4 * MiB;
  const resumed = await startDownload(getter, two.link, folder);
  const r2 = await waitDownloadSettled(getter, resumed.id, 120_000);
  const hash2 = r2.state === 'done' ? await fileSha256(r2.target) : undefined;
  proxy.heal();
  report('network-file', {
    cutOnce: { connectionsReset: cutOnce, state: r1.state, error: r1.error, hashOk: hash1 === one.sha256 },
    refusedUntilInterrupted: { state: interrupted.state, error: interrupted.error, bytes: interrupted.bytes },
    resumed: { state: r2.state, resumedFrom: r2.resumed_from, hashOk: hash2 === two.sha256 },
  });
  expect(r1.state, JSON.stringify(r1.error)).to.equal('done');
  expect(hash1).to.equal(one.sha256);
  expect(interrupted.state).to.equal('interrupted');
  expect(interrupted.error?.code).to.match(/^OR_ERR_PEER_/);
  expect(r2.state, JSON.stringify(r2.error)).to.equal('done');
  expect(r2.resumed_from).to.be.greaterThan(0);
  expect(hash2).to.equal(two.sha256);
}
