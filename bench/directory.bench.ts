/**
 * Directory benchmark (`npm run bench -- directory`).
 *
 * 1. Registrations/s and discover latency at 1k, 10k and 100k registered nodes, lowdb and Redis. The store is
 *    pre-filled directly, then real signed registrations and signed discovers go over HTTP on 127.0.0.1 to an
 *    in-process directory. Targets: lowdb at 100k >= 25% of its 1k rate; discover p99 < 10 ms at 100k.
 * 2. request-connection end to end (verify, issue the token pair, deliver to two live fake nodes) per second.
 * 3. Registrations/s through two directory processes sharing one Redis vs one process.
 * Redis comes from REDIS_URL, or a private redis-server is started for the run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { toB64u, toBase32 } from '../core/crypto/encoding.js';
import { deriveNodeId, generateNodeKeys, type NodeKeyPair } from '../core/crypto/identity.js';
import { signCanonical } from '../core/crypto/signatures.js';
import { silentLogger } from '../core/kernel/logger.js';
import { systemClock } from '../core/kernel/clock.js';
import { startDirectory, type RunningDirectory } from '../core/directory/start.js';
import type { DirectoryOptions } from '../core/directory/options.js';
import type { RegistrationBody } from '../core/directory/protocol.js';
import { discoverPayload } from '../core/directory/signing.js';
import type { DirectoryStore, NodeRecord } from '../core/directory/store/types.js';
import { acquireRedis, type TestRedis } from '../test/helpers/redis.js';
import { spawnDirectory, type DirectoryProcess } from '../test/integration/directory/directory-process.js';
import { startFakeNode, type FakeNode } from '../test/integration/directory/fake-node.js';
import { median, percentile, printTable, verdict, type Row } from './lib/measure.js';

const SIZES = [1_000, 10_000, 100_000];
const ROUNDS = 5;
const REGISTRATIONS = 3000;
const DISCOVERS = 3000;
const CONCURRENCY = 32;
const unlimited = { perSecond: 1e9, burst: 1e9 };
const benchOptions: DirectoryOptions = {
  port: 0,
  host: '127.0.0.1',
  maxClockSkewSeconds: 3600,
  presence: { retentionSeconds: 86400 },
  rateLimits: { perAddress: unlimited, perNode: unlimited, connectionsPerNode: unlimited },
  outbound: { allowLoopback: true },
};

interface Identity {
  id: string;
  keys: NodeKeyPair;
}

const identities: Identity[] = Array.from({ length: 1000 }, () => {
  const keys = generateNodeKeys();
  return { id: deriveNodeId(keys.publicKeys), keys };
});

function fakeRecord(now: number): NodeRecord {
  return {
    node_id: 'or' + toBase32(randomBytes(20)),
    api_url: 'http://127.0.0.1:9',
    keys: { x25519: toB64u(randomBytes(32)), ed25519: toB64u(randomBytes(32)) },
    suites: ['25519_ChaChaPoly_SHA256', '25519_AESGCM_SHA256'],
    capabilities: ['messaging'],
    ts: now,
    last_seen: now,
  };
}

async function prefill(store: DirectoryStore, n: number): Promise<string[]> {
  const ids: string[] = [];
  const now = systemClock.now();
  for (let done = 0; done < n;) {
    const batch = Math.min(20_000, n - done);
    const recs = Array.from({ length: batch }, () => fakeRecord(now));
    await Promise.all(recs.map((r) => store.upsertNode(r)));
    ids.push(...recs.map((r) => r.node_id));
    done += batch;
  }
  return ids;
}

/** Signed registration bodies: each identity registers `rounds` times with increasing ts. */
function registrations(count: number, tsBase: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const who = identities[i % identities.length]!;
    const body: Omit<RegistrationBody, 'sig'> = {
      node_id: who.id,
      api_url: 'http://127.0.0.1:9',
      keys: who.keys.publicKeys,
      suites: ['25519_ChaChaPoly_SHA256'],
      capabilities: ['messaging'],
      ts: tsBase + i,
    };
    return JSON.stringify({ ...body, sig: signCanonical(who.keys.ed25519Private, body) });
  });
}

/** Sends every body with `concurrency` in flight, round-robin over `urls`; returns ops/s. */
async function drive(urls: string[], bodies: string[], concurrency: number, agent: Agent): Promise<number> {
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const res = await request(urls[i % urls.length]!, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: bodies[i]!,
        });
        await res.body.dump();
        if (res.statusCode !== 200) failures++;
      }
    }),
  );
  const elapsed = performance.now() - started;
  if (failures > 0) throw new Error(`${failures} requests failed`);
  return (bodies.length / elapsed) * 1000;
}

async function discoverLatencies(
  dir: RunningDirectory,
  ids: string[],
  agent: Agent,
  count: number,
): Promise<number[]> {
  const me = identities[0]!;
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const query = { id: ids[Math.floor(Math.random() * ids.length)]! };
    const ts = systemClock.now();
    const headers = {
      'openred-node': me.id,
      'openred-ts': String(ts),
      'openred-sig': signCanonical(me.keys.ed25519Private, discoverPayload(query, ts, me.id)),
    };
    const t0 = performance.now();
    const res = await request(`${dir.url}/api/v3/nodes/discover?id=${query.id}`, {
      dispatcher: agent,
      headers,
    });
    await res.body.dump();
    samples.push(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`discover answered ${res.statusCode}`);
  }
  return samples;
}

interface SizedDirectory {
  size: number;
  dir: RunningDirectory;
  dataDir: string;
  prefix: string;
  ids: string[];
  prefillS: number;
  rates: number[];
  latencies: number[];
}

/**
 * All sizes of one store run side by side and are measured in interleaved rounds (1k, 10k, 100k, 1k, ...), so
 * a burst of load from elsewhere on the machine hits every size alike; each figure is the median of the rounds.
 */
async function storeSizes(kind: 'lowdb' | 'redis', redis: TestRedis | null): Promise<Row[]> {
  const sized: SizedDirectory[] = [];
  const agent = new Agent({ connections: CONCURRENCY });
  try {
    for (const size of SIZES) {
      const dataDir = await mkdtemp(join(tmpdir(), 'openred-bench-dir-'));
      const prefix = redis?.prefix() ?? '';
      const dir = await startDirectory(
        { ...benchOptions, dataDir, store: kind, redisUrl: redis?.url, keyPrefix: prefix || undefined },
        { logger: silentLogger() },
      ).catch(async (err: unknown) => {
        await rm(dataDir, { recursive: true, force: true });
        throw err;
      });
      const t0 = performance.now();
      const ids = await prefill(dir.store, size - identities.length);
      const prefillS = (performance.now() - t0) / 1000;
      // Every identity registers once (they are part of the `size` nodes): the measured ones are heartbeats.
      await drive(
        [`${dir.url}/api/v3/nodes/register`],
        registrations(identities.length, systemClock.now()),
        CONCURRENCY,
        agent,
      );
      sized.push({
        size,
        dir,
        dataDir,
        prefix,
        ids: ids.length > 0 ? ids : identities.map((i) => i.id),
        prefillS,
        rates: [],
        latencies: [],
      });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of sized) {
        const bodies = registrations(REGISTRATIONS / ROUNDS, systemClock.now() + 1000 * (round + 1));
        s.rates.push(await drive([`${s.dir.url}/api/v3/nodes/register`], bodies, CONCURRENCY, agent));
        // Collect the registration round's garbage first, so a GC pause it caused is not billed to discover.
        (globalThis as { gc?: () => void }).gc?.();
        s.latencies.push(...(await discoverLatencies(s.dir, s.ids, agent, DISCOVERS / ROUNDS)));
      }
    }
    return sized.map((s) => {
      const writes = (s.dir.store as { writes?: number }).writes;
      return {
        store: kind,
        nodes: s.size,
        'prefill s': s.prefillS,
        'registrations/s': median(s.rates),
        'discover p50 ms': percentile(s.latencies, 50),
        'discover p99 ms': percentile(s.latencies, 99),
        ...(writes === undefined ? {} : { 'file writes': writes }),
      };
    });
  } finally {
    await agent.close();
    for (const s of sized) {
      await s.dir.stop();
      await rm(s.dataDir, { recursive: true, force: true });
      if (redis) await redis.deleteKeys(s.prefix);
    }
    (globalThis as { gc?: () => void }).gc?.();
  }
}

async function connections(): Promise<Row> {
  const dataDir = await mkdtemp(join(tmpdir(), 'openred-bench-dir-'));
  const nodes: FakeNode[] = [];
  const agent = new Agent({ connections: 16 });
  let dir: RunningDirectory | undefined;
  try {
    dir = await startDirectory({ ...benchOptions, dataDir }, { logger: silentLogger() });
    for (let i = 0; i < 16; i++) {
      const n = await startFakeNode({ directoryPublicKey: dir.publicKey });
      const res = await request(`${dir.url}/api/v3/nodes/register`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(n.registration()),
      });
      await res.body.dump();
      nodes.push(n);
    }
    const count = 1500;
    const bodies = Array.from({ length: count }, (_, i) => {
      const a = nodes[i % nodes.length]!;
      const b = nodes[(i * 7 + 1) % nodes.length]!;
      return JSON.stringify(a.connectionRequest(b === a ? nodes[(i + 1) % nodes.length]!.nodeId : b.nodeId));
    });
    const perSec = await drive([`${dir.url}/api/v3/tokens/request-connection`], bodies, 16, agent);
    const received = nodes.reduce((s, n) => s + n.received.length, 0);
    return { 'requests/s': perSec, 'tokens delivered': received, 'tokens expected': 2 * count };
  } finally {
    await agent.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await dir?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function scaleOut(redis: TestRedis): Promise<Row[]> {
  const tmp = await mkdtemp(join(tmpdir(), 'openred-bench-dir-'));
  const prefix = redis.prefix();
  const procs: DirectoryProcess[] = [];
  const agent = new Agent({ connections: 64 });
  try {
    await writeFile(join(tmp, 'options.json'), JSON.stringify(benchOptions));
    const args = (name: string) => [
      ...[
        '--store',
        'redis',
        '--redis-url',
        redis.url,
        '--key-prefix',
        prefix,
        '--key-dir',
        join(tmp, 'key'),
      ],
      ...['--options', join(tmp, 'options.json'), '--data', join(tmp, name)],
    ];
    procs.push(await spawnDirectory(args('a')));
    procs.push(await spawnDirectory(args('b')));
    const [one, two] = procs.map((p) => `${p.url}/api/v3/nodes/register`) as [string, string];
    await drive([one, two], registrations(2000, systemClock.now()), 64, agent); // warm both
    const single = await drive([one], registrations(6000, systemClock.now() + 10_000), 64, agent);
    const double = await drive([one, two], registrations(6000, systemClock.now() + 20_000), 64, agent);
    return [
      { instances: 1, 'registrations/s': single, ratio: 1 },
      { instances: 2, 'registrations/s': double, ratio: double / single },
    ];
  } finally {
    await agent.close();
    await Promise.all(procs.map((p) => p.stop()));
    await redis.deleteKeys(prefix);
    await rm(tmp, { recursive: true, force: true });
  }
}

const redis = await acquireRedis();
// Latency percentiles on a shared machine depend on what else runs: print the load so a reader can judge.
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`cpus ${cpus().length}, load average at start: ${load()}`);
try {
  const started = performance.now();
  const rows = [...(await storeSizes('lowdb', null)), ...(await storeSizes('redis', redis))];
  printTable(
    `Registrations and discover by store size (registrations: ${CONCURRENCY} in flight; discover: sequential, signed)`,
    rows,
  );
  const rate = (store: string, nodes: number) =>
    Number(rows.find((r) => r.store === store && r.nodes === nodes)!['registrations/s']);
  const p99 = (store: string) =>
    Number(rows.find((r) => r.store === store && r.nodes === 100_000)!['discover p99 ms']);
  printTable('Targets', [
    {
      check: 'lowdb registrations/s at 100k vs 1k',
      result: verdict(rate('lowdb', 100_000) / rate('lowdb', 1000), 0.25),
    },
    { check: 'lowdb discover p99 at 100k (ms)', result: verdict(p99('lowdb'), 10, false) },
    { check: 'redis discover p99 at 100k (ms)', result: verdict(p99('redis'), 10, false) },
  ]);
  printTable('request-connection end to end (16 in flight, 16 live fake nodes, lowdb)', [
    await connections(),
  ]);
  printTable(
    'Two directory processes on one Redis vs one (registrations, 64 in flight)',
    await scaleOut(redis),
  );
  console.log(
    `\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s, load average at end: ${load()}`,
  );
} finally {
  await redis.release();
}
