import { Pool } from 'undici';

export interface PeerPoolOptions {
  /** Keep-alive connections per peer origin. */
  connectionsPerPeer: number;
  /** Most peer origins with open pools; the least recently used pool is closed first. */
  maxPeers: number;
  /** An idle keep-alive connection is closed after this. */
  idleTimeoutMs: number;
  /** Per request: headers and body must arrive within this. */
  requestTimeoutMs: number;
}

/**
 * Keep-alive connection pools to peers, bounded per peer (`connectionsPerPeer`) and in total (`maxPeers`
 * origins × connections). A request never waits forever: connect, headers and body each have a timeout.
 */
export class PeerPool {
  readonly #o: PeerPoolOptions;
  readonly #pools = new Map<string, Pool>();
  /** The most recently used pool: always the last entry of `#pools`, so it is never the one evicted. */
  #recent: { origin: string; pool: Pool } | undefined;

  constructor(options: PeerPoolOptions) {
    this.#o = options;
  }

  get(origin: string): Pool {
    // Most requests go to the peer of the previous request: skip the LRU bookkeeping (two map writes) then.
    if (this.#recent?.origin === origin) return this.#recent.pool;
    let pool = this.#pools.get(origin);
    if (pool) {
      this.#pools.delete(origin); // LRU: move to the end
      this.#pools.set(origin, pool);
      this.#recent = { origin, pool };
      return pool;
    }
    pool = new Pool(origin, {
      connections: this.#o.connectionsPerPeer,
      keepAliveTimeout: this.#o.idleTimeoutMs,
      keepAliveMaxTimeout: this.#o.idleTimeoutMs,
      headersTimeout: this.#o.requestTimeoutMs,
      bodyTimeout: this.#o.requestTimeoutMs,
      connectTimeout: Math.min(5000, this.#o.requestTimeoutMs),
      pipelining: 1,
    });
    this.#pools.set(origin, pool);
    this.#recent = { origin, pool };
    while (this.#pools.size > this.#o.maxPeers) {
      const [oldest, p] = this.#pools.entries().next().value as [string, Pool];
      this.#pools.delete(oldest);
      void p.close().catch(() => undefined);
    }
    return pool;
  }

  /** Open pools and their connection counts (for `openred peers` and the pool-bounds test). */
  stats(): Array<{ origin: string; connected: number; running: number; pending: number }> {
    return [...this.#pools].map(([origin, p]) => ({
      origin,
      connected: p.stats.connected,
      running: p.stats.running,
      pending: p.stats.pending,
    }));
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    this.#recent = undefined;
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
