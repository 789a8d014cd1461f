/**
 * Kernel and plugin host benchmark (`npm run bench -- kernel`).
 *
 * 1. Plugin-route throughput vs a bare Koa 3 + @koa/router route with the same JSON answer. Target >= 0.85.
 * 2. Hot reload: file write -> new code served (median, target < 300 ms) over 50 reloads, with a load running
 *    against the plugin the whole time (target: 0 failed requests); heap and RSS growth per reload.
 * 3. Route-table scaling: the last route of the last of 50 plugins x 20 routes vs the same route with only
 *    that plugin loaded. Target >= 0.8. A single @koa/router holding 1,000 routes is shown for comparison.
 * 4. Cold start: spawn `openred start` -> first plugin request served. Target < 1.5 s.
 *
 * Load comes from a separate process (this file run with `--load`): N keep-alive connections on raw sockets,
 * each sending its next request when the previous answer is complete. Every comparison alternates its two
 * sides over several rounds and reports the median, so a neighbour's burst of CPU hits both sides alike.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import http, { type Server } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import Router from '@koa/router';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');

// ---------------------------------------------------------------------------------------------------------
// Load generator (child process): `kernel.bench.ts --load <url> <connections> <maxMs>`. Runs until it reads a
// line on stdin or maxMs passes, then prints {ok, failed, ms}.
// ---------------------------------------------------------------------------------------------------------
if (process.argv[2] === '--load') {
  await runLoad(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
  process.exit(0);
}

async function runLoad(url: string, connections: number, maxMs: number): Promise<void> {
  const u = new URL(url);
  const request = Buffer.from(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
  let ok = 0;
  let failed = 0;
  let stop = false;
  const started = performance.now();
  const deadline = started + maxMs;
  process.stdin.once('data', () => (stop = true));
  const one = (): Promise<void> =>
    new Promise((done) => {
      const socket = net.connect(Number(u.port), u.hostname);
      socket.setNoDelay(true);
      let buf = '';
      socket.on('connect', () => socket.write(request));
      socket.on('data', (chunk) => {
        buf += chunk.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end === -1) return;
          const length = /content-length: *(\d+)/i.exec(buf.slice(0, end));
          const total = end + 4 + (length ? Number(length[1]) : 0);
          if (buf.length < total) return;
          const status = Number(buf.slice(9, 12));
          if (status >= 200 && status < 300) ok++;
          else failed++;
          buf = buf.slice(total);
          if (stop || performance.now() > deadline) return void socket.end();
          socket.write(request);
        }
      });
      socket.on('error', () => {
        failed++;
      });
      socket.on('close', () => done());
    });
  await Promise.all(Array.from({ length: connections }, one));
  process.stdout.write(JSON.stringify({ ok, failed, ms: performance.now() - started }) + '\n');
}

// ---------------------------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------------------------
const { loadConfigFile, resolveConfig } = await import('../core/config/load-config.js');
const { createNode } = await import('../core/kernel/create-node.js');
const { closeServer, listen } = await import('../core/http/server.js');
const { median, percentile, printTable, verdict } = await import('./lib/measure.js');
type OpenRedNode = import('../core/kernel/node.js').OpenRedNode;
type OpenRedUserConfig = import('../core/config/types.js').OpenRedUserConfig;

const CONNECTIONS = 32;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RELOADS = 50;
const COLD_STARTS = 5;
const directoryKey = (generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as { x: string }).x;
const JSON_ANSWER = { ok: true, n: 42 };
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const cleanups: Array<() => Promise<unknown>> = [];
const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** Starts a load-generator process against `url`; `stop()` ends it and returns its counts. */
function startLoad(url: string, connections = CONNECTIONS, maxMs = 120_000) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--load', url, String(connections), String(maxMs)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    async stop(): Promise<{ ok: number; failed: number; ms: number }> {
      child.stdin!.end('stop\n');
      await exited;
      children.delete(child);
      return JSON.parse(out) as { ok: number; failed: number; ms: number };
    },
    async done(): Promise<{ ok: number; failed: number; ms: number }> {
      await exited;
      children.delete(child);
      return JSON.parse(out) as { ok: number; failed: number; ms: number };
    },
  };
}

/** Requests/s for `ms` against `url`, and the CPU time this process (the server) spent per request. */
async function measureRps(url: string, ms: number): Promise<{ rps: number; cpuUsPerReq: number }> {
  const cpu0 = process.cpuUsage();
  const load = startLoad(url, CONNECTIONS, ms);
  const r = await load.done();
  const cpu = process.cpuUsage(cpu0);
  if (r.failed > 0) throw new Error(`${r.failed} failed requests against ${url}`);
  return { rps: (r.ok / r.ms) * 1000, cpuUsPerReq: (cpu.user + cpu.system) / r.ok };
}

/** Alternates A and B for ROUNDS rounds (after a warm-up of each); medians and the median of paired ratios. */
async function compare(a: string, b: string) {
  await measureRps(a, 1000);
  await measureRps(b, 1000);
  const ra: Array<{ rps: number; cpuUsPerReq: number }> = [];
  const rb: Array<{ rps: number; cpuUsPerReq: number }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    ra.push(await measureRps(a, ROUND_MS));
    rb.push(await measureRps(b, ROUND_MS));
  }
  return {
    a: { rps: median(ra.map((r) => r.rps)), cpu: median(ra.map((r) => r.cpuUsPerReq)) },
    b: { rps: median(rb.map((r) => r.rps)), cpu: median(rb.map((r) => r.cpuUsPerReq)) },
    ratio: median(ra.map((r, i) => r.rps / rb[i]!.rps)),
    cpuRatio: median(rb.map((r, i) => r.cpuUsPerReq / ra[i]!.cpuUsPerReq)),
  };
}

async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openred-bench-'));
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await mkdir(join(dir, 'plugins'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writePlugin(dir: string, name: string, source: string): Promise<void> {
  const pdir = join(dir, 'plugins', name);
  await mkdir(pdir, { recursive: true });
  await writeFile(
    join(pdir, 'package.json'),
    JSON.stringify({ name: `bench-${name}`, version: '1.0.0', openred: { name, entry: './index.ts' } }),
  );
  await writeAtomic(join(pdir, 'index.ts'), source);
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, file);
}

function baseConfig(dir: string, extra: OpenRedUserConfig = {}): OpenRedUserConfig {
  return {
    node: { dataDir: join(dir, 'data') },
    server: { p2p: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 } },
    directory: { embedded: false, publicKey: directoryKey },
    crypto: { isolation: 'inline' },
    plugins: { dirs: [join(dir, 'plugins')], packages: false, hotReload: false },
    log: { level: 'silent' },
    ...extra,
  };
}

async function startInProcess(
  dir: string,
  config: OpenRedUserConfig,
  fromFile = false,
): Promise<OpenRedNode> {
  let loaded;
  if (fromFile) {
    await writeFile(join(dir, 'openred.config.ts'), `export default ${JSON.stringify(config)};\n`);
    loaded = await loadConfigFile(join(dir, 'openred.config.ts'), {});
  } else {
    loaded = resolveConfig(config, dir, {});
  }
  const node = createNode(loaded, {
    // The bench's routes are owner routes; login is measured by the authentication tests, not here.
    allowAnonymousOwnerApi: true,
    passphrase: 'openred-bench-passphrase',
    scrypt: { N: 2 ** 10, r: 8, p: 1, maxmem: 32 * 1024 * 1024 },
  });
  await node.start();
  cleanups.push(() => node.stop());
  return node;
}

async function bareKoa(routes: Array<[string, unknown]>): Promise<string> {
  const app = new Koa();
  const router = new Router({ prefix: '/api' });
  for (const [path, body] of routes) router.get(path, (ctx) => void (ctx.body = body));
  app.use(router.routes());
  const server: Server = http.createServer(app.callback());
  const { port } = await listen(server, 0, '127.0.0.1');
  cleanups.push(() => closeServer(server, 100));
  return `http://127.0.0.1:${port}`;
}

const plugin = (name: string, body: string) => `import { definePlugin } from '@openred/plugin-sdk';
export default definePlugin({ name: ${JSON.stringify(name)}, version: '1.0.0', setup(ctx) {
${body}
} });
`;

// 1. Throughput --------------------------------------------------------------------------------------------
async function throughput(): Promise<void> {
  const dir = await workspace();
  await writePlugin(
    dir,
    'bench',
    plugin('bench', `ctx.api.get('/bench', () => (${JSON.stringify(JSON_ANSWER)}));`),
  );
  const node = await startInProcess(dir, baseConfig(dir));
  const bare = await bareKoa([['/bench', JSON_ANSWER]]);
  const r = await compare(`${node.urls.api}/api/bench`, `${bare}/api/bench`);
  printTable('Plugin route vs bare Koa 3 + @koa/router (same JSON answer)', [
    { server: 'bare Koa + @koa/router', 'req/s': Math.round(r.b.rps), 'server CPU µs/req': r.b.cpu },
    { server: 'OpenRed plugin route (/api)', 'req/s': Math.round(r.a.rps), 'server CPU µs/req': r.a.cpu },
  ]);
  console.log(`\nthroughput ratio: ${verdict(r.ratio, 0.85)}`);
  console.log(`CPU-per-request ratio (bare / plugin): ${r.cpuRatio.toFixed(2)}`);
}

// 2. Hot reload --------------------------------------------------------------------------------------------
async function hotReload(): Promise<void> {
  const dir = await workspace();
  const source = (v: number) =>
    plugin(
      'hot',
      `ctx.api.get('/hot', () => ({ v: ${v} }));
for (let i = 0; i < 10; i++) ctx.api.post('/hot/r' + i, { body: { type: 'object', properties: { a: { type: 'string', maxLength: 10 }, b: { type: 'integer' } } } }, () => ({}));`,
    );
  await writePlugin(dir, 'hot', source(0));
  const node = await startInProcess(
    dir,
    baseConfig(dir, { plugins: { dirs: [join(dir, 'plugins')], packages: false, hotReload: true } }),
    true,
  );
  const url = `${node.urls.api}/api/hot`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const current = (): Promise<number> =>
    new Promise((resolvePromise, reject) => {
      http
        .get(url, { agent }, (res) => {
          let text = '';
          res.on('data', (d) => (text += String(d)));
          res.on('end', () => resolvePromise((JSON.parse(text) as { v: number }).v));
        })
        .on('error', reject);
    });
  const file = join(dir, 'plugins', 'hot', 'index.ts');
  const reloadOnce = async (v: number): Promise<number> => {
    const t0 = performance.now();
    await writeAtomic(file, source(v));
    for (let i = 0; i < 2000; i++) {
      if ((await current()) === v) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`version ${v} never served`);
  };
  // Warm up (first transpile), then measure under load.
  await reloadOnce(1);
  gc();
  const mem0 = process.memoryUsage();
  const load = startLoad(url, 8);
  const latencies: number[] = [];
  for (let v = 2; v < 2 + RELOADS; v++) latencies.push(await reloadOnce(v));
  const counts = await load.stop();
  await new Promise((r) => setTimeout(r, 200)); // let the last old version drain and be torn down
  gc();
  const mem1 = process.memoryUsage();
  // Without load, many more edits (new source each time) reloaded straight through the host, measured after
  // 100 of them: the first ones still grow the heap with optimised code of the transpiler (JIT warm-up).
  const WARM = 100;
  const MORE = 200;
  const edit = async (v: number): Promise<void> => {
    await writeAtomic(file, source(v));
    await node.host.reload('hot');
  };
  for (let v = 1000; v < 1000 + WARM; v++) await edit(v);
  gc();
  const mem2 = process.memoryUsage();
  for (let v = 2000; v < 2000 + MORE; v++) await edit(v);
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const mem3 = process.memoryUsage();
  agent.destroy();
  const kb = (n: number) => Math.round(n / 102.4) / 10;
  printTable(`Hot reload (${RELOADS} file edits under load, 8 connections)`, [
    {
      'write -> served median ms': median(latencies),
      'p95 ms': percentile(latencies, 95),
      'max ms': Math.max(...latencies),
      'requests served': counts.ok,
      'failed requests': counts.failed,
    },
  ]);
  printTable('Memory per reload (after gc)', [
    {
      run: `${RELOADS} file edits under load`,
      'heap KB/reload': kb((mem1.heapUsed - mem0.heapUsed) / RELOADS),
      'RSS KB/reload': kb((mem1.rss - mem0.rss) / RELOADS),
    },
    {
      run: `${MORE} edits + reloads after ${WARM}, no load`,
      'heap KB/reload': kb((mem3.heapUsed - mem2.heapUsed) / MORE),
      'RSS KB/reload': kb((mem3.rss - mem2.rss) / MORE),
    },
  ]);
  console.log(`\nreload median: ${verdict(median(latencies), 300, false)} ms`);
  console.log(
    `failed requests during reloads: ${counts.failed} (target 0: ${counts.failed === 0 ? 'ok' : 'MISSED'})`,
  );
}

// 3. Route-table scaling -----------------------------------------------------------------------------------
async function scaling(): Promise<void> {
  const routesOf = (p: number) =>
    Array.from({ length: 20 }, (_, r) => `ctx.api.get('/p${p}/r${r}', () => ({ p: ${p}, r: ${r} }));`).join(
      '\n',
    );
  const many = await workspace();
  for (let p = 0; p < 50; p++) await writePlugin(many, `p${p}`, plugin(`p${p}`, routesOf(p)));
  const one = await workspace();
  await writePlugin(one, 'p49', plugin('p49', routesOf(49)));
  const manyNode = await startInProcess(many, baseConfig(many));
  const oneNode = await startInProcess(one, baseConfig(one));
  const r = await compare(`${manyNode.urls.api}/api/p49/r19`, `${oneNode.urls.api}/api/p49/r19`);
  // For comparison: one @koa/router holding every route.
  const all = Array.from(
    { length: 1000 },
    (_, i) => [`/p${Math.floor(i / 20)}/r${i % 20}`, { i }] as [string, unknown],
  );
  const bare1000 = await bareKoa(all);
  const bare20 = await bareKoa(all.slice(980));
  const k = await compare(`${bare1000}/api/p49/r19`, `${bare20}/api/p49/r19`);
  printTable('Route-table scaling: last route of the last plugin', [
    { setup: '1 plugin x 20 routes', 'req/s': Math.round(r.b.rps), 'server CPU µs/req': r.b.cpu },
    { setup: '50 plugins x 20 routes', 'req/s': Math.round(r.a.rps), 'server CPU µs/req': r.a.cpu },
    { setup: 'bare: one @koa/router, 20 routes', 'req/s': Math.round(k.b.rps), 'server CPU µs/req': k.b.cpu },
    {
      setup: 'bare: one @koa/router, 1,000 routes',
      'req/s': Math.round(k.a.rps),
      'server CPU µs/req': k.a.cpu,
    },
  ]);
  console.log(`\n50x20 vs 1 plugin: ${verdict(r.ratio, 0.8)}`);
  console.log(`(one router, 1,000 vs 20 routes: ${k.ratio.toFixed(2)})`);
}

// 4. Cold start --------------------------------------------------------------------------------------------
async function coldStart(): Promise<void> {
  const dir = await workspace();
  await writePlugin(dir, 'hello', plugin('hello', `ctx.api.get('/hello', () => ({ hello: true }));`));
  const rows = [];
  for (const isolation of ['process', 'inline'] as const) {
    const file = join(dir, `${isolation}.config.ts`);
    await writeFile(
      file,
      `import { defineConfig } from '@openred/core/config';
export default defineConfig(${JSON.stringify({
        ...baseConfig(dir, { plugins: { dirs: [join(dir, 'plugins')], packages: false, hotReload: true } }),
        node: { dataDir: join(dir, `data-${isolation}`) },
        crypto: { isolation },
        log: { level: 'error' },
      })});
`,
    );
    const ready: number[] = [];
    const served: number[] = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      const r = await startOnce(file);
      ready.push(r.ready);
      served.push(r.served);
    }
    rows.push({
      'crypto isolation': isolation,
      'spawn -> listening (median ms)': Math.round(median(ready)),
      'spawn -> first request served (median ms)': Math.round(median(served)),
      'min ms': Math.round(Math.min(...served)),
      'max ms': Math.round(Math.max(...served)),
    });
  }
  printTable(`Cold start: openred start (${COLD_STARTS} runs each)`, rows);
  console.log(
    `\ncold start (default isolation): ${verdict(rows[0]!['spawn -> first request served (median ms)'] / 1000, 1.5, false)} s`,
  );
}

async function startOnce(configFile: string): Promise<{ ready: number; served: number }> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'core', 'bin', 'openred.js'), 'start', '--config', configFile, '--json'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        OPENRED_PASSPHRASE: 'openred-bench-passphrase',
        OPENRED_ALLOW_ANONYMOUS_OWNER_API: '1',
      },
    },
  );
  children.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    let info: { api: string } | undefined;
    while (!info) {
      if (performance.now() - t0 > 30_000) throw new Error('openred start did not print its URLs');
      try {
        info = JSON.parse(out) as { api: string };
      } catch {
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    const ready = performance.now() - t0;
    const res = await fetch(`${info.api}/api/hello`);
    await res.text();
    if (res.status !== 200) throw new Error(`first request answered ${res.status}`);
    return { ready, served: performance.now() - t0 };
  } finally {
    child.kill('SIGTERM');
    await exited;
    children.delete(child);
  }
}

const only = process.env.BENCH_ONLY?.split(',');
try {
  for (const [name, fn] of [
    ['throughput', throughput],
    ['reload', hotReload],
    ['scaling', scaling],
    ['cold', coldStart],
  ] as const) {
    if (only && !only.includes(name)) continue;
    await fn();
    while (cleanups.length > 0) await cleanups.pop()!();
  }
} finally {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
}
console.log('\nreproduce: npm run bench -- kernel');
