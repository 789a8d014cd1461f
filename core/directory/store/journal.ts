/**
 * An append-only file of node records (one JSON line each) with group commit: appends that arrive while a
 * write + fdatasync is running are written together by the next one, so a burst of registrations costs one
 * fsync, whatever the size of the table. The lowdb store acknowledges a registration once its line is synced
 * and folds the journal into the shard files from time to time (see lowdb-store.ts).
 *
 * A crash can leave a torn last line; `readJournal` skips lines that do not parse. Such a line was never
 * acknowledged: acknowledgement waits for the sync.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { NodeRecord } from './types.js';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class Journal {
  readonly path: string;
  readonly #fh: FileHandle;
  #pending: Buffer[] = [];
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | null = null;
  #bytes = 0;
  /** Write + sync rounds so far. */
  syncs = 0;

  private constructor(path: string, fh: FileHandle) {
    this.path = path;
    this.#fh = fh;
  }

  /** Creates (or appends to) the file, and makes its directory entry durable. */
  static async open(path: string): Promise<Journal> {
    const fh = await open(path, 'a', 0o600);
    try {
      const dir = await open(dirname(path), 'r');
      await dir.sync().catch(() => undefined);
      await dir.close();
    } catch {
      /* some filesystems refuse fsync on directories */
    }
    return new Journal(path, fh);
  }

  /** Bytes appended through this handle. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends one record; resolves once it is on disk. */
  append(rec: NodeRecord): Promise<void> {
    const line = Buffer.from(JSON.stringify(rec) + '\n');
    this.#bytes += line.length;
    return new Promise<void>((resolve, reject) => {
      this.#pending.push(line);
      this.#waiters.push({ resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const lines = this.#pending;
      const waiters = this.#waiters;
      this.#pending = [];
      this.#waiters = [];
      try {
        await this.#fh.write(Buffer.concat(lines));
        await this.#fh.datasync();
        this.syncs++;
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.#flushing = null;
  }

  /** Waits for pending appends, then closes the file. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    await this.#fh.close();
  }
}

/** The records of a journal file, in order; a torn or garbled line is skipped. */
export async function readJournal(path: string): Promise<NodeRecord[]> {
  const text = await readFile(path, 'utf8');
  const out: NodeRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const rec = JSON.parse(line) as NodeRecord;
      if (typeof rec?.node_id === 'string' && typeof rec.ts === 'number') out.push(rec);
    } catch {
      /* torn by a crash before it was acknowledged */
    }
  }
  return out;
}
