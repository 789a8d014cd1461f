/**
 * Runs the same API suite against each store: `forEachStore('register', (h) => { it(...) })`. Each test starts
 * its own in-process directory (fresh key prefix or data folder, a ManualClock) through `h.start()`; everything
 * a test started is stopped after it.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCanonical } from '../../../core/crypto/signatures.js';
import { ManualClock } from '../../../core/kernel/clock.js';
import { discoverPayload } from '../../../core/directory/signing.js';
import { silentLogger } from '../../../core/kernel/logger.js';
import { startDirectory, type RunningDirectory } from '../../../core/directory/start.js';
import type { DirectoryOptions } from '../../../core/directory/options.js';
import type { Resolver } from '../../../core/directory/outbound-policy.js';
import { acquireRedis, type TestRedis } from '../../helpers/redis.js';
import { startFakeNode, type FakeNode, type FakeNodeOptions } from '../../integration/directory/fake-node.js';
import { http, type RawAnswer } from '../../integration/directory/http.js';

export type StoreKind = 'lowdb' | 'redis';

export interface TestDirectory {
  dir: RunningDirectory;
  clock: ManualClock;
  prefix: string;
  dataDir: string;
  /** `<url>/api/v3<path>` */
  api(path: string): string;
  /** A fake node (HTTP server unless noServer) using this directory's clock and pinned key. */
  node(opts?: FakeNodeOptions): Promise<FakeNode>;
  /** A fake node, registered. */
  registered(opts?: FakeNodeOptions): Promise<FakeNode>;
  post(path: string, json: unknown, headers?: Record<string, string>): Promise<RawAnswer>;
  /** Every byte the store holds (lowdb files or Redis keys and values), for "nothing was kept" checks. */
  dump(): Promise<string>;
}

/** Generous limits so that only tests about limits meet them. */
export const relaxedLimits = {
  perAddress: { perSecond: 10_000, burst: 10_000 },
  perNode: { perSecond: 10_000, burst: 10_000 },
  connectionsPerNode: { perSecond: 10_000, burst: 10_000 },
};

export class StoreContext {
  readonly kind: StoreKind;
  redis: TestRedis | undefined;
  #cleanups: Array<() => Promise<void>> = [];

  constructor(kind: StoreKind) {
    this.kind = kind;
  }

  async setup(): Promise<void> {
    if (this.kind === 'redis') this.redis = await acquireRedis();
  }

  async teardown(): Promise<void> {
    await this.redis?.release();
  }

  async cleanup(): Promise<void> {
    const fns = this.#cleanups.reverse();
    this.#cleanups = [];
    for (const fn of fns) await fn();
  }

  async start(
    options: DirectoryOptions = {},
    runtime: { clock?: ManualClock; resolver?: Resolver } = {},
  ): Promise<TestDirectory> {
    const clock = runtime.clock ?? new ManualClock(Date.UTC(2026, 0, 1));
    const dataDir = await mkdtemp(join(tmpdir(), 'openred-dir-'));
    const prefix = this.redis?.prefix() ?? '';
    const redis = this.redis;
    this.#cleanups.push(async () => {
      await rm(dataDir, { recursive: true, force: true });
      if (redis) await redis.deleteKeys(prefix);
    });
    const dir = await startDirectory(
      {
        port: 0,
        host: '127.0.0.1',
        dataDir,
        store: this.kind,
        redisUrl: redis?.url,
        keyPrefix: prefix || undefined,
        lowdbShards: 8,
        rateLimits: relaxedLimits,
        delivery: { timeoutMs: 500, retries: 1, retryDelayMs: 10 },
        ...options,
        outbound: { allowLoopback: true, ...options.outbound },
      },
      { clock, logger: silentLogger(), resolver: runtime.resolver },
    );
    this.#cleanups.push(() => dir.stop());
    const t: TestDirectory = {
      dir,
      clock,
      prefix,
      dataDir,
      api: (path) => `${dir.url}/api/v3${path}`,
      node: async (opts = {}) => {
        const n = await startFakeNode({ clock, directoryPublicKey: dir.publicKey, ...opts });
        this.#cleanups.push(() => n.stop());
        return n;
      },
      registered: async (opts = {}) => {
        const n = await t.node(opts);
        const res = await t.post('/nodes/register', n.registration());
        if (res.status !== 200) throw new Error(`registration failed: ${JSON.stringify(res.body)}`);
        return n;
      },
      post: (path, json, headers) => http(t.api(path), { method: 'POST', json, headers }),
      dump: async () => {
        if (redis) {
          const parts: string[] = [];
          for (const key of await redis.keys(prefix)) {
            const type = await redis.client.type(key);
            const value =
              type === 'string'
                ? await redis.client.get(key)
                : await redis.client.zrange(key, '0', '-1', 'WITHSCORES');
            parts.push(`${key} ${JSON.stringify(value)}`);
          }
          return parts.join('\n');
        }
        const files = await readdir(join(dataDir, 'nodes'));
        const texts = await Promise.all(files.map((f) => readFile(join(dataDir, 'nodes', f), 'utf8')));
        return texts.join('\n');
      },
    };
    return t;
  }
}

/** Declares `title` once per store; `body` gets the context whose start() opens a directory on that store. */
export function forEachStore(title: string, body: (h: StoreContext) => void): void {
  for (const kind of ['lowdb', 'redis'] as const) {
    describe(`${title} [${kind}]`, function () {
      const h = new StoreContext(kind);
      before(() => h.setup());
      afterEach(() => h.cleanup());
      after(() => h.teardown());
      body(h);
    });
  }
}

/** OpenRed-Node/-Ts/-Sig headers for a discover query, signed by `node` (or over `signedQuery` to forge). */
export function discoverHeaders(
  node: FakeNode,
  query: Record<string, string>,
  ts: number,
  signedQuery: Record<string, string> = query,
): Record<string, string> {
  return {
    'openred-node': node.nodeId,
    'openred-ts': String(ts),
    'openred-sig': signCanonical(node.keys.ed25519Private, discoverPayload(signedQuery, ts, node.nodeId)),
  };
}

export async function signedDiscover(
  t: TestDirectory,
  node: FakeNode,
  query: Record<string, string>,
  ts = t.clock.now(),
): Promise<RawAnswer> {
  const qs = new URLSearchParams(query).toString();
  return http(t.api(`/nodes/discover${qs ? `?${qs}` : ''}`), { headers: discoverHeaders(node, query, ts) });
}
