/**
 * The scale-out store: several directory processes share one Redis. Layout (P = keyPrefix):
 *
 *   P node:<id>     JSON NodeRecord, expiring `retentionSeconds` after the node was last seen (presence via
 *                   key expiry: a node that stops heartbeating disappears without any sweeper)
 *   P idx           sorted set of all ids (score 0: ordered by id, paged with ZRANGEBYLEX)
 *   P cap:<name>    the same, per capability
 *   P seen          sorted set id -> last_seen (counts by status, pruning)
 *   P once:<hash>   replay guard of signed one-shot requests (SET NX PX)
 *
 * The monotonic-ts check and the index updates run in one Lua script, so two instances accepting registrations
 * for the same node cannot interleave. Index entries of expired nodes are removed lazily (when a page meets
 * them) and a few at a time by each upsert. Redis Cluster is not supported (the script touches keys it
 * derives); a single Redis, optionally with replicas and Sentinel, is.
 */
import { Redis } from 'ioredis';
import type { Clock } from '../../kernel/clock.js';
import { isOpenRedError } from '../../errors.js';
import { staleRegistration, storeUnavailable } from '../errors.js';
import {
  MAX_SCAN_PER_PAGE,
  type DirectoryStore,
  type NodeCounts,
  type NodeFilter,
  type NodeListPage,
  type NodeRecord,
} from './types.js';

export interface RedisStoreOptions {
  url: string;
  keyPrefix: string;
  retentionSeconds: number;
  clock: Clock;
  /** Milliseconds a command may wait for a (re)connection before failing with OR_ERR_STORE_UNAVAILABLE. */
  commandTimeoutMs?: number;
}

// KEYS: node key, idx, seen. ARGV: id, ts, json, ttlMs, lastSeen, cutoff, prefix, ncaps, caps...
const UPSERT = `
local old = redis.call('GET', KEYS[1])
if old then
  local o = cjson.decode(old)
  if tonumber(o.last_seen) >= tonumber(ARGV[6]) and tonumber(o.ts) >= tonumber(ARGV[2]) then
    return string.format('%.0f', o.ts)
  end
  for _, c in ipairs(o.capabilities) do redis.call('ZREM', ARGV[7] .. 'cap:' .. c, ARGV[1]) end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
for i = 9, 8 + tonumber(ARGV[8]) do redis.call('ZADD', ARGV[7] .. 'cap:' .. ARGV[i], 0, ARGV[1]) end
local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[6], 'LIMIT', 0, 16)
for _, d in ipairs(dead) do
  redis.call('ZREM', KEYS[3], d)
  redis.call('ZREM', KEYS[2], d)
  redis.call('DEL', ARGV[7] .. 'node:' .. d)
end
return false
`;

type UpsertCommand = (...args: Array<string | number>) => Promise<string | null>;

export class RedisStore implements DirectoryStore {
  readonly kind = 'redis' as const;
  readonly #opts: RedisStoreOptions;
  readonly #redis: Redis;
  readonly #p: string;

  private constructor(opts: RedisStoreOptions) {
    this.#opts = opts;
    this.#p = opts.keyPrefix;
    this.#redis = new Redis(opts.url, {
      lazyConnect: true,
      enableAutoPipelining: true,
      // Fail fast while Redis is unreachable: a 503 now is better than requests piling up in a queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: opts.commandTimeoutMs ?? 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.#redis.on('error', () => {
      /* reported through failing commands and ping(); ioredis reconnects by itself */
    });
    this.#redis.defineCommand('openredUpsert', { numberOfKeys: 3, lua: UPSERT });
  }

  static async open(opts: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(opts);
    try {
      await store.#redis.connect();
    } catch (err) {
      store.#redis.disconnect();
      throw storeUnavailable(err);
    }
    return store;
  }

  /** The underlying connection (tests and benchmarks inspect keys through it). */
  get redis(): Redis {
    return this.#redis;
  }

  #nodeKey(id: string): string {
    return `${this.#p}node:${id}`;
  }

  #cutoff(): number {
    return this.#opts.clock.now() - this.#opts.retentionSeconds * 1000;
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isOpenRedError(err)) throw err;
      throw storeUnavailable(err);
    }
  }

  #parse(json: string | null, cutoff: number): NodeRecord | null {
    if (json === null) return null;
    const rec = JSON.parse(json) as NodeRecord;
    return rec.last_seen >= cutoff ? rec : null;
  }

  async upsertNode(record: NodeRecord): Promise<void> {
    const refused = await this.#run(() =>
      (this.#redis as unknown as { openredUpsert: UpsertCommand }).openredUpsert(
        this.#nodeKey(record.node_id),
        `${this.#p}idx`,
        `${this.#p}seen`,
        record.node_id,
        record.ts,
        JSON.stringify(record),
        this.#opts.retentionSeconds * 1000,
        record.last_seen,
        this.#cutoff(),
        this.#p,
        record.capabilities.length,
        ...record.capabilities,
      ),
    );
    if (refused !== null) throw staleRegistration(Number(refused));
  }

  async getNode(id: string): Promise<NodeRecord | null> {
    const json = await this.#run(() => this.#redis.get(this.#nodeKey(id)));
    return this.#parse(json, this.#cutoff());
  }

  async listNodes(filter: NodeFilter, after: string | null, limit: number): Promise<NodeListPage> {
    const index = filter.capability === undefined ? `${this.#p}idx` : `${this.#p}cap:${filter.capability}`;
    const cutoff = this.#cutoff();
    const since = Math.max(filter.since ?? -Infinity, cutoff);
    const before = filter.before ?? Infinity;
    const nodes: NodeRecord[] = [];
    const gone: string[] = [];
    let scanned = 0;
    let last = after;
    let complete = false;
    await this.#run(async () => {
      while (nodes.length < limit && scanned < MAX_SCAN_PER_PAGE) {
        const want = Math.min(MAX_SCAN_PER_PAGE - scanned, Math.max(2 * (limit - nodes.length), 32));
        const ids = await this.#redis.zrangebylex(
          index,
          last === null ? '-' : `(${last}`,
          '+',
          'LIMIT',
          0,
          want,
        );
        if (ids.length === 0) {
          complete = true;
          return;
        }
        const values = await this.#redis.mget(ids.map((id) => this.#nodeKey(id)));
        for (let i = 0; i < ids.length; i++) {
          scanned++;
          last = ids[i]!;
          const rec = this.#parse(values[i] ?? null, cutoff);
          if (rec === null) gone.push(last);
          else if (rec.last_seen >= since && rec.last_seen < before) nodes.push(rec);
          if (nodes.length >= limit) {
            complete = i === ids.length - 1 && ids.length < want;
            return;
          }
        }
        if (ids.length < want) {
          complete = true;
          return;
        }
      }
    });
    if (gone.length > 0) {
      // Expired while indexed: drop them from this index now that we met them.
      await this.#run(() => this.#redis.zrem(index, ...gone));
    }
    return { nodes, after: complete ? null : last };
  }

  async counts(activeSince: number, onlineSince: number): Promise<NodeCounts> {
    const seen = `${this.#p}seen`;
    return this.#run(async () => {
      await this.#redis.zremrangebyscore(seen, '-inf', `(${this.#cutoff()}`);
      const [total, active, online] = await Promise.all([
        this.#redis.zcard(seen),
        this.#redis.zcount(seen, activeSince, '+inf'),
        this.#redis.zcount(seen, onlineSince, '+inf'),
      ]);
      return { total, active, stale: online - active, offline: total - online };
    });
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    const ok = await this.#run(() => this.#redis.set(`${this.#p}once:${key}`, '1', 'PX', ttlMs, 'NX'));
    return ok === 'OK';
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.#redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }
}
