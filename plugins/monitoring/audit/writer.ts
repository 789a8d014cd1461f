/**
 * Appends entries to the audit log: one at a time, each hash-chained to the one before, signed with the node
 * key, sealed, written and fsync'd before the next. Files rotate by size and the chain runs on across them.
 * After each entry a sealed "head" (last seq and hash) is stored apart from the log, so a truncated log is
 * detected, and a writer that finds the log shorter than its head continues from the head: the gap stays
 * visible to `verify` instead of being papered over.
 */
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '@openred/plugin-sdk';
import {
  entryHash,
  fileName,
  openHead,
  openLine,
  sealHead,
  sealLine,
  type AuditEntry,
  type AuditHead,
} from './entry.js';
import { listLogFiles, readLines } from './files.js';

export interface HeadStore {
  load(): string | null;
  save(sealed: string): Promise<void>;
}

export interface AuditWriterOptions {
  dir: string;
  key: Buffer;
  /** Signs an entry hash with the node key (through the crypto engine). */
  sign(hash: Buffer): Promise<Buffer>;
  head: HeadStore;
  genesis: string;
  clock: Clock;
  maxFileBytes: number;
}

interface ChainState {
  seq: number;
  hash: string;
  index: number;
  size: number;
}

/** What opening the log found that the log itself should record. */
export interface OpenFindings {
  /** The last file ended inside a line (terminated so appends start on a fresh line). */
  partialLine?: string;
  /** The head is ahead of the last readable entry: entries after it are missing. */
  gap?: { lastEntrySeq: number; headSeq: number };
}

export class AuditWriter {
  readonly #o: AuditWriterOptions;
  #state: ChainState;
  #fh: FileHandle | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  lastError: string | null = null;
  written = 0;
  failed = 0;

  private constructor(options: AuditWriterOptions, state: ChainState) {
    this.#o = options;
    this.#state = state;
  }

  static async open(options: AuditWriterOptions): Promise<{ writer: AuditWriter; findings: OpenFindings }> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const findings: OpenFindings = {};
    const files = await listLogFiles(options.dir);
    let state: ChainState = { seq: 0, hash: options.genesis, index: 1, size: 0 };
    let last: AuditEntry | undefined;
    for (let i = files.length - 1; i >= 0 && !last; i--) {
      const { lines, partial } = await readLines(files[i]!.path);
      if (i === files.length - 1 && partial !== undefined) {
        findings.partialLine = files[i]!.name;
        const fh = await open(files[i]!.path, 'a');
        await fh.write('\n');
        await fh.datasync();
        await fh.close();
      }
      for (let j = lines.length - 1; j >= 0 && !last; j--) {
        try {
          last = openLine(options.key, lines[j]!.text);
        } catch {
          // unreadable: `verify` reports it; look further back for where the chain stands
        }
      }
    }
    if (last) state = { seq: last.seq, hash: last.hash, index: 1, size: 0 };
    const sealedHead = options.head.load();
    let head: AuditHead | undefined;
    try {
      head = sealedHead ? openHead(options.key, sealedHead) : undefined;
    } catch {
      head = undefined;
    }
    if (head && head.seq > state.seq) {
      findings.gap = { lastEntrySeq: state.seq, headSeq: head.seq };
      state = { ...state, seq: head.seq, hash: head.hash };
    }
    const current = files.at(-1);
    if (current) {
      state.index = current.index;
      state.size = (await stat(current.path)).size;
    }
    const writer = new AuditWriter(options, state);
    if (!head || head.seq < state.seq) await writer.#saveHead();
    return { writer, findings };
  }

  /** Appends one entry; resolves once it is on disk (rejects, and counts a failure, if it could not be). */
  append(event: string, source: string, data: Record<string, unknown>): Promise<AuditEntry> {
    return this.exclusive(async () => {
      try {
        const entry = await this.#append(event, source, data);
        this.written++;
        this.lastError = null;
        return entry;
      } catch (err) {
        this.failed++;
        this.lastError = (err as Error).message ?? String(err);
        throw err;
      }
    });
  }

  /** Runs `fn` between appends (verification and reading see a log no append is halfway through). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  get state(): { seq: number; file: string; size: number } {
    return { seq: this.#state.seq, file: fileName(this.#state.index), size: this.#state.size };
  }

  /** Waits for pending appends, then closes the file. */
  close(): Promise<void> {
    return this.exclusive(async () => {
      this.#closed = true;
      await this.#fh?.close();
      this.#fh = undefined;
    });
  }

  async #append(event: string, source: string, data: Record<string, unknown>): Promise<AuditEntry> {
    if (this.#closed) throw new Error('audit log closed');
    const s = this.#state;
    const unsigned = {
      v: 1 as const,
      seq: s.seq + 1,
      ts: this.#o.clock.now(),
      event,
      source,
      data,
      prev: s.hash,
    };
    const hash = entryHash(unsigned);
    const sig = (await this.#o.sign(Buffer.from(hash, 'hex'))).toString('base64url');
    const entry: AuditEntry = { ...unsigned, hash, sig };
    const line = sealLine(this.#o.key, entry) + '\n';
    const bytes = Buffer.byteLength(line);
    if (s.size > 0 && s.size + bytes > this.#o.maxFileBytes) await this.#rotate();
    const fh = await this.#file();
    await fh.write(line);
    await fh.datasync();
    this.#state = { ...this.#state, seq: entry.seq, hash, size: this.#state.size + bytes };
    await this.#saveHead();
    return entry;
  }

  async #file(): Promise<FileHandle> {
    if (!this.#fh) {
      const path = join(this.#o.dir, fileName(this.#state.index));
      this.#fh = await open(path, 'a', 0o600);
      await this.#syncDir();
    }
    return this.#fh;
  }

  async #rotate(): Promise<void> {
    await this.#fh?.close();
    this.#fh = undefined;
    this.#state = { ...this.#state, index: this.#state.index + 1, size: 0 };
  }

  async #syncDir(): Promise<void> {
    try {
      const dir = await open(this.#o.dir, 'r');
      await dir.sync().finally(() => dir.close());
    } catch {
      // some filesystems cannot fsync a directory; the file itself is synced
    }
  }

  #saveHead(): Promise<void> {
    const { seq, hash, index } = this.#state;
    return this.#o.head.save(sealHead(this.#o.key, { seq, hash, file: fileName(index) }));
  }
}
