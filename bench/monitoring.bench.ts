/**
 * Monitoring overhead (`npm run bench -- monitoring`): encrypted request/response (the p2p benchmark's
 * workload: 256 B payload, 16 in flight, pooled keep-alive connections) against two node processes that
 * differ only in the monitoring module: on (request metrics, event counters, audit log, and a scrape of
 * /metrics every second) and off. Rounds alternate between the two in the same run; the report gives the
 * medians, the median of paired ratios, and the server CPU per request read from /proc.
 * Node A (the client, hosting the directory) runs in this process; the two servers are child processes.
 */
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveConfig } from '../core/config/load-config.js';
import { createNode } from '../core/kernel/create-node.js';
import { silentLogger } from '../core/kernel/logger.js';
import { closedLoop, median, percentile, printTable, verdict } from './lib/measure.js';
import { cpuMicros, spawnJson } from './lib/processes.js';

const root = resolve(import.meta.dirname, '..');
const FIXTURES = join(root, 'test', 'fixtures', 'plugins');
const PLUGINS = join(root, 'plugins');
const SCRYPT = { N: 1024, r: 8, p: 1, maxmem: 16 * 1024 * 1024 };
const CONCURRENCY = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 3000);
/** How often /metrics is scraped during the "on" rounds (0: never). Prometheus defaults to 60 s. */
const SCRAPE_MS = Number(process.env.BENCH_SCRAPE_MS ?? 1000);
/** Calibration: both servers without monitoring, to see the noise of this machine. */
const SAME = process.env.BENCH_SAME === '1';
const payload = { text: randomBytes(96).toString('base64') };

async function round(send: () => Promise<unknown>, pid: number, during?: () => Promise<unknown>) {
  const cpu0 = cpuMicros(pid);
  let sideTimer: NodeJS.Timeout | undefined;
  if (during && SCRAPE_MS > 0) sideTimer = setInterval(() => void during().catch(() => undefined), SCRAPE_MS);
  const { done, elapsedMs, latencies } = await closedLoop(send, {
    concurrency: CONCURRENCY,
    durationMs: ROUND_MS,
  });
  clearInterval(sideTimer);
  return {
    rps: (done / elapsedMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerReq: (cpuMicros(pid) - cpu0) / done,
  };
}

const dir = await mkdtemp(join(tmpdir(), 'openred-bench-monitoring-'));
const children: ChildProcess[] = [];
try {
  const a = createNode(
    resolveConfig(
      {
        node: { dataDir: join(dir, 'a') },
        server: { p2p: { port: 0 }, api: { port: 0 } },
        directory: { embedded: { host: '127.0.0.1', port: 0, allowLoopback: true } },
        crypto: { isolation: 'inline' },
        plugins: { dirs: [FIXTURES], packages: false, hotReload: false },
        log: { level: 'silent' },
      },
      dir,
      {},
    ),
    { logger: silentLogger(), scrypt: SCRYPT, allowAnonymousOwnerApi: true },
  );
  await a.start();
  const server = async (name: string, monitoring: boolean) => {
    const file = join(dir, `${name}.config.ts`);
    await writeFile(
      file,
      `export default ${JSON.stringify({
        node: { dataDir: join(dir, name) },
        server: { p2p: { port: 0 }, api: { port: 0 } },
        directory: { embedded: false, url: a.config.directory.url, publicKey: a.config.directory.publicKey },
        plugins: { dirs: [FIXTURES, PLUGINS], packages: false, hotReload: false },
        modules: {
          monitoring: { enabled: monitoring },
          authentication: { enabled: false },
          messaging: { enabled: false },
          'file-sharing': { enabled: false },
        },
        log: { level: 'error' },
      })};\n`,
    );
    const s = await spawnJson([join(root, 'core/bin/openred.js'), 'start', '--config', file, '--json'], {
      cwd: root,
    });
    children.push(s.child);
    return {
      id: String(s.info.node_id),
      api: String(s.info.api),
      pid: s.child.pid!,
      dataDir: join(dir, name),
    };
  };
  const on = await server('on', !SAME);
  const off = await server('off', false);
  const token = SAME
    ? ''
    : (await readFile(join(on.dataDir, 'plugins/monitoring/files/metrics-token'), 'utf8')).trim();
  const scrape = async () => {
    const r = await fetch(`${on.api}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 200) throw new Error(`scrape answered ${r.status}`);
    return r.text();
  };

  const sendTo = (id: string) => () => a.peers.request(id, 'POST', '/echo', payload);
  for (const s of [on, off]) {
    await a.peers.connect(s.id);
    for (let i = 0; i < 500; i++) await sendTo(s.id)();
  }

  const results = {
    on: [] as Awaited<ReturnType<typeof round>>[],
    off: [] as Awaited<ReturnType<typeof round>>[],
  };
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first, so drift in machine load does not favour one.
    const order = r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
    const pair: Partial<Record<'on' | 'off', Awaited<ReturnType<typeof round>>>> = {};
    for (const side of order) {
      const s = side === 'on' ? on : off;
      pair[side] = await round(sendTo(s.id), s.pid, side === 'on' && !SAME ? scrape : undefined);
      results[side].push(pair[side]!);
    }
    ratios.push(pair.on!.rps / pair.off!.rps);
    cpuRatios.push(pair.off!.cpuPerReq / pair.on!.cpuPerReq);
  }

  const row = (name: string, list: Array<Awaited<ReturnType<typeof round>>>) => ({
    server: name,
    'req/s (median)': Math.round(median(list.map((x) => x.rps))),
    'p50 ms': median(list.map((x) => x.p50)),
    'p99 ms': median(list.map((x) => x.p99)),
    'server CPU µs/req': median(list.map((x) => x.cpuPerReq)),
  });
  printTable(
    `Encrypted request/response, 256 B, ${CONCURRENCY} in flight, ${ROUNDS} alternating rounds of ${ROUND_MS} ms`,
    [
      row('monitoring off', results.off),
      row(
        SAME
          ? 'monitoring off (second server)'
          : `monitoring on (/metrics scraped every ${SCRAPE_MS / 1000} s)`,
        results.on,
      ),
    ],
  );
  console.log(`\nthroughput on/off (median of paired rounds): ${verdict(median(ratios), 0.9)}`);
  console.log(`CPU per request off/on (median of paired rounds): ${verdict(median(cpuRatios), 0.9)}`);
  console.log(`paired throughput ratios: ${ratios.map((x) => x.toFixed(3)).join(', ')}`);
  const text = SAME ? '' : await scrape();
  const line =
    /openred_http_requests_total\{surface="p2p",route="\/p2p\/echo",method="POST",status="200"\} (\d+)/.exec(
      text,
    );
  console.log(`requests counted by the monitored server: ${line?.[1] ?? 'none'}`);
  await a.stop();
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
