import { randomBytes } from 'node:crypto';
import { errors, type Collection, type PluginStorage } from '@openred/plugin-sdk';
import { ShardCache } from './shard-cache.js';

export type OutboxState = 'queued' | 'delivered' | 'failed';

/** One message the owner sent, as stored until it is delivered (and for a while after). */
export interface OutboxEntry {
  /** Local sequence over the whole outbox: decides the shard. */
  n: number;
  id: string;
  to: string;
  stream: string;
  seq: number;
  body: string;
  content_type: string;
  created_at: number;
  state: OutboxState;
  /** Failed delivery rounds to the peer while this message was waiting. */
  attempts: number;
  last_error: string | null;
  delivered_at: number | null;
  failed_at: number | null;
}

export type OutboxView = Omit<OutboxEntry, 'n' | 'stream'>;

interface BlockInfo {
  queued: number;
  delivered: number;
  failed: number;
  last_at: number;
}

interface OutboxIndex {
  v: 1;
  shard_size: number;
  next_n: number;
  /** Per recipient: the stream id and the next sequence number to give. */
  peers: Record<string, { stream: string; next_seq: number }>;
  blocks: Record<string, BlockInfo>;
}

type BlockDoc = { messages: OutboxEntry[] };

/**
 * The outbox: `outbox-index` (counters, per-peer sequence numbers) and `out.<block>` shards of at most
 * shard_size messages in sending order. Every state change rewrites one shard and the small index, so the
 * cost of sending does not grow with the history. Queued messages are also held in per-peer queues (sorted
 * by seq) for the delivery loop; entries are shared with the shards, so a change is a change on both. That is
 * why a shard with queued messages (and the one being filled) stays open; settled shards are closed once more
 * than `openShards` are open.
 */
export class Outbox {
  readonly #storage: PluginStorage;
  readonly #index: Collection<OutboxIndex>;
  readonly #blocks: ShardCache<BlockDoc>;
  readonly #queues = new Map<string, OutboxEntry[]>();

  private constructor(storage: PluginStorage, index: Collection<OutboxIndex>, openShards: number) {
    this.#storage = storage;
    this.#index = index;
    this.#blocks = new ShardCache<BlockDoc>(storage, {
      defaults: () => ({ messages: [] }),
      capacity: openShards,
      pinned: (name) => {
        const b = Number(name.slice('out.'.length));
        return b >= this.#blockOf(this.#index.data.next_n) || (this.#index.data.blocks[b]?.queued ?? 0) > 0;
      },
    });
  }

  /** Opens the outbox and reloads every message still queued (after a restart they are sent again). */
  static async open(
    storage: PluginStorage,
    options: { shardSize: number; openShards?: number },
  ): Promise<Outbox> {
    const index = await storage.collection<OutboxIndex>('outbox-index', {
      v: 1,
      shard_size: options.shardSize,
      next_n: 1,
      peers: {},
      blocks: {},
    });
    const outbox = new Outbox(storage, index, options.openShards ?? 64);
    for (const [block, info] of Object.entries(index.data.blocks)) {
      if (info.queued === 0) continue;
      await outbox.#blocks.use(blockName(Number(block)), (shard) => {
        for (const e of shard.data.messages) if (e.state === 'queued') outbox.#enqueue(e);
      });
    }
    return outbox;
  }

  /** Shards held in memory right now. */
  get openShards(): number {
    return this.#blocks.size;
  }

  /** Closes the shards as soon as nothing uses them (the plugin is unloading). */
  retire(): void {
    this.#blocks.retire();
  }

  /** Persists a new message; resolves once it is on disk. */
  async add(
    to: string,
    body: string,
    contentType: string,
    now: number,
    maxQueued: number,
  ): Promise<OutboxEntry> {
    if ((this.#queues.get(to)?.length ?? 0) >= maxQueued) {
      throw errors.unavailable('OR_ERR_OUTBOX_FULL', `already ${maxQueued} messages waiting for ${to}`);
    }
    const idx = this.#index.data;
    const peer = (idx.peers[to] ??= { stream: randomBytes(9).toString('base64url'), next_seq: 1 });
    const n = idx.next_n++;
    const entry: OutboxEntry = {
      n,
      id: randomBytes(16).toString('base64url'),
      to,
      stream: peer.stream,
      seq: peer.next_seq++,
      body,
      content_type: contentType,
      created_at: now,
      state: 'queued',
      attempts: 0,
      last_error: null,
      delivered_at: null,
      failed_at: null,
    };
    const blockNo = this.#blockOf(n);
    await this.#blocks.use(blockName(blockNo), (block) => this.#store(block, entry, blockNo, now));
    // Queued for delivery only now: sent before its sequence number is on disk, a crash would hand that
    // number to the next message, which the receiver would refuse as a conflict.
    this.#enqueue(entry);
    return entry;
  }

  async #store(block: Collection<BlockDoc>, entry: OutboxEntry, blockNo: number, now: number) {
    const idx = this.#index.data;
    block.data.messages.push(entry);
    const info = (idx.blocks[blockNo] ??= { queued: 0, delivered: 0, failed: 0, last_at: now });
    info.queued++;
    info.last_at = Math.max(info.last_at, now);
    try {
      await Promise.all([block.commit(), this.#index.commit()]);
    } catch (err) {
      // Not on disk: take it back so nothing is sent that the owner was told failed. The sequence number
      // stays used; the receiver only needs order, not contiguity.
      block.data.messages.splice(block.data.messages.indexOf(entry), 1);
      info.queued--;
      throw errors.unavailable('OR_ERR_OUTBOX_STORAGE', `could not store the message: ${String(err)}`);
    }
  }

  /** Peers with queued messages. */
  peers(): string[] {
    return [...this.#queues.keys()];
  }

  /** The messages queued for `peer`, in sequence order (live array: do not mutate). */
  queued(peer: string): readonly OutboxEntry[] {
    return this.#queues.get(peer) ?? [];
  }

  /** Moves messages to `delivered` or `failed` and persists it. */
  async settle(entries: OutboxEntry[], state: 'delivered' | 'failed', now: number, error?: string) {
    const changed = entries.filter((e) => e.state !== state);
    for (const e of changed) {
      const info = this.#index.data.blocks[this.#blockOf(e.n)]!;
      info[e.state]--;
      info[state]++;
      info.last_at = Math.max(info.last_at, now);
      e.state = state;
      if (state === 'delivered') {
        e.delivered_at = now;
        e.failed_at = null;
        e.last_error = null;
      } else {
        e.failed_at = now;
        e.last_error = error ?? e.last_error;
      }
    }
    for (const e of entries) this.#dequeue(e);
    await this.persist(changed);
    return changed;
  }

  /** Removes a settled message from its peer's queue. */
  forget(e: OutboxEntry): void {
    this.#dequeue(e);
  }

  /** Puts failed messages back in their peers' queues (same id and seq, so a receiver still de-duplicates). */
  async requeue(ids: string[], now: number): Promise<OutboxEntry[]> {
    const wanted = new Set(ids);
    const found: OutboxEntry[] = [];
    for (const [blockNo, info] of Object.entries(this.#index.data.blocks)) {
      if (info.failed === 0) continue;
      await this.#blocks.use(blockName(Number(blockNo)), (block) => {
        for (const e of block.data.messages) {
          if (e.state !== 'failed' || !wanted.has(e.id)) continue;
          // Queued again, so this shard is pinned before the callback ends and its entries stay the live ones.
          info.failed--;
          info.queued++;
          info.last_at = Math.max(info.last_at, now);
          e.state = 'queued';
          e.attempts = 0;
          e.failed_at = null;
          this.#enqueue(e);
          found.push(e);
        }
      });
    }
    await this.persist(found);
    return found;
  }

  /** Writes the shards holding `entries` (after the caller changed them) and the index. */
  async persist(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const blocks = new Set(entries.map((e) => this.#blockOf(e.n)));
    await Promise.all([
      ...[...blocks].map((b) => this.#blocks.use(blockName(b), (block) => block.commit())),
      this.#index.commit(),
    ]);
  }

  /** Newest first. */
  async list(q: {
    peer?: string;
    state?: OutboxState;
    limit: number;
    offset: number;
  }): Promise<{ messages: OutboxView[]; more: boolean }> {
    const out: OutboxView[] = [];
    let skipped = 0;
    const blocks = Object.keys(this.#index.data.blocks)
      .map(Number)
      .sort((a, b) => b - a);
    for (const b of blocks) {
      if (q.state && this.#index.data.blocks[b]![q.state] === 0) continue;
      const more = await this.#blocks.use(blockName(b), (block) => {
        const list = block.data.messages;
        for (let i = list.length - 1; i >= 0; i--) {
          const e = list[i]!;
          if ((q.peer && e.to !== q.peer) || (q.state && e.state !== q.state)) continue;
          if (skipped < q.offset) {
            skipped++;
            continue;
          }
          if (out.length === q.limit) return true;
          out.push(outboxView(e));
        }
        return false;
      });
      if (more) return { messages: out, more: true };
    }
    return { messages: out, more: false };
  }

  /** Drops shards whose messages are all settled and older than `retentionMs`. */
  async prune(now: number, retentionMs: number): Promise<number> {
    const current = this.#blockOf(this.#index.data.next_n);
    let dropped = 0;
    for (const [key, info] of Object.entries(this.#index.data.blocks)) {
      const b = Number(key);
      if (b >= current || info.queued > 0 || now - info.last_at < retentionMs) continue;
      delete this.#index.data.blocks[key];
      await this.#index.commit();
      await this.#blocks.forget(blockName(b));
      await this.#storage.drop(blockName(b));
      dropped++;
    }
    return dropped;
  }

  #blockOf(n: number): number {
    return Math.floor(n / this.#index.data.shard_size);
  }

  #enqueue(e: OutboxEntry): void {
    let q = this.#queues.get(e.to);
    if (!q) this.#queues.set(e.to, (q = []));
    if (q.length === 0 || q[q.length - 1]!.seq < e.seq) q.push(e);
    else {
      q.push(e);
      q.sort((a, b) => a.seq - b.seq);
    }
  }

  #dequeue(e: OutboxEntry): void {
    const q = this.#queues.get(e.to);
    if (!q) return;
    const at = q.indexOf(e);
    if (at !== -1) q.splice(at, 1);
    if (q.length === 0) this.#queues.delete(e.to);
  }
}

export function outboxView(e: OutboxEntry): OutboxView {
  return {
    id: e.id,
    to: e.to,
    seq: e.seq,
    body: e.body,
    content_type: e.content_type,
    created_at: e.created_at,
    state: e.state,
    attempts: e.attempts,
    last_error: e.last_error,
    delivered_at: e.delivered_at,
    failed_at: e.failed_at,
  };
}

function blockName(b: number): string {
  return `out.${b}`;
}
