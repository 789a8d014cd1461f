/**
 * Messaging and file-sharing benchmark (`npm run bench -- modules`). Two node processes (A sends/shares,
 * B receives/downloads) joined through a directory run by this process; every figure is end to end through the
 * owner API, the session layer and both plugins, with storage on the same disk as the baseline.
 *
 *  1. messages/s A -> B (256 B bodies, 32 owner-API clients): accepted into A's outbox, delivered, stored in
 *     B's inbox, acknowledged, recorded; then the same with 100,000 messages already in B's inbox.
 *  2. file transfer MB/s for 256 MiB and 1 GiB (B downloads a link of A: chunked, sealed, verified, written,
 *     fsynced) against a plain HTTP stream of the same file between two processes on loopback, written to the
 *     same disk and fsynced; peak RSS of both nodes during the 1 GiB transfer.
 *
 * `BENCH_SIZES=256` (MiB, comma-separated), `BENCH_ROUNDS=1` and `BENCH_MESSAGES=1000` shorten a run;
 * `BENCH_FILE_SHARING='{"chunkBytes":524288}'` sets file-sharing options of both nodes; `BENCH_PARTS=files` (or
 * `messages`) runs one part; `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` passes flags to both nodes.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { startDirectory } from '../core/directory/start.js';
import { silentLogger } from '../core/kernel/logger.js';
import { PluginStorageRoot } from '../core/storage/plugin-storage.js';
import { configSchema } from '../plugins/messaging/config.js';
import { Inbox } from '../plugins/messaging/inbox.js';
import { median, printTable, verdict } from './lib/measure.js';

const MiB = 1024 * 1024;

// Baseline roles: this file run as a child process.
if (process.argv[2] === '--plain-server') {
  const file = process.argv[3]!;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    createReadStream(file, { highWaterMark: 512 * 1024 }).pipe(res);
  }).listen(0, '127.0.0.1', () => {
    console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else if (process.argv[2] === '--plain-client') {
  const [port, out] = [Number(process.argv[3]), process.argv[4]!];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const res = await new Promise<import('node:http').IncomingMessage>((ok, fail) =>
    httpRequest({ host: '127.0.0.1', port, path: '/' }, ok).on('error', fail).end(),
  );
  await pipeline(res, createWriteStream(out, { highWaterMark: 512 * 1024 }));
  const fh = await open(out, 'r+');
  await fh.sync();
  await fh.close();
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, cpu_ms: (c.user + c.system) / 1000 }));
  process.exit(0);
} else {
  await main();
}

async function main(): Promise<void> {
  const root = resolve(import.meta.dirname, '..');
  const sizes = (process.env.BENCH_SIZES ?? '256,1024').split(',').map(Number);
  const messageCount = Number(process.env.BENCH_MESSAGES ?? 4000);
  const parts = (process.env.BENCH_PARTS ?? 'messages,files').split(',');
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const dir = await mkdtemp(join(tmpdir(), 'openred-bench-modules-'));
  const children = new Set<ChildProcess>();
  const directory = await startDirectory(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir: join(dir, 'directory'),
      outbound: { allowLoopback: true },
    },
    { logger: silentLogger() },
  );
  const env = {
    OPENRED_ALLOW_ANONYMOUS_OWNER_API: '1',
    OPENRED_DIRECTORY_URL: directory.url,
    OPENRED_DIRECTORY_KEY: directory.publicKey,
  };

  const spawnJson = (args: string[]) =>
    new Promise<{ child: ChildProcess; info: Record<string, unknown> }>((ok, fail) => {
      const child = spawn(process.execPath, args, {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.trim().startsWith('{'));
        if (line) {
          try {
            ok({ child, info: JSON.parse(line) });
          } catch {
            /* not complete yet */
          }
        }
      });
      child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited ${code}`)));
    });
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };

  const configFile = async (name: string) => {
    const file = join(dir, `${name}.config.ts`);
    await writeFile(
      file,
      `export default ${JSON.stringify({
        node: { name, dataDir: join(dir, name) },
        server: { p2p: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 } },
        directory: { embedded: false },
        crypto: { isolation: 'inline' },
        plugins: { dirs: [join(root, 'plugins')], packages: false, hotReload: false },
        modules: {
          authentication: { enabled: false },
          monitoring: { enabled: false },
          console: { enabled: false },
          'file-sharing': JSON.parse(process.env.BENCH_FILE_SHARING ?? '{}') as Record<string, unknown>,
        },
        log: { level: 'error' },
      })};\n`,
    );
    return file;
  };
  const startNode = async (name: string) => {
    const n = await spawnJson([
      ...nodeArgs,
      join(root, 'core/bin/openred.js'),
      'start',
      '--config',
      await configFile(name),
      '--json',
    ]);
    return { child: n.child, id: String(n.info.node_id), api: String(n.info.api) };
  };

  try {
    let a = await startNode('a');
    let b = await startNode('b');
    const call = async <T>(base: string, method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(base + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as T;
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };

    // ---- 1. messages ----
    if (parts.includes('messages')) await messages();
    if (parts.includes('files')) await files();

    async function messages(): Promise<void> {
      const body = randomBytes(192).toString('base64'); // 256 characters
      const sendMessages = async (count: number): Promise<number> => {
        const pool = new Pool(a.api, { connections: 32 });
        const payload = JSON.stringify({ to: b.id, body });
        let next = 0;
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: 32 }, async () => {
            while (next++ < count) {
              const r = await pool.request({
                method: 'POST',
                path: '/api/messages',
                headers: { 'content-type': 'application/json' },
                body: payload,
              });
              await r.body.text();
              if (r.statusCode !== 201) throw new Error(`send answered ${r.statusCode}`);
            }
          }),
        );
        for (;;) {
          const q = await call<{ messages: unknown[] }>(a.api, 'GET', '/api/outbox?state=queued&limit=1');
          if (q.messages.length === 0) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        const ms = performance.now() - t0;
        await pool.close();
        return (count / ms) * 1000;
      };
      const runs = async () => {
        const before = (await call<{ total: number }>(b.api, 'GET', '/api/messages/stats')).total;
        const rates = [await sendMessages(messageCount), await sendMessages(messageCount)];
        return { before, rates, mean: (rates[0]! + rates[1]!) / 2 };
      };
      await sendMessages(1000); // warm-up: session, JIT
      const empty = await runs();

      // B's inbox gets 100,000 more messages from A (written with the plugin's own code while B is stopped).
      await stop(b.child);
      const storage = new PluginStorageRoot(join(dir, 'b'));
      const inbox = await Inbox.open(storage.forPlugin('messaging'), {
        shardSize: configSchema.properties.shardSize.default, // the index exists already and keeps its own
        maxInbox: () => 1e7,
      });
      const t0 = Date.now() - 86_400_000;
      for (let batch = 0; batch < 100; batch++) {
        await Promise.all(
          Array.from({ length: 1000 }, (_, i) => {
            const seq = batch * 1000 + i + 1;
            return inbox.receive(
              a.id,
              {
                id: `preload-${seq}-xxxxxxxx`,
                stream: 'preload-stream',
                seq,
                body,
                sent_at: t0,
                content_type: 'text/plain',
              },
              t0 + seq,
            );
          }),
        );
      }
      await storage.flush();
      b = await startNode('b');
      await sendMessages(300); // the new session
      const full = await runs();
      const row = (r: typeof empty) => ({
        'inbox before': `${r.before} messages`,
        'messages/s, 2 runs': r.rates.map((x) => x.toFixed(0)).join(', '),
        'messages/s (mean)': r.mean,
      });
      printTable(
        `Messages A -> B, 256 B bodies, ${messageCount} per run, 32 owner-API clients (accepted -> delivered -> stored -> acknowledged -> recorded)`,
        [row(empty), row(full)],
      );
      console.log(`\nratio with 100k in the inbox / without: ${verdict(full.mean / empty.mean, 0.5)}`);
    }

    // ---- 2. files ----
    async function files(): Promise<void> {
      // Fresh nodes: what the messages left in memory does not count against the transfer.
      await Promise.all([stop(a.child), stop(b.child)]);
      a = await startNode('fa');
      b = await startNode('fb');
      const idle = { a: rss(a.child.pid!), b: rss(b.child.pid!) };
      const shareDir = join(dir, 'fa', 'share');
      const outDir = join(dir, 'out');
      await mkdir(outDir, { recursive: true });
      const rows: Array<Record<string, string | number>> = [];
      const ratios: string[] = [];
      for (const sizeMiB of sizes) {
        const name = `file-${sizeMiB}.bin`;
        const src = join(shareDir, name);
        const fh = await open(src, 'w');
        for (let i = 0; i < sizeMiB; i++) await fh.write(randomBytes(MiB));
        await fh.close();

        const plain = async (): Promise<{ ms: number; cpuMs: number }> => {
          const server = await spawnJson([
            '--import',
            'tsx',
            join(root, 'bench/modules.bench.ts'),
            '--plain-server',
            src,
          ]);
          const out = join(outDir, `plain-${name}`);
          const serverCpu = cpuMs(server.child.pid!);
          const client = await spawnJson([
            '--import',
            'tsx',
            join(root, 'bench/modules.bench.ts'),
            '--plain-client',
            String(server.info.port),
            out,
          ]);
          const cpu = cpuMs(server.child.pid!) - serverCpu + Number(client.info.cpu_ms);
          await stop(server.child);
          await rm(out, { force: true });
          return { ms: Number(client.info.ms), cpuMs: cpu };
        };
        const ours = async (): Promise<{
          ms: number;
          cpuA: number;
          cpuB: number;
          mainB: number;
          rssA: number;
          rssB: number;
        }> => {
          const share = await call<{ link: string }>(a.api, 'POST', '/api/files/share', {
            path: name,
            to: b.id,
          });
          const target = join(outDir, `openred-${name}`);
          const exact = resetPeak(a.child.pid!) && resetPeak(b.child.pid!);
          const peak = { a: 0, b: 0 };
          const sampler = setInterval(() => {
            peak.a = Math.max(peak.a, rss(a.child.pid!));
            peak.b = Math.max(peak.b, rss(b.child.pid!));
          }, 50);
          const cpu0 = { a: cpuMs(a.child.pid!), b: cpuMs(b.child.pid!), mainB: mainCpuMs(b.child.pid!) };
          const t = performance.now();
          let d = await call<{ id: string; state: string }>(b.api, 'POST', '/api/files/download', {
            link: share.link,
            path: target,
          });
          while (d.state === 'running') {
            await new Promise((r) => setTimeout(r, 25));
            d = await call(b.api, 'GET', `/api/files/downloads/${d.id}`);
          }
          const ms = performance.now() - t;
          const cpu = {
            a: cpuMs(a.child.pid!) - cpu0.a,
            b: cpuMs(b.child.pid!) - cpu0.b,
            mainB: mainCpuMs(b.child.pid!) - cpu0.mainB,
          };
          clearInterval(sampler);
          if (d.state !== 'done') throw new Error(`download ended ${JSON.stringify(d)}`);
          await rm(target, { force: true });
          await call(a.api, 'DELETE', `/api/files/${share.link.split('/').pop()}`);
          return {
            ms,
            cpuA: cpu.a,
            cpuB: cpu.b,
            mainB: cpu.mainB,
            rssA: Math.max(peak.a, exact ? hwm(a.child.pid!) : 0),
            rssB: Math.max(peak.b, exact ? hwm(b.child.pid!) : 0),
          };
        };

        const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
        const plainMs: number[] = [];
        const oursMs: number[] = [];
        const plainCpu: number[] = [];
        const cpuA: number[] = [];
        const cpuB: number[] = [];
        const mainB: number[] = [];
        let rssA = 0;
        let rssB = 0;
        for (let r = 0; r < rounds; r++) {
          // Alternate which side goes first: other load on the machine hits both alike.
          let p: Awaited<ReturnType<typeof plain>>;
          let x: Awaited<ReturnType<typeof ours>>;
          if (r % 2 === 0) {
            p = await plain();
            x = await ours();
          } else {
            x = await ours();
            p = await plain();
          }
          plainMs.push(p.ms);
          plainCpu.push(p.cpuMs);
          oursMs.push(x.ms);
          cpuA.push(x.cpuA);
          cpuB.push(x.cpuB);
          mainB.push(x.mainB);
          rssA = Math.max(rssA, x.rssA);
          rssB = Math.max(rssB, x.rssB);
        }
        await rm(src, { force: true });
        const rate = (ms: number) => (sizeMiB / ms) * 1000;
        rows.push({
          size: `${sizeMiB} MiB`,
          'plain HTTP MiB/s': rate(median(plainMs)),
          'OpenRed download MiB/s': rate(median(oursMs)),
          ratio: rate(median(oursMs)) / rate(median(plainMs)),
          'CPU ms/MiB plain (server + client)': median(plainCpu) / sizeMiB,
          'CPU ms/MiB A + B': `${(median(cpuA) / sizeMiB).toFixed(2)} + ${(median(cpuB) / sizeMiB).toFixed(2)}`,
          'B main thread ms/MiB': median(mainB) / sizeMiB,
          'peak RSS A MB (idle)': `${(rssA / 1e6).toFixed(1)} (${(idle.a / 1e6).toFixed(1)})`,
          'peak RSS B MB (idle)': `${(rssB / 1e6).toFixed(1)} (${(idle.b / 1e6).toFixed(1)})`,
        });
        ratios.push(`${sizeMiB} MiB: ${verdict(rate(median(oursMs)) / rate(median(plainMs)), 0.5)}`);
        if (sizeMiB >= 1024) {
          ratios.push(
            `peak RSS during ${sizeMiB} MiB: A ${verdict(rssA / 1e6, 150, false)} MB, B ${verdict(rssB / 1e6, 150, false)} MB`,
          );
        }
      }
      printTable(
        `File transfer, median of ${Number(process.env.BENCH_ROUNDS ?? 3)} rounds (A shares, B downloads; RSS sampled every 50 ms + VmHWM)`,
        rows,
      );
      console.log('\n' + ratios.join('\n'));
    }
  } finally {
    await Promise.all([...children].map(stop));
    await directory.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** CPU time (user + system) a process used so far, ms (Linux). */
function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/**
 * CPU time of a process's main thread (its JavaScript), ms: the downloader's rate is bound by it, while work
 * moved to the thread pool (hashing, deciphering) runs alongside on the other core.
 */
function mainCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuMs(file: string): number {
  try {
    const f = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Resident set size of a process, bytes (Linux). */
function rss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Peak resident set size since the last resetPeak (Linux VmHWM). */
function hwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resets VmHWM to the current RSS; false where that is not permitted (then only the sampled peak counts). */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
