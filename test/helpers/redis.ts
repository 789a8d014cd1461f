/**
 * A Redis for tests. When REDIS_URL is set (CI starts one), tests use it; otherwise the first suite that asks
 * starts a private `redis-server` on a free 127.0.0.1 port (no persistence) and the last one to release it
 * stops it. Every suite works under its own key prefix, so parallel runs on one Redis never collide.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export interface TestRedis {
  url: string;
  /** A key prefix no other suite or run uses. */
  prefix(): string;
  /** A connection for inspecting keys (closed by release()). */
  client: Redis;
  keys(prefix: string): Promise<string[]>;
  deleteKeys(prefix: string): Promise<void>;
  release(): Promise<void>;
}

let shared: { url: string; child: ChildProcess | null; refs: number } | null = null;
let starting: Promise<void> | null = null;

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { url: `redis://127.0.0.1:${port}`, child };
}

export async function acquireRedis(): Promise<TestRedis> {
  while (starting) await starting;
  if (!shared) {
    starting = (async () => {
      if (process.env.REDIS_URL) shared = { url: process.env.REDIS_URL, child: null, refs: 0 };
      else shared = { ...(await startServer()), refs: 0 };
    })();
    try {
      await starting;
    } finally {
      starting = null;
    }
  }
  const s = shared!;
  s.refs++;
  const client = new Redis(s.url, { maxRetriesPerRequest: 1 });
  const keys = async (prefix: string): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  let released = false;
  return {
    url: s.url,
    client,
    prefix: () => `openred:test:${process.pid}:${randomBytes(4).toString('hex')}:`,
    keys,
    deleteKeys: async (prefix) => {
      const all = await keys(prefix);
      for (let i = 0; i < all.length; i += 500) await client.del(...all.slice(i, i + 500));
    },
    release: async () => {
      if (released) return;
      released = true;
      await client.quit().catch(() => client.disconnect());
      s.refs--;
      if (s.refs === 0 && shared === s) {
        shared = null;
        if (s.child && s.child.exitCode === null) {
          const exited = new Promise((r) => s.child!.once('exit', r));
          s.child.kill('SIGTERM');
          await exited;
        }
      }
    },
  };
}
