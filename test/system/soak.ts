/**
 * Soak run (not part of CI): a community of node processes under mixed traffic for a while, sampling each
 * node's resident memory and open file descriptors, then reporting the trend (least-squares slope) per node
 * and checking that every acknowledged message arrived exactly once.
 *
 *   npm run soak -- --minutes 30 [--nodes 5] [--sample-seconds 10] [--out soak.json]
 *
 * Traffic: every node sends messages to its next two neighbours without pause, asks a neighbour for a
 * sealed ping every second, and every `--file-seconds` one node shares a 1 MiB file that its neighbour
 * downloads and verifies. The first fifth of the run is warm-up and left out of the trend.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster, type SystemNode } from './lib/cluster.js';
import { openFds, rssBytes, slope } from './lib/proc-stats.js';
import { startTrafficLoop, type TrafficLoop } from './lib/traffic-loop.js';
import {
  fileSha256,
  shareRandomFile,
  startDownload,
  tally,
  waitDownloadSettled,
  waitOutboxesDrained,
} from './lib/traffic.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    nodes: { type: 'string', default: '5' },
    'sample-seconds': { type: 'string', default: '10' },
    'file-seconds': { type: 'string', default: '30' },
    out: { type: 'string' },
  },
});
const minutes = Number(args.minutes);
const nodeCount = Number(args.nodes);
const sampleMs = Number(args['sample-seconds']) * 1000;
const fileMs = Number(args['file-seconds']) * 1000;

interface Sample {
  atMs: number;
  rss: number;
  fds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const cluster = await Cluster.create('soak');
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const names = Array.from({ length: nodeCount }, (_, i) => `s${i}`);
    const nodes = await cluster.addNodes(names);
    const next = (i: number, k: number) => nodes[(i + k) % nodes.length]!;
    console.log(`soak: ${nodeCount} nodes, ${minutes} min, sampling every ${sampleMs / 1000} s`);

    const loops: TrafficLoop[] = nodes.flatMap((n, i) => [
      startTrafficLoop(n, next(i, 1), `soak-${i}-1`, 10),
      startTrafficLoop(n, next(i, 2), `soak-${i}-2`, 10),
    ]);
    const counters = { pings: 0, pingErrors: 0, files: 0, fileErrors: 0 };
    const pinger = (async () => {
      while (!stopping) {
        await Promise.all(
          nodes.map(async (n, i) => {
            const r = await n
              .call('POST', '/api/probe/request', { peer: next(i, 1).id, timeout_ms: 5000 })
              .catch(() => ({ status: 0 }));
            if (r.status === 200) counters.pings++;
            else counters.pingErrors++;
          }),
        );
        await sleep(1000);
      }
    })();
    const filer = (async () => {
      for (let k = 0; !stopping; k++) {
        await sleep(fileMs);
        if (stopping) break;
        const from = nodes[k % nodes.length]!;
        const to = next(k % nodes.length, 1);
        try {
          const shared = await shareRandomFile(from, to, 1024 * 1024, `soak-${k}.bin`);
          const d = await startDownload(to, shared.link, join(cluster.root, 'soak-downloads', to.name));
          const done = await waitDownloadSettled(to, d.id, 60_000);
          if (done.state === 'done' && (await fileSha256(done.target)) === shared.sha256) counters.files++;
          else counters.fileErrors++;
        } catch {
          counters.fileErrors++;
        }
      }
    })();

    const samples = new Map<SystemNode, Sample[]>(nodes.map((n) => [n, []]));
    const t0 = performance.now();
    const endAt = t0 + minutes * 60_000;
    while (!stopping && performance.now() < endAt) {
      const atMs = performance.now() - t0;
      for (const n of nodes) samples.get(n)!.push({ atMs, rss: rssBytes(n.pid), fds: openFds(n.pid) });
      const acked = loops.reduce((s, l) => s + l.acked.length, 0);
      console.log(
        `  ${(atMs / 60_000).toFixed(1)} min: ${acked} messages acked, ${counters.pings} pings, ` +
          `${counters.files} files; rss ${nodes.map((n) => mb(samples.get(n)!.at(-1)!.rss)).join(' ')} MB`,
      );
      await sleep(Math.min(sampleMs, Math.max(0, endAt - performance.now())));
    }
    stopping = true;
    await Promise.all(loops.map((l) => l.stop()));
    await Promise.all([pinger, filer]);
    await waitOutboxesDrained(nodes, 120_000);
    const t = await tally(
      loops.flatMap((l) => l.acked),
      new Map(nodes.map((n) => [n.id, n])),
    );

    const perNode = nodes.map((n) => trend(n.name, samples.get(n)!));
    const result = {
      minutes: Number(((performance.now() - t0) / 60_000).toFixed(2)),
      nodes: nodeCount,
      messages: {
        acked: t.sent,
        delivered: t.delivered,
        missing: t.missing.length,
        duplicates: t.duplicates.length,
      },
      ...counters,
      perNode,
    };
    console.log(JSON.stringify(result, null, 2));
    if (args.out) writeFileSync(args.out, JSON.stringify({ ...result, samples: serial(samples) }, null, 2));
    if (t.missing.length > 0 || t.duplicates.length > 0) process.exitCode = 1;
  } finally {
    await cluster.close();
  }
}

/** Slopes per hour after the warm-up (first fifth of the samples), with first/last values for context. */
function trend(name: string, all: Sample[]) {
  const s = all.slice(Math.floor(all.length / 5));
  const hours = s.map((x) => x.atMs / 3_600_000);
  return {
    node: name,
    samples: all.length,
    rssMb: { first: mb(all[0]!.rss), last: mb(all.at(-1)!.rss), max: mb(Math.max(...all.map((x) => x.rss))) },
    rssMbPerHour: Number(
      slope(
        hours,
        s.map((x) => x.rss / 1048576),
      ).toFixed(1),
    ),
    fds: { first: all[0]!.fds, last: all.at(-1)!.fds, max: Math.max(...all.map((x) => x.fds)) },
    fdsPerHour: Number(
      slope(
        hours,
        s.map((x) => x.fds),
      ).toFixed(1),
    ),
  };
}

function serial(samples: Map<SystemNode, Sample[]>) {
  return Object.fromEntries([...samples].map(([n, s]) => [n.name, s]));
}

function mb(bytes: number): number {
  return Math.round(bytes / 1048576);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
