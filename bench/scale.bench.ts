/**
 * Scale benchmark (`npm run bench -- scale`): a simulated community of 10,000 nodes against one directory.
 *
 * Each simulated node has real Ed25519/X25519 keys and signs its own requests; every node's api_url points
 * at one shared token sink on 127.0.0.1 (lib/simulated-nodes.ts). Per configuration — lowdb, Redis, and two
 * directory processes on one Redis (requests spread round-robin) — it measures over HTTP: the first
 * registration of every node, one heartbeat (re-registration) of every node, signed discovers by id, and
 * connection requests (grant issued, both tokens pushed to the sink). Directories run in their own processes
 * so their RSS and heap are theirs alone.
 *
 * Every simulated node connects from 127.0.0.1, so the per-address rate limit is raised for the run
 * (`rateLimits.perAddress`); the per-node limits keep their defaults. BENCH_SCALE_NODES changes the size.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import type { DirectoryOptions } from '../core/directory/options.js';
import { acquireRedis, type TestRedis } from '../test/helpers/redis.js';
import { forkDirectory, type DirectoryChild } from './lib/directory-processes.js';
import { percentile, printTable, type Row } from './lib/measure.js';
import {
  connectionRequest,
  discoverHeaders,
  registration,
  simulatedNodes,
  startTokenSink,
  type SimulatedNode,
} from './lib/simulated-nodes.js';

const NODES = Number(process.env.BENCH_SCALE_NODES ?? 10_000);
const DISCOVERS = Math.min(NODES, 5000);
const CONNECTIONS = Math.min(NODES, 3000);
const IN_FLIGHT = 32;

/** What the bench changes from the defaults, and why: one source address for 10,000 nodes. */
const scaleOptions: DirectoryOptions = {
  port: 0,
  host: '127.0.0.1',
  outbound: { allowLoopback: true },
  rateLimits: { perAddress: { perSecond: 1_000_000, burst: 1_000_000 } },
};

interface Call {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** Sends every call with IN_FLIGHT in flight; returns calls/s and each latency (ms). Any non-200 fails. */
async function drive(calls: Call[], agent: Agent): Promise<{ perSec: number; latencies: number[] }> {
  let next = 0;
  const latencies: number[] = [];
  const failures: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < calls.length) {
        const c = calls[next++]!;
        const s = performance.now();
        const res = await request(c.url, {
          method: c.method,
          headers: c.headers,
          body: c.body,
          dispatcher: agent,
        });
        const text = await res.body.text();
        latencies.push(performance.now() - s);
        if (res.statusCode !== 200 && failures.length < 3) failures.push(`${res.statusCode} ${text}`);
      }
    }),
  );
  if (failures.length > 0) throw new Error(`requests failed: ${failures.join(' | ')}`);
  return { perSec: (calls.length / (performance.now() - t0)) * 1000, latencies };
}

const json = { 'content-type': 'application/json' };
const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]!;

async function runConfiguration(
  name: string,
  directories: DirectoryChild[],
  nodes: SimulatedNode[],
  sink: { received(): number },
): Promise<Row> {
  const agent = new Agent({ connections: IN_FLIGHT, keepAliveTimeout: 10_000 });
  const base = (i: number): string => directories[i % directories.length]!.url + '/api/v3';
  try {
    const now = Date.now();
    const register = await drive(
      nodes.map((n, i) => ({
        url: `${base(i)}/nodes/register`,
        method: 'POST',
        headers: json,
        body: registration(n, now),
      })),
      agent,
    );
    const heartbeat = await drive(
      nodes.map((n, i) => ({
        url: `${base(i + 1)}/nodes/register`,
        method: 'POST',
        headers: json,
        body: registration(n, Date.now()),
      })),
      agent,
    );
    const discover = await drive(
      Array.from({ length: DISCOVERS }, (_, i) => {
        const target = pick(nodes).id;
        return {
          url: `${base(i)}/nodes/discover?id=${target}`,
          method: 'GET' as const,
          headers: discoverHeaders(nodes[i % nodes.length]!, target, Date.now()),
        };
      }),
      agent,
    );
    const before = sink.received();
    const connect = await drive(
      Array.from({ length: CONNECTIONS }, (_, i) => {
        const from = nodes[i % nodes.length]!;
        const target = nodes[(i * 7919 + 1) % nodes.length]!;
        return {
          url: `${base(i)}/tokens/request-connection`,
          method: 'POST' as const,
          headers: json,
          body: connectionRequest(
            from,
            target === from ? nodes[(i + 1) % nodes.length]! : target,
            Date.now(),
          ),
        };
      }),
      agent,
    );
    const memory = await Promise.all(directories.map((d) => d.memory()));
    const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
    return {
      configuration: name,
      nodes: nodes.length,
      'registrations/s': register.perSec,
      'heartbeats/s': heartbeat.perSec,
      'discover/s': discover.perSec,
      'discover p50 ms': percentile(discover.latencies, 50),
      'discover p99 ms': percentile(discover.latencies, 99),
      'connections/s': connect.perSec,
      'tokens delivered': `${sink.received() - before}/${2 * CONNECTIONS}`,
      'RSS MB': memory.map((m) => mb(m.rss)).join(' + '),
      'heap MB': memory.map((m) => mb(m.heapUsed)).join(' + '),
    };
  } finally {
    await agent.close();
  }
}

async function withDirectories(
  count: number,
  options: (dataDir: string, keyDir: string) => DirectoryOptions,
  run: (dirs: DirectoryChild[]) => Promise<Row>,
): Promise<Row> {
  const tmp = await mkdtemp(join(tmpdir(), 'openred-bench-scale-'));
  const dirs: DirectoryChild[] = [];
  try {
    // One after the other: the first creates the shared key, the others load it.
    for (let i = 0; i < count; i++)
      dirs.push(await forkDirectory(options(join(tmp, `data-${i}`), join(tmp, 'key'))));
    return await run(dirs);
  } finally {
    await Promise.all(dirs.map((d) => d.stop()));
    await rm(tmp, { recursive: true, force: true });
  }
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`cpus ${cpus().length}, load average at start: ${load()}`);
const started = performance.now();
const sink = await startTokenSink();
const t0 = performance.now();
const nodes = simulatedNodes(NODES, sink.url);
console.log(`${NODES} node key pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
let redis: TestRedis | undefined;
const prefixes: string[] = [];
try {
  redis = await acquireRedis();
  const r = redis;
  const onRedis = (dataDir: string, keyDir: string, prefix: string): DirectoryOptions => ({
    ...scaleOptions,
    dataDir,
    keyDir,
    store: 'redis',
    redisUrl: r.url,
    keyPrefix: prefix,
  });
  const rows: Row[] = [];
  rows.push(
    await withDirectories(
      1,
      (dataDir, keyDir) => ({ ...scaleOptions, dataDir, keyDir }),
      (d) => runConfiguration('lowdb, 1 directory', d, nodes, sink),
    ),
  );
  prefixes.push(r.prefix());
  rows.push(
    await withDirectories(
      1,
      (dataDir, keyDir) => onRedis(dataDir, keyDir, prefixes[0]!),
      (d) => runConfiguration('redis, 1 directory', d, nodes, sink),
    ),
  );
  prefixes.push(r.prefix());
  rows.push(
    await withDirectories(
      2,
      (dataDir, keyDir) => onRedis(dataDir, keyDir, prefixes[1]!),
      (d) => runConfiguration('redis, 2 directories', d, nodes, sink),
    ),
  );
  printTable(`Simulated community: ${NODES} nodes, ${IN_FLIGHT} requests in flight`, rows);
  const ratio = (col: string, a: number, b: number): number => Number(rows[a]![col]) / Number(rows[b]![col]);
  printTable('Ratios', [
    ...['registrations/s', 'heartbeats/s', 'discover/s', 'connections/s'].map((col) => ({
      figure: col,
      'redis / lowdb': ratio(col, 1, 0),
      '2 directories / 1 (redis)': ratio(col, 2, 1),
    })),
  ]);
  console.log(
    `\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s, load average at end: ${load()}`,
  );
} finally {
  await sink.close();
  for (const p of prefixes) await redis?.deleteKeys(p);
  await redis?.release();
}
