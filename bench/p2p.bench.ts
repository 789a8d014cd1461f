/**
 * Node-to-node benchmark (`npm run bench -- p2p`):
 *  1. encrypted request/response between two node processes (256 B payload, keep-alive pool) vs a bare Koa
 *     POST route carrying the same payload in plain JSON, same client concurrency and connection count, once
 *     per built-in cipher method (the epoch's method decides which one a session uses);
 *  2. first contact (discover + request-connection + token push + handshake): p50/p99 and sessions/s;
 *  3. memory per established session.
 * The client nodes run in this process; node B and the baseline server are child processes.
 */
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { resolveConfig } from '../core/config/load-config.js';
import { chachaImplementation } from '../core/crypto/ciphers/chacha20-poly1305.js';
import { createNode } from '../core/kernel/create-node.js';
import { silentLogger } from '../core/kernel/logger.js';
import { closedLoop, percentile, printTable, verdict } from './lib/measure.js';
import { cpuMicros, spawnJson, stopChildren } from './lib/processes.js';

const root = resolve(import.meta.dirname, '..');
const FIXTURES = join(root, 'test', 'fixtures', 'plugins');
const SCRYPT = { N: 1024, r: 8, p: 1, maxmem: 16 * 1024 * 1024 };
const CONCURRENCY = 16;
/**
 * Measured rounds per comparison (odd: the median is one of them), each this long. Many short rounds rather
 * than a few long ones: on a shared two-core machine the other load drifts over seconds, and the median of
 * nine adjacent comparisons is steadier than that of five.
 */
const DURATION_MS = 1500;
const ROUNDS = 9;
const MEDIAN = (ROUNDS - 1) / 2;
const payload = { text: randomBytes(96).toString('base64') }; // ~256 B of JSON with the wrapper

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU µs per request (from /proc), and this process's (the client's) CPU µs per request. */
  serverUs: number;
  clientUs: number;
}

async function load(send: () => Promise<unknown>, serverPid: number): Promise<LoadResult> {
  for (let i = 0; i < 200; i++) await send(); // warm-up
  const cpu0 = cpuMicros(serverPid);
  const client0 = process.cpuUsage();
  const { done, elapsedMs, latencies } = await closedLoop(send, {
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS,
  });
  const client = process.cpuUsage(client0);
  return {
    rps: (done / elapsedMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    serverUs: (cpuMicros(serverPid) - cpu0) / done,
    clientUs: (client.user + client.system) / done,
  };
}

const row = (route: string, r: LoadResult) => ({
  route,
  'req/s': r.rps,
  'p50 ms': r.p50,
  'p99 ms': r.p99,
  'server CPU µs/req': r.serverUs,
  'client CPU µs/req': r.clientUs,
});

const dir = await mkdtemp(join(tmpdir(), 'openred-bench-p2p-'));
const children: ChildProcess[] = [];
// If the benchmark dies (Ctrl-C, an exception), take the child nodes with it.
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
try {
  // The clients (this process): node A hosts the directory and speaks ChaCha20-Poly1305 only, node A2 joins it
  // and speaks AES-256-GCM only, so each session uses one built-in method whatever the epoch. Node B (a child
  // process, default configuration) serves both.
  const clientConfig = (name: string, method: string, directory: Record<string, unknown>) =>
    resolveConfig(
      {
        node: { dataDir: join(dir, name) },
        server: { p2p: { port: 0 }, api: { port: 0 } },
        directory,
        crypto: { isolation: 'inline', methods: [method] },
        plugins: { dirs: [FIXTURES], packages: false, hotReload: false },
        log: { level: 'silent' },
      },
      dir,
      {},
    );
  const a = createNode(
    clientConfig('a', 'chacha20-poly1305', {
      embedded: {
        host: '127.0.0.1',
        port: 0,
        allowLoopback: true,
        // The first-contact loop asks for many grants in a row; the default limit is for real communities.
        rateLimits: {
          connectionsPerNode: { perSecond: 1000, burst: 1000 },
          perNode: { perSecond: 1000, burst: 1000 },
          perAddress: { perSecond: 1000, burst: 1000 },
        },
      },
    }),
    { logger: silentLogger(), scrypt: SCRYPT },
  );
  await a.start();
  const a2 = createNode(
    clientConfig('a2', 'aes-256-gcm', {
      embedded: false,
      url: a.config.directory.url,
      publicKey: a.config.directory.publicKey,
    }),
    { logger: silentLogger(), scrypt: SCRYPT },
  );
  await a2.start();
  const bConfigFile = join(dir, 'b.config.ts');
  await writeFile(
    bConfigFile,
    `export default ${JSON.stringify({
      node: { dataDir: join(dir, 'b') },
      server: {
        p2p: { port: 0 },
        api: { port: 0 },
        limits: { unauthenticatedPerSecond: 1000, unauthenticatedBurst: 1000 },
      },
      directory: { embedded: false, url: a.config.directory.url, publicKey: a.config.directory.publicKey },
      plugins: { dirs: [FIXTURES], packages: false, hotReload: false },
      log: { level: 'error' },
    })};\n`,
  );
  const b = await spawnJson([join(root, 'core/bin/openred.js'), 'start', '--config', bConfigFile, '--json'], {
    cwd: root,
    env: { OPENRED_ALLOW_ANONYMOUS_OWNER_API: '1' },
  });
  children.push(b.child);
  const bId = String(b.info.node_id);
  const bare = await spawnJson(['--import', 'tsx', join(root, 'bench/fixtures/bare-koa-server.ts')], {
    cwd: root,
  });
  children.push(bare.child);

  // 1. Encrypted requests vs the bare route, for each built-in method.
  await a.peers.connect(bId);
  await a2.peers.connect(bId);
  const methods = [
    { name: `ChaCha20-Poly1305 (${chachaImplementation})`, node: a },
    { name: 'AES-256-GCM (node:crypto)', node: a2 },
  ];
  const barePool = new Pool(`http://127.0.0.1:${bare.info.port}`, { connections: 8, pipelining: 1 });
  const body = JSON.stringify(payload);
  const bareSend = async (): Promise<void> => {
    const r = await barePool.request({
      method: 'POST',
      path: '/echo',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await r.body.json();
  };
  const sealedSend = (node: typeof a) => (): Promise<unknown> =>
    node.peers.request(bId, 'POST', '/echo/body', payload);
  // The same pipeline without the session layer (owner route, plain JSON, anonymous owner allowed for B).
  const plainPool = new Pool(String(b.info.api), { connections: 8, pipelining: 1 });
  const plainSend = async (): Promise<void> => {
    const r = await plainPool.request({
      method: 'POST',
      path: '/api/echo/plain',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await r.body.json();
  };
  // Warm-up under the same concurrency first, so that no measured round includes the JIT compiling the paths
  // (on two cores its threads compete with the load: the first round used to run ~10 % below the others).
  for (const send of [bareSend, plainSend, ...methods.map((m) => sealedSend(m.node))]) {
    await closedLoop(send, { concurrency: CONCURRENCY, durationMs: 1500 });
  }
  // Rounds of bare, then each method, the order reversed every other round: the machine's other load affects
  // all sides alike; per method, the median of the rounds' ratios is reported.
  type Run = Awaited<ReturnType<typeof load>>;
  const runs: Array<{ bare: Run; sealed: Run[] }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = [-1, ...methods.keys()];
    if (round % 2 === 1) order.reverse();
    const result: { bare?: Run; sealed: Run[] } = { sealed: [] };
    for (const i of order) {
      if (i < 0) result.bare = await load(bareSend, bare.child.pid!);
      else result.sealed[i] = await load(sealedSend(methods[i]!.node), b.child.pid!);
    }
    runs.push(result as { bare: Run; sealed: Run[] });
  }
  const plainRun = await load(plainSend, b.child.pid!);
  await plainPool.close();
  await barePool.close();
  const medians = methods.map((_, i) => {
    const ratios = runs.map((r) => r.sealed[i]!.rps / r.bare.rps).sort((p, q) => p - q);
    const mid = runs.find((r) => r.sealed[i]!.rps / r.bare.rps === ratios[MEDIAN])!;
    return { ratios, bare: mid.bare, sealed: mid.sealed[i]! };
  });
  printTable(`Encrypted request/response, 256 B payload, ${CONCURRENCY} concurrent, 8 connections`, [
    row('bare Koa + @koa/router (plain JSON)', medians[0]!.bare),
    row('OpenRed owner route, same node, no session (plain JSON)', plainRun),
    ...methods.map((m, i) => row(`OpenRed session, ${m.name}`, medians[i]!.sealed)),
  ]);
  for (const [i, m] of methods.entries()) {
    const { ratios } = medians[i]!;
    // The same comparison in server CPU per request (bare / sealed): what requests per second would be if the
    // server had its core to itself. Other load on the machine moves it far less than requests per second.
    const cpu = runs.map((r) => r.bare.serverUs / r.sealed[i]!.serverUs).sort((p, q) => p - q);
    console.log(
      `ratio encrypted/bare, ${m.name} (median of ${ROUNDS} rounds; all: ${ratios.map((r) => r.toFixed(2)).join(', ')}): ${verdict(ratios[MEDIAN]!, 0.6)}`,
    );
    console.log(
      `  by server CPU per request: ${cpu[MEDIAN]!.toFixed(2)} (rounds ${cpu[0]!.toFixed(2)}-${cpu.at(-1)!.toFixed(2)})`,
    );
  }

  // 2. First contact, sequential: drop the session each time so every connect is a full first contact.
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < 60; i++) {
    const s = a.sessions!.current(bId);
    if (s) a.sessions!.drop(s);
    const t = performance.now();
    await a.peers.connect(bId);
    lat.push(performance.now() - t);
  }
  const perSec = (lat.length / (performance.now() - t0)) * 1000;
  printTable('First contact (discover + request-connection + token push + Noise handshake)', [
    { 'p50 ms': percentile(lat, 50), 'p99 ms': percentile(lat, 99), 'new sessions/s (sequential)': perSec },
  ]);

  // 3. Memory per established session: session-table entries with their transport state.
  const keys = () => ({
    grant: { grant_id: randomBytes(16).toString('base64url') } as never,
    role: 'responder' as const,
    peerId: 'or' + 'a'.repeat(32),
    methods: ['aes-256-gcm', 'chacha20-poly1305'],
    handshakeHash: randomBytes(32),
    sendKey: randomBytes(32),
    receiveKey: randomBytes(32),
  });
  const N = 5000;
  globalThis.gc?.();
  const before = process.memoryUsage();
  for (let i = 0; i < N; i++) a.sessions!.add(keys());
  globalThis.gc?.();
  const after = process.memoryUsage();
  printTable('Memory per established session', [
    {
      sessions: N,
      'heap bytes/session': Math.round((after.heapUsed - before.heapUsed) / N),
      'total bytes/session (heap + external)': Math.round(
        (after.heapUsed +
          after.external +
          after.arrayBuffers -
          before.heapUsed -
          before.external -
          before.arrayBuffers) /
          N,
      ),
    },
  ]);
  await a2.stop();
  await a.stop();
} finally {
  // Stop the child processes gracefully, and make sure none outlives the benchmark.
  await stopChildren(children);
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
