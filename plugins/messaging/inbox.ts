import { errors, type Collection, type PluginStorage } from '@openred/plugin-sdk';
import { IdDirectory } from './id-directory.js';
import { ShardCache } from './shard-cache.js';

/** One received message as stored. */
export interface InboxEntry {
  id: string;
  from: string;
  stream: string;
  seq: number;
  body: string;
  content_type: string;
  sent_at: number;
  received_at: number;
  read_at: number | null;
  /** Set when the owner deleted it: the entry stays (without its body) so a late duplicate is still known. */
  deleted?: true;
}

/** What the owner API shows of a message. */
export type InboxView = Omit<InboxEntry, 'deleted' | 'stream'>;

export interface IncomingMessage {
  id: string;
  stream: string;
  seq: number;
  body: string;
  sent_at: number;
  content_type: string;
}

interface ShardInfo {
  stream: string;
  block: number;
  /** Messages not deleted. */
  count: number;
  unread: number;
  min_at: number;
  max_at: number;
}

interface PeerInfo {
  /** The sender's streams in the order they were first seen. */
  streams: string[];
  /** Ordered by stream (as above), then block. */
  shards: ShardInfo[];
}

interface InboxIndex {
  v: 1;
  shard_size: number;
  total: number;
  peers: Record<string, PeerInfo>;
}

interface ShardLocation {
  peer: string;
  info: ShardInfo;
}

type ShardDoc = { messages: InboxEntry[] };
type Shard = Collection<ShardDoc>;

export interface InboxQuery {
  peer?: string;
  since?: number;
  unread?: boolean;
  limit: number;
  offset: number;
}

/**
 * The inbox, laid out so that storing one message rewrites two small files whatever the inbox's size:
 *   `inbox-index`                    per peer: its streams and shards with counts and time ranges;
 *   `in.<peer>.<stream>.<block>`     the messages of one sender stream with seq in [block*N, (block+1)*N),
 *                                    sorted by seq (N = shard_size, fixed when the inbox is created).
 * A peer's messages are kept in the sender's sequence order, so a message that arrives late (retried) lands in
 * its place. De-duplication looks in the one shard a message's seq designates, so it costs the same at 100
 * messages or 10 million. Only the index and a bounded number of shards are kept in memory (ShardCache).
 */
export class Inbox {
  readonly #index: Collection<InboxIndex>;
  readonly #maxInbox: () => number;
  readonly #shards: ShardCache<ShardDoc>;
  /** peer/id → write in progress: a duplicate must not be acknowledged before the original is on disk. */
  readonly #pending = new Map<string, Promise<unknown>>();
  /** Which shards may hold an id: built on first use by mark-read/delete/get (it reads every shard once). */
  #ids: IdDirectory<ShardLocation> | undefined;
  /** One location object per shard: the id directory groups ids by location identity. */
  readonly #locations = new WeakMap<ShardInfo, ShardLocation>();

  private constructor(
    storage: PluginStorage,
    index: Collection<InboxIndex>,
    maxInbox: () => number,
    openShards: number,
  ) {
    this.#index = index;
    this.#maxInbox = maxInbox;
    this.#shards = new ShardCache<ShardDoc>(storage, {
      defaults: () => ({ messages: [] }),
      capacity: openShards,
    });
  }

  static async open(
    storage: PluginStorage,
    options: { shardSize: number; maxInbox: () => number; openShards?: number },
  ) {
    const index = await storage.collection<InboxIndex>('inbox-index', {
      v: 1,
      shard_size: options.shardSize,
      total: 0,
      peers: {},
    });
    return new Inbox(storage, index, options.maxInbox, options.openShards ?? 64);
  }

  /** Shards held in memory right now. */
  get openShards(): number {
    return this.#shards.size;
  }

  /** Closes the shards as soon as nothing uses them (the plugin is unloading). */
  retire(): void {
    this.#shards.retire();
  }

  get total(): number {
    return this.#index.data.total;
  }

  /** Counts per peer (messages kept, unread), from the index alone. */
  stats(): { total: number; unread: number; peers: Record<string, { count: number; unread: number }> } {
    const peers: Record<string, { count: number; unread: number }> = {};
    let unread = 0;
    for (const [peer, p] of Object.entries(this.#index.data.peers)) {
      const c = { count: 0, unread: 0 };
      for (const s of p.shards) {
        c.count += s.count;
        c.unread += s.unread;
      }
      unread += c.unread;
      peers[peer] = c;
    }
    return { total: this.#index.data.total, unread, peers };
  }

  /**
   * Stores a message from `from` unless it is already there. Resolves once the message is on disk (only then
   * may the sender be told), with `duplicate` for a message seen before.
   */
  async receive(
    from: string,
    m: IncomingMessage,
    now: number,
  ): Promise<{ status: 'stored' | 'duplicate'; entry: InboxEntry }> {
    const block = this.#blockOf(m.seq);
    this.#register(from, m.stream, block);
    return this.#shards.use(shardName(from, m.stream, block), (shard) => this.#store(shard, from, m, now));
  }

  async #store(
    shard: Shard,
    from: string,
    m: IncomingMessage,
    now: number,
  ): Promise<{ status: 'stored' | 'duplicate'; entry: InboxEntry }> {
    const key = `${from}/${m.id}`;
    const list = shard.data.messages;
    const pos = lowerBound(list, m.seq);
    const atSeq = list[pos];
    const same = atSeq?.seq === m.seq ? atSeq : list.find((e) => e.id === m.id);
    if (same) {
      if (same.id !== m.id) {
        throw errors.conflict(
          'OR_ERR_MESSAGE_SEQ_CONFLICT',
          `sequence ${m.seq} of stream ${m.stream} already holds another message`,
        );
      }
      await this.#pending.get(key); // rejects if the first copy could not be stored: the sender retries
      return { status: 'duplicate', entry: same };
    }
    if (this.#index.data.total >= this.#maxInbox()) {
      throw errors.unavailable('OR_ERR_INBOX_FULL', 'the inbox is full; try again later');
    }
    const entry: InboxEntry = {
      id: m.id,
      from,
      stream: m.stream,
      seq: m.seq,
      body: m.body,
      content_type: m.content_type,
      sent_at: m.sent_at,
      received_at: now,
      read_at: null,
    };
    list.splice(pos, 0, entry);
    const info = this.#info(from, m.stream, m.seq);
    info.count++;
    info.unread++;
    info.min_at = info.count === 1 ? now : Math.min(info.min_at, now);
    info.max_at = Math.max(info.max_at, now);
    this.#index.data.total++;
    const write = Promise.all([shard.commit(), this.#index.commit()]);
    this.#pending.set(key, write);
    try {
      await write;
    } catch (err) {
      this.#rollback(shard, info, entry);
      throw errors.unavailable('OR_ERR_INBOX_STORAGE', `could not store the message: ${describe(err)}`);
    } finally {
      if (this.#pending.get(key) === write) this.#pending.delete(key);
    }
    this.#ids?.add(entry.id, this.#location(from, info));
    return { status: 'stored', entry };
  }

  /** Messages in per-peer sequence order, peers interleaved by arrival time. */
  async list(q: InboxQuery): Promise<{ messages: InboxView[]; more: boolean }> {
    const peers = q.peer ? [q.peer] : Object.keys(this.#index.data.peers);
    const heads: Array<{ it: AsyncGenerator<InboxEntry>; head: InboxEntry }> = [];
    for (const peer of peers) {
      const it = this.#entries(peer, q);
      const first = await it.next();
      if (!first.done) heads.push({ it, head: first.value });
    }
    const out: InboxView[] = [];
    let skipped = 0;
    while (heads.length > 0 && out.length <= q.limit) {
      let best = 0;
      for (let i = 1; i < heads.length; i++) {
        const a = heads[i]!.head;
        const b = heads[best]!.head;
        if (a.received_at < b.received_at || (a.received_at === b.received_at && a.from < b.from)) best = i;
      }
      const cur = heads[best]!;
      if (skipped < q.offset) skipped++;
      else out.push(view(cur.head));
      const next = await cur.it.next();
      if (next.done) heads.splice(best, 1);
      else cur.head = next.value;
    }
    const more = out.length > q.limit;
    if (more) out.length = q.limit;
    return { messages: out, more };
  }

  /** Marks messages read; returns the ids it changed and the ids it does not know. */
  async markRead(ids: string[], peer: string | undefined, now: number) {
    return this.#update(ids, peer, (e, info) => {
      if (e.read_at !== null) return false;
      e.read_at = now;
      info.unread--;
      return true;
    });
  }

  /** Deletes messages (their ids are remembered, so a late duplicate is still recognised). */
  async delete(ids: string[], peer: string | undefined) {
    return this.#update(ids, peer, (e, info) => {
      e.deleted = true;
      e.body = '';
      info.count--;
      if (e.read_at === null) info.unread--;
      this.#index.data.total--;
      return true;
    });
  }

  /** One message by id (and peer, when two peers used the same id). */
  async get(id: string, peer?: string): Promise<InboxView | undefined> {
    const found = await this.#locate(id, peer);
    if (!found) return undefined;
    return this.#shards.use(found.name, (shard) => {
      const entry = findLive(shard, id);
      return entry ? view(entry) : undefined;
    });
  }

  async #update(
    ids: string[],
    peer: string | undefined,
    change: (e: InboxEntry, info: ShardInfo) => boolean,
  ): Promise<{ changed: string[]; missing: string[] }> {
    const unique = [...new Set(ids)];
    const changed = new Set<string>();
    const located = new Set<string>();
    const byShard = new Map<string, { info: ShardInfo; ids: string[] }>();
    for (const id of unique) {
      const found = await this.#locate(id, peer);
      if (!found) continue;
      located.add(id);
      const group = byShard.get(found.name) ?? { info: found.info, ids: [] };
      group.ids.push(id);
      byShard.set(found.name, group);
    }
    // One shard at a time, so a large batch never holds more than one extra shard in memory.
    for (const [name, group] of byShard) {
      await this.#shards.use(name, async (shard) => {
        let dirty = false;
        for (const id of group.ids) {
          const entry = findLive(shard, id);
          if (entry && change(entry, group.info)) {
            changed.add(id);
            dirty = true;
          }
        }
        if (dirty) await Promise.all([shard.commit(), this.#index.commit()]);
      });
    }
    return {
      changed: unique.filter((id) => changed.has(id)),
      missing: unique.filter((id) => !located.has(id)),
    };
  }

  /** The shard holding the live message `id` (from `peer` if given); throws if several peers used that id. */
  async #locate(id: string, peer: string | undefined) {
    const ids = await this.#idDirectory();
    const hits: Array<{ name: string; info: ShardInfo }> = [];
    for (const loc of ids.candidates(id)) {
      if (peer && loc.peer !== peer) continue;
      const name = shardName(loc.peer, loc.info.stream, loc.info.block);
      if (await this.#shards.use(name, (shard) => findLive(shard, id) !== undefined)) {
        hits.push({ name, info: loc.info });
      }
    }
    if (hits.length > 1) {
      throw errors.conflict('OR_ERR_AMBIGUOUS_ID', `several peers sent a message ${id}: name the peer`);
    }
    return hits[0];
  }

  #location(peer: string, info: ShardInfo): ShardLocation {
    let location = this.#locations.get(info);
    if (!location) this.#locations.set(info, (location = { peer, info }));
    return location;
  }

  async #idDirectory(): Promise<IdDirectory<ShardLocation>> {
    if (this.#ids) return this.#ids;
    const directory = new IdDirectory<ShardLocation>();
    for (const [peer, p] of Object.entries(this.#index.data.peers)) {
      for (const info of p.shards) {
        const location = this.#location(peer, info);
        await this.#shards.use(shardName(peer, info.stream, info.block), (shard) => {
          for (const e of shard.data.messages) if (!e.deleted) directory.add(e.id, location);
        });
      }
    }
    return (this.#ids ??= directory);
  }

  async *#entries(peer: string, q: InboxQuery): AsyncGenerator<InboxEntry> {
    const p = this.#index.data.peers[peer];
    if (!p) return;
    for (const info of [...p.shards]) {
      if (info.count === 0 || (q.since !== undefined && info.max_at < q.since)) continue;
      if (q.unread && info.unread === 0) continue;
      // Copied out of the shard, so the shard is not held open while the caller pages.
      const selected = await this.#shards.use(shardName(peer, info.stream, info.block), (shard) =>
        shard.data.messages.filter(
          (e) =>
            !e.deleted &&
            (q.since === undefined || e.received_at >= q.since) &&
            (!q.unread || e.read_at === null),
        ),
      );
      yield* selected;
    }
  }

  #blockOf(seq: number): number {
    return Math.floor(seq / this.#index.data.shard_size);
  }

  #register(peer: string, stream: string, block: number): void {
    const peers = this.#index.data.peers;
    const p = (peers[peer] ??= { streams: [], shards: [] });
    if (!p.streams.includes(stream)) p.streams.push(stream);
    if (p.shards.some((s) => s.stream === stream && s.block === block)) return;
    p.shards.push({ stream, block, count: 0, unread: 0, min_at: 0, max_at: 0 });
    const order = (s: ShardInfo) => p.streams.indexOf(s.stream);
    p.shards.sort((a, b) => order(a) - order(b) || a.block - b.block);
  }

  #info(peer: string, stream: string, seq: number): ShardInfo {
    const block = this.#blockOf(seq);
    return this.#index.data.peers[peer]!.shards.find((s) => s.stream === stream && s.block === block)!;
  }

  #rollback(shard: Shard, info: ShardInfo, entry: InboxEntry): void {
    const at = shard.data.messages.indexOf(entry);
    if (at === -1) return;
    shard.data.messages.splice(at, 1);
    info.count--;
    info.unread--;
    this.#index.data.total--;
  }
}

function shardName(peer: string, stream: string, block: number): string {
  return `in.${peer}.${stream}.${block}`;
}

function findLive(shard: Shard, id: string): InboxEntry | undefined {
  return shard.data.messages.find((e) => e.id === id && !e.deleted);
}

function lowerBound(list: InboxEntry[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function view(e: InboxEntry): InboxView {
  return {
    id: e.id,
    from: e.from,
    seq: e.seq,
    body: e.body,
    content_type: e.content_type,
    sent_at: e.sent_at,
    received_at: e.received_at,
    read_at: e.read_at,
  };
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.code ?? e?.message ?? String(err);
}
