/**
 * The embedded store: node records in lowdb files under `<dataDir>/nodes/`, indexed in memory.
 *
 * lowdb rewrites a whole file per write, which at 100k nodes would make every registration cost a rewrite of
 * the table. So:
 * - the table is split over `shards` lowdb files by node id (ids are hashes, so shards stay even), each a
 *   CoalescingDb written with temp file + fsync + rename (ShardFile): `kill -9` at any moment leaves each file
 *   either before or after a write;
 * - a registration is acknowledged once its record is appended to the journal (journal.ts: one fsync for all
 *   the registrations that arrive together), which costs the same at 1k and 100k nodes;
 * - when the journal passes COMPACT_BYTES, a new journal is started, the shards changed since the last
 *   compaction are written (coalesced), and the old journal is deleted. A crash at any point leaves the old
 *   journal in place and it is replayed at the next start (replay is idempotent: the greatest `ts` wins).
 * One process owns a data folder; scale out with Redis.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../kernel/clock.js';
import { CoalescingDb } from '../../storage/coalescing-db.js';
import { staleRegistration } from '../errors.js';
import { Journal, readJournal } from './journal.js';
import { ShardData, ShardFile } from './shard-file.js';
import { SortedIds } from './sorted-ids.js';
import {
  MAX_SCAN_PER_PAGE,
  type DirectoryStore,
  type NodeCounts,
  type NodeFilter,
  type NodeListPage,
  type NodeRecord,
} from './types.js';

export interface LowdbStoreOptions {
  dataDir: string;
  shards: number;
  retentionSeconds: number;
  clock: Clock;
  /** Journal size that triggers folding it into the shard files (default 4 MiB, ~12k registrations). */
  compactBytes?: number;
  /** Called with errors of background work (compaction); registrations reject their own caller. */
  onError?: (err: unknown) => void;
}

const SHARD_FILE = /^shard-(\d+)of(\d+)\.json$/;
const JOURNAL_FILE = /^journal-(\d+)\.ndjson$/;
const COMPACT_BYTES = 4 * 1024 * 1024;
const PRUNE_EVERY_MS = 60_000;
const MAX_CLAIMS = 200_000;

export class LowdbStore implements DirectoryStore {
  readonly kind = 'lowdb' as const;
  readonly #opts: LowdbStoreOptions;
  readonly #dir: string;
  readonly #shards: CoalescingDb<ShardData>[] = [];
  readonly #byId = new Map<string, NodeRecord>();
  readonly #ids = new SortedIds();
  readonly #byCapability = new Map<string, SortedIds>();
  readonly #claims = new Map<string, number>();
  /** Shards changed since they were last written. */
  readonly #dirty = new Set<CoalescingDb<ShardData>>();
  #journal!: Journal;
  #journalSeq = 0;
  #compacting: Promise<void> | null = null;
  #lastPrune = 0;

  private constructor(opts: LowdbStoreOptions) {
    this.#opts = opts;
    this.#dir = join(opts.dataDir, 'nodes');
  }

  static async open(opts: LowdbStoreOptions): Promise<LowdbStore> {
    const store = new LowdbStore(opts);
    await store.#load();
    return store;
  }

  /** File writes so far: shard rewrites plus journal syncs (benchmarks report it). */
  get writes(): number {
    return this.#shards.reduce((n, s) => n + s.writes, 0) + this.#journalSyncs + this.#journal.syncs;
  }

  #journalSyncs = 0;

  async #load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const files = await readdir(this.#dir);
    // A crash during a write leaves its temp file behind; the target file still holds the previous state.
    await Promise.all(
      files.filter((f) => f.startsWith('.') && f.endsWith('.tmp')).map((f) => unlink(join(this.#dir, f))),
    );
    const n = this.#opts.shards;
    for (let i = 0; i < n; i++) {
      const db = new CoalescingDb<ShardData>(new ShardFile(this.#path(i)), new ShardData());
      this.#shards.push(db);
    }
    // Files of another shard count (the setting changed) are merged in, rewritten, then removed; journals left
    // by a crash are replayed, folded into the shards, then removed. A crash in between leaves a record in two
    // files; the one with the higher ts wins on the next start.
    const obsolete: string[] = [];
    for (const f of files) {
      const m = SHARD_FILE.exec(f);
      if (!m) continue;
      if (Number(m[2]) !== n || Number(m[1]) >= n) obsolete.push(f);
      for (const rec of await new ShardFile(join(this.#dir, f)).records()) this.#place(rec);
    }
    for (const f of files.filter((f) => JOURNAL_FILE.test(f)).sort(bySeq)) {
      this.#journalSeq = Math.max(this.#journalSeq, seqOf(f));
      obsolete.push(f);
      for (const rec of await readJournal(join(this.#dir, f))) this.#place(rec);
    }
    this.#prune(this.#opts.clock.now());
    if (obsolete.length > 0) {
      await Promise.all(this.#shards.map((s) => s.commit()));
      this.#dirty.clear();
      await Promise.all(obsolete.map((f) => unlink(join(this.#dir, f))));
    }
    this.#journal = await Journal.open(this.#journalPath(++this.#journalSeq));
  }

  #journalPath(seq: number): string {
    return join(this.#dir, `journal-${seq}.ndjson`);
  }

  /** Starts a new journal, writes the changed shards, then drops the old journal. */
  #compact(): Promise<void> {
    this.#compacting ??= (async () => {
      const old = this.#journal;
      this.#journal = await Journal.open(this.#journalPath(++this.#journalSeq));
      await old.close();
      this.#journalSyncs += old.syncs;
      const dirty = [...this.#dirty];
      this.#dirty.clear();
      try {
        await Promise.all(dirty.map((s) => s.commit()));
      } catch (err) {
        for (const s of dirty) this.#dirty.add(s);
        throw err; // the old journal stays: it is replayed at the next start
      }
      await unlink(old.path);
    })().finally(() => {
      this.#compacting = null;
    });
    return this.#compacting;
  }

  #path(i: number): string {
    return join(this.#dir, `shard-${i}of${this.#opts.shards}.json`);
  }

  #shardOf(id: string): CoalescingDb<ShardData> {
    // Ids are 'or' + base32 (a-z, 2-7) of a hash: 4 characters give 20 well-mixed bits.
    let v = 0;
    for (let i = 2; i < 6; i++) {
      const c = id.charCodeAt(i);
      v = v * 32 + (c >= 97 ? c - 97 : c - 24); // '2' (50) -> 26 ... '7' (55) -> 31
    }
    return this.#shards[v % this.#shards.length]!;
  }

  #place(rec: NodeRecord): void {
    const old = this.#byId.get(rec.node_id);
    if (old && old.ts >= rec.ts) return;
    this.#index(rec, old);
  }

  #index(rec: NodeRecord, old: NodeRecord | undefined): void {
    const id = rec.node_id;
    if (old) {
      for (const c of old.capabilities) if (!rec.capabilities.includes(c)) this.#capIndex(c).delete(id);
    } else {
      this.#ids.add(id);
    }
    for (const c of rec.capabilities) this.#capIndex(c).add(id);
    this.#byId.set(id, rec);
    const shard = this.#shardOf(id);
    shard.data.set(rec);
    this.#dirty.add(shard);
  }

  #unindex(rec: NodeRecord): void {
    const id = rec.node_id;
    this.#ids.delete(id);
    for (const c of rec.capabilities) this.#capIndex(c).delete(id);
    this.#byId.delete(id);
    const shard = this.#shardOf(id);
    shard.data.delete(id);
    this.#dirty.add(shard);
  }

  #capIndex(c: string): SortedIds {
    let ids = this.#byCapability.get(c);
    if (!ids) this.#byCapability.set(c, (ids = new SortedIds()));
    return ids;
  }

  #cutoff(now: number): number {
    return now - this.#opts.retentionSeconds * 1000;
  }

  #live(id: string, now: number): NodeRecord | undefined {
    const rec = this.#byId.get(id);
    return rec && rec.last_seen >= this.#cutoff(now) ? rec : undefined;
  }

  /** Forgets nodes past retention. Not journaled: a forgotten node replayed from a journal is forgotten again. */
  #prune(now: number): void {
    this.#lastPrune = now;
    const cutoff = this.#cutoff(now);
    for (const rec of this.#byId.values()) if (rec.last_seen < cutoff) this.#unindex(rec);
  }

  async upsertNode(record: NodeRecord): Promise<void> {
    const now = this.#opts.clock.now();
    const old = this.#live(record.node_id, now);
    if (old && old.ts >= record.ts) throw staleRegistration(old.ts);
    const rec = structuredClone(record);
    this.#index(rec, this.#byId.get(record.node_id));
    if (now - this.#lastPrune >= PRUNE_EVERY_MS) this.#prune(now);
    await this.#journal.append(rec);
    if (this.#journal.bytes >= (this.#opts.compactBytes ?? COMPACT_BYTES) && !this.#compacting) {
      this.#compact().catch((err) => this.#opts.onError?.(err));
    }
  }

  async getNode(id: string): Promise<NodeRecord | null> {
    return this.#live(id, this.#opts.clock.now()) ?? null;
  }

  async listNodes(filter: NodeFilter, after: string | null, limit: number): Promise<NodeListPage> {
    const ids = filter.capability === undefined ? this.#ids : this.#byCapability.get(filter.capability);
    if (!ids) return { nodes: [], after: null };
    const cutoff = this.#cutoff(this.#opts.clock.now());
    const since = Math.max(filter.since ?? -Infinity, cutoff);
    const before = filter.before ?? Infinity;
    const nodes: NodeRecord[] = [];
    let scanned = 0;
    let last: string | null = null;
    for (const id of ids.after(after)) {
      if (nodes.length >= limit || scanned >= MAX_SCAN_PER_PAGE) return { nodes, after: last };
      scanned++;
      last = id;
      const rec = this.#byId.get(id)!;
      if (rec.last_seen >= since && rec.last_seen < before) nodes.push(rec);
    }
    return { nodes, after: null };
  }

  async counts(activeSince: number, onlineSince: number): Promise<NodeCounts> {
    const cutoff = this.#cutoff(this.#opts.clock.now());
    const c = { total: 0, active: 0, stale: 0, offline: 0 };
    for (const rec of this.#byId.values()) {
      if (rec.last_seen < cutoff) continue;
      c.total++;
      if (rec.last_seen >= activeSince) c.active++;
      else if (rec.last_seen >= onlineSince) c.stale++;
      else c.offline++;
    }
    return c;
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    const now = this.#opts.clock.now();
    // Entries are inserted in time order with one TTL, so expired ones are at the front.
    for (const [k, exp] of this.#claims) {
      if (exp > now && this.#claims.size < MAX_CLAIMS) break;
      this.#claims.delete(k);
    }
    const exp = this.#claims.get(key);
    if (exp !== undefined && exp > now) return false;
    this.#claims.set(key, now + ttlMs);
    return true;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  /** Folds the journal into the shard files, so the next start reads only them. */
  async close(): Promise<void> {
    await this.#compacting?.catch(() => undefined);
    await this.#compact();
    await this.#journal.close();
    await unlink(this.#journal.path);
    await Promise.all(this.#shards.map((s) => s.flush()));
  }
}

function seqOf(file: string): number {
  return Number(JOURNAL_FILE.exec(file)![1]);
}

function bySeq(a: string, b: string): number {
  return seqOf(a) - seqOf(b);
}
