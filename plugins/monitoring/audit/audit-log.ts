/**
 * The audit log as the monitoring module uses it: one writer per log folder in the process (shared by the
 * module's versions across hot reloads, so two versions never fork the chain), plus verification and
 * queries that run between appends.
 */
import type { Clock, Collection, PluginLogger } from '@openred/plugin-sdk';
import { genesisHash, openHead, type AuditEntry } from './entry.js';
import { logFingerprint } from './files.js';
import { hashNodeId } from './recorder.js';
import { readEntries, verifyAuditLog, type VerifyReport } from './verify.js';
import { AuditWriter, type OpenFindings } from './writer.js';

export interface AuditLogOptions {
  dir: string;
  /** Seals lines and the head. */
  key: Buffer;
  /** Keys the node-id hashes. */
  idKey: Buffer;
  nodeId: string;
  publicKey: string;
  sign(hash: Buffer): Promise<Buffer>;
  verify(publicKey: string, purpose: string, data: Uint8Array, signature: Uint8Array): boolean;
  head: Collection<{ sealed: string | null }>;
  clock: Clock;
  maxFileBytes: number;
  log: PluginLogger;
}

export interface AuditQuery {
  /** Entries at or after this time (ms). */
  since?: number;
  /** Exact event name, or a prefix ending in `.` or `*` (`auth.`, `auth.*`). */
  event?: string;
  /** A node id: entries mentioning its keyed hash. */
  peer?: string;
  /** The newest `limit` matches (default 200). */
  limit?: number;
}

interface Shared {
  writer: Promise<{ writer: AuditWriter; findings: OpenFindings }>;
  /** The versions using it, oldest first; only the newest records events (no duplicates during a reload). */
  users: AuditLog[];
}

const REGISTRY = Symbol.for('openred.monitoring.audit-writers');
const registry = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map()) as Map<string, Shared>;

export class AuditLog {
  readonly #o: AuditLogOptions;
  readonly #writer: AuditWriter;
  #released = false;
  /** The last verification and the bytes it covered (see verify()). */
  #lastCheck: { fingerprint: string; report: VerifyReport } | undefined;

  private constructor(options: AuditLogOptions, writer: AuditWriter) {
    this.#o = options;
    this.#writer = writer;
  }

  /** Opens (or joins) the log of `dir`; `findings` is set only for the version that opened it. */
  static async open(o: AuditLogOptions): Promise<{ log: AuditLog; findings: OpenFindings | undefined }> {
    let shared = registry.get(o.dir);
    const fresh = shared === undefined;
    if (!shared) {
      shared = {
        users: [],
        writer: AuditWriter.open({
          dir: o.dir,
          key: o.key,
          sign: o.sign,
          genesis: genesisHash(o.nodeId),
          clock: o.clock,
          maxFileBytes: o.maxFileBytes,
          head: {
            load: () => o.head.data.sealed,
            save: async (sealed) => {
              o.head.data.sealed = sealed;
              await o.head.commit();
            },
          },
        }),
      };
      registry.set(o.dir, shared);
      shared.writer.catch(() => registry.delete(o.dir));
    }
    const { writer, findings } = await shared.writer;
    const log = new AuditLog(o, writer);
    shared.users.push(log);
    return { log, findings: fresh ? findings : undefined };
  }

  /**
   * Queues an entry; failures are counted and logged, never thrown at the event's emitter. While a newer
   * version of the module shares this log (hot reload), this one stays silent: the newer one records.
   */
  record(event: string, source: string, data: Record<string, unknown>): Promise<AuditEntry | undefined> {
    if (registry.get(this.#o.dir)?.users.at(-1) !== this) return Promise.resolve(undefined);
    return this.#writer.append(event, source, data).catch((err: unknown) => {
      this.#o.log.error({ err: (err as Error).message, event }, 'audit entry not written');
      return undefined;
    });
  }

  /**
   * Checks the whole log. The report of the last check is reused while the log's bytes (every file and the
   * sealed head) are the same: hashing them costs far less than one signature check per entry, and any change
   * anywhere, an append or a tampered line, makes the check run again.
   */
  verify(): Promise<VerifyReport> {
    return this.#writer.exclusive(async () => {
      const fingerprint = await logFingerprint(this.#o.dir, this.#o.head.data.sealed);
      if (this.#lastCheck?.fingerprint === fingerprint) return this.#lastCheck.report;
      let head;
      try {
        head = this.#o.head.data.sealed ? openHead(this.#o.key, this.#o.head.data.sealed) : undefined;
      } catch {
        head = undefined;
      }
      const report = await verifyAuditLog({
        dir: this.#o.dir,
        key: this.#o.key,
        genesis: genesisHash(this.#o.nodeId),
        publicKey: this.#o.publicKey,
        verify: this.#o.verify,
        head,
      });
      this.#lastCheck = { fingerprint, report };
      return report;
    });
  }

  async query(q: AuditQuery): Promise<{ entries: Array<Omit<AuditEntry, 'sig'>>; matched: number }> {
    const located = await this.#writer.exclusive(() => readEntries(this.#o.dir, this.#o.key));
    const peerHash = q.peer ? hashNodeId(this.#o.idKey, q.peer) : undefined;
    const prefix = q.event?.endsWith('*')
      ? q.event.slice(0, -1)
      : q.event?.endsWith('.')
        ? q.event
        : undefined;
    const matches = located
      .map((l) => l.entry)
      .filter(
        (e) =>
          (q.since === undefined || e.ts >= q.since) &&
          (q.event === undefined ||
            (prefix !== undefined ? e.event.startsWith(prefix) : e.event === q.event)) &&
          (peerHash === undefined || JSON.stringify(e.data).includes(peerHash)),
      );
    const limit = q.limit ?? 200;
    return {
      entries: matches.slice(Math.max(0, matches.length - limit)).map(({ sig: _sig, ...rest }) => rest),
      matched: matches.length,
    };
  }

  get stats(): {
    seq: number;
    file: string;
    size: number;
    written: number;
    failed: number;
    lastError: string | null;
  } {
    const w = this.#writer;
    return { ...w.state, written: w.written, failed: w.failed, lastError: w.lastError };
  }

  /** Leaves the shared writer; the last version out closes it (after pending appends). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const shared = registry.get(this.#o.dir);
    if (!shared) return;
    shared.users = shared.users.filter((u) => u !== this);
    if (shared.users.length > 0) return;
    registry.delete(this.#o.dir);
    await this.#writer.close();
  }
}
