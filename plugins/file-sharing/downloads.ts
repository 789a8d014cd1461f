import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import {
  errors,
  PluginHttpError,
  type Clock,
  type Collection,
  type PeerClient,
  type PluginLogger,
  type PluginStorage,
} from '@openred/plugin-sdk';
import { openChunkInto } from './blob-store.js';
import { BufferPool } from './buffer-pool.js';
import type { FileSharingConfig } from './config.js';
import { nodeFs, type DownloadFile, type DownloadFs } from './download-fs.js';
import { parseLink } from './link.js';
import { sanitizeName } from './paths.js';

export type DownloadState = 'running' | 'interrupted' | 'done' | 'failed' | 'cancelled';

export interface DownloadRecord {
  id: string;
  link: string;
  peer: string;
  file_id: string;
  /** The sharer's transfer: resuming under it uses no further download of the link. */
  transfer: string | null;
  name: string;
  size: number;
  sha256: string;
  chunk_bytes: number;
  target: string;
  temp: string;
  state: DownloadState;
  /** Verified bytes in the temp file. */
  bytes: number;
  /** Bytes found already verified when the download last (re)started. */
  resumed_from: number;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
  error: { code: string; message: string } | null;
}

export interface DownloadView extends DownloadRecord {
  /** Bytes per second over the last seconds (0 when not running). */
  rate_bps: number;
}

/** Metadata a sharer answers to `POST /p2p/file-request`. */
export interface FileMeta {
  file_id: string;
  name: string;
  size: number;
  sha256: string;
  chunk_bytes: number;
  chunk_count: number;
  expires_at: number;
  downloads_left: number;
}

/** An error that ends a download; `resumable` ones leave it `interrupted` with its temp file kept. */
export class DownloadError extends PluginHttpError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly resumable: boolean,
  ) {
    super(code, message, status);
  }
}

/** What the sharer answers to `POST /p2p/file-transfer`. */
interface TransferAnswer {
  transfer: string;
  /** SHA-256 of each chunk's plaintext, base64url. */
  chunks: string[];
  /** Chunks travel as stored by the sharer: AES-256-GCM under `key` (base64url), bound to `blob` and the index. */
  cipher: string;
  blob: string;
  key: string;
}

interface Job {
  record: DownloadRecord;
  /** The chunk key of the current transfer (kept in memory only). */
  chunkKey?: { key: Buffer; blob: string };
  abort: AbortController;
  /** Why it was aborted: the owner cancelled it, or the plugin is unloading. */
  reason?: 'cancel' | 'stop';
  done: Promise<void>;
  samples: Array<[number, number]>;
  failures: number;
  /** Bumped at each counted failure: requests that were in flight together fail together and count once. */
  failureRound: number;
  paceAt: number;
}

export interface DownloadManagerOptions {
  peers: PeerClient;
  storage: PluginStorage;
  clock: Clock;
  log: PluginLogger;
  config: FileSharingConfig;
  nodeId: string;
  /** Absolute folder used when no target is given. */
  downloadDir: string;
  fs?: DownloadFs;
  /** Told about each download that finished verified and published under its final name. */
  onDone?: (record: DownloadRecord) => void;
}

/** Thrown errors from the peer client that no retry can fix; all others (peer offline...) are retried. */
const PERMANENT_THROWN = new Set(['OR_ERR_NODE_ID', 'OR_ERR_SELF', 'OR_ERR_VALIDATION']);
const KEEP_RECORDS = 200;
/** AES-GCM tag after each chunk's ciphertext. */
const TAG = 16;

/**
 * The downloading side: `start(link, path)` checks the link with its sharer and the target on disk (answering
 * errors at once), then a background job opens (or resumes) a transfer and fetches chunks, `parallel` at a
 * time. Each chunk is authenticated on arrival (AES-GCM under the transfer's key, bound to its index) and
 * written in order, by one writer, to a temp file next to the target, which thus always holds a verified prefix;
 * the whole file's SHA-256 is computed as it is written. Only a file matching it is published under the target
 * name, and never over an existing file. A download that loses its peer (after `maxRetries` consecutive
 * failures) is left `interrupted`: starting the same link again checks the temp file against the per-chunk
 * SHA-256 list and continues from the first chunk that is missing or wrong.
 */
export class DownloadManager {
  readonly #o: DownloadManagerOptions;
  readonly #fs: DownloadFs;
  readonly #table: Collection<{ downloads: DownloadRecord[] }>;
  readonly #jobs = new Map<string, Job>();

  private constructor(o: DownloadManagerOptions, table: Collection<{ downloads: DownloadRecord[] }>) {
    this.#o = o;
    this.#fs = o.fs ?? nodeFs;
    this.#table = table;
  }

  static async open(o: DownloadManagerOptions): Promise<DownloadManager> {
    const table = await o.storage.collection<{ downloads: DownloadRecord[] }>('downloads', { downloads: [] });
    let changed = false;
    for (const r of table.data.downloads) {
      if (r.state !== 'running') continue;
      r.state = 'interrupted';
      r.error = { code: 'OR_ERR_NODE_RESTARTED', message: 'the node restarted during the download' };
      changed = true;
    }
    if (changed) await table.commit();
    return new DownloadManager(o, table);
  }

  list(): DownloadView[] {
    return this.#table.data.downloads.map((r) => this.#view(r));
  }

  get(id: string): DownloadView {
    const r = this.#table.data.downloads.find((d) => d.id === id);
    if (!r) throw errors.notFound('OR_ERR_DOWNLOAD_UNKNOWN', `no download ${id}`);
    return this.#view(r);
  }

  /**
   * Starts downloading `link` into `path` (an absolute file path, or a folder to put the file in; default: the
   * download folder), or resumes an interrupted download of the same link into the same place.
   */
  async start(link: string, path?: string): Promise<DownloadView> {
    const { node, fileId } = parseLink(link);
    if (node === this.#o.nodeId)
      throw errors.badRequest('OR_ERR_SELF', "this link is one of this node's shares");
    if (path !== undefined && !isAbsolute(path)) {
      throw errors.badRequest('OR_ERR_TARGET_INVALID', 'the download path must be absolute');
    }
    const same = this.#table.data.downloads.find(
      (r) =>
        r.link === link &&
        (r.state === 'running' || r.state === 'interrupted') &&
        (path === undefined || r.target === resolve(path) || dirname(r.target) === resolve(path)),
    );
    if (same) {
      if (same.state === 'interrupted') await this.#launch(same);
      return this.#view(same);
    }

    const meta = checkMeta(
      await this.#call<FileMeta>(node, '/file-request', { file_id: fileId }),
      fileId,
      this.#o.config.maxFileBytes,
    );
    const name = sanitizeName(meta.name);
    let base = path;
    if (base === undefined) {
      base = this.#o.downloadDir;
      await mkdir(base, { recursive: true, mode: 0o700 });
    }
    const target = (await this.#fs.isDir(base)) ? join(base, name) : resolve(base);
    const dir = dirname(target);
    if (!(await this.#fs.isDir(dir))) {
      throw errors.badRequest('OR_ERR_TARGET_INVALID', `folder ${dir} does not exist`);
    }
    if (await this.#fs.kind(target)) {
      throw errors.conflict('OR_ERR_TARGET_EXISTS', `${target} already exists; choose another path`);
    }
    const free = await this.#fs.available(dir);
    if (free !== undefined && free < meta.size) {
      throw new PluginHttpError(
        'OR_ERR_DISK_FULL',
        `${dir} has ${free} bytes free; the file needs ${meta.size}`,
        507,
      );
    }
    const id = randomBytes(9).toString('base64url');
    const now = this.#o.clock.now();
    const record: DownloadRecord = {
      id,
      link,
      peer: node,
      file_id: fileId,
      transfer: null,
      name,
      size: meta.size,
      sha256: meta.sha256,
      chunk_bytes: meta.chunk_bytes,
      target,
      temp: join(dir, `.${basename(target)}.${id}.part`),
      state: 'running',
      bytes: 0,
      resumed_from: 0,
      started_at: now,
      updated_at: now,
      finished_at: null,
      error: null,
    };
    this.#table.data.downloads.push(record);
    this.#trim();
    await this.#launch(record);
    return this.#view(record);
  }

  /** Stops a download and removes its temp file. */
  async cancel(id: string): Promise<DownloadView> {
    const r = this.#table.data.downloads.find((d) => d.id === id);
    if (!r) throw errors.notFound('OR_ERR_DOWNLOAD_UNKNOWN', `no download ${id}`);
    const job = this.#jobs.get(id);
    if (job) {
      job.reason = 'cancel';
      job.abort.abort();
      await job.done;
    } else if (r.state === 'interrupted') {
      await this.#fs.remove(r.temp).catch(() => undefined);
      this.#finish(r, 'cancelled', { code: 'OR_ERR_CANCELLED', message: 'cancelled by the owner' });
      await this.#table.commit();
    }
    return this.#view(r);
  }

  /** Interrupts every running download (they stay resumable) and waits for them. */
  async stop(): Promise<void> {
    for (const job of this.#jobs.values()) {
      job.reason ??= 'stop';
      job.abort.abort();
    }
    await Promise.all([...this.#jobs.values()].map((j) => j.done));
  }

  async #launch(record: DownloadRecord): Promise<void> {
    record.state = 'running';
    record.error = null;
    record.finished_at = null;
    record.updated_at = this.#o.clock.now();
    await this.#table.commit();
    const job: Job = {
      record,
      abort: new AbortController(),
      done: Promise.resolve(),
      samples: [],
      failures: 0,
      failureRound: 0,
      paceAt: 0,
    };
    this.#jobs.set(record.id, job);
    job.done = this.#run(job).finally(() => this.#jobs.delete(record.id));
  }

  async #run(job: Job): Promise<void> {
    const r = job.record;
    let fh: DownloadFile | undefined;
    try {
      const t = await this.#retrying(job, () =>
        this.#call<TransferAnswer>(r.peer, '/file-transfer', {
          file_id: r.file_id,
          ...(r.transfer ? { transfer: r.transfer } : {}),
        }),
      );
      const count = chunkCount(r.size, r.chunk_bytes);
      if (
        typeof t?.transfer !== 'string' ||
        !Array.isArray(t.chunks) ||
        t.chunks.length !== count ||
        t.chunks.some((h) => typeof h !== 'string') ||
        t.cipher !== 'aes-256-gcm' ||
        typeof t.blob !== 'string' ||
        typeof t.key !== 'string' ||
        Buffer.from(t.key, 'base64url').length !== 32
      ) {
        throw new DownloadError('OR_ERR_PEER_ANSWER', 'the sharer sent an invalid chunk list', 502, false);
      }
      if (r.transfer !== t.transfer) {
        r.transfer = t.transfer;
        await this.#table.commit();
      }
      const fresh = (await this.#fs.kind(r.temp)) === undefined;
      fh = await this.#fs.openTemp(r.temp, fresh);
      const hasher = createHash('sha256');
      const next = fresh ? 0 : await this.#verifyPrefix(fh, r, t.chunks, hasher);
      r.resumed_from = Math.min(next * r.chunk_bytes, r.size);
      r.bytes = r.resumed_from;
      job.chunkKey = { key: Buffer.from(t.key, 'base64url'), blob: t.blob };
      await this.#fetchAll(job, fh, t.chunks, hasher, next);
      if (hasher.digest('hex') !== r.sha256) {
        throw new DownloadError('OR_ERR_FILE_HASH', 'the file does not match its SHA-256', 502, false);
      }
      await fh.truncate(r.size);
      await fh.sync();
      await fh.close();
      fh = undefined;
      try {
        await this.#fs.publish(r.temp, r.target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new DownloadError(
            'OR_ERR_TARGET_EXISTS',
            `${r.target} appeared during the download`,
            409,
            false,
          );
        }
        throw err;
      }
      r.bytes = r.size;
      this.#finish(r, 'done', null);
      await this.#table.commit();
      this.#o.onDone?.(r);
      void this.#call(r.peer, '/file-done', { file_id: r.file_id, transfer: r.transfer }).catch(
        () => undefined,
      );
    } catch (err) {
      await fh?.close().catch(() => undefined);
      const e = toDownloadError(err);
      if (job.reason === 'cancel') {
        await this.#fs.remove(r.temp).catch(() => undefined);
        this.#finish(r, 'cancelled', { code: 'OR_ERR_CANCELLED', message: 'cancelled by the owner' });
      } else if (job.reason === 'stop' || e.resumable) {
        const error = job.reason === 'stop' ? { code: 'OR_ERR_STOPPED', message: 'the node stopped' } : e;
        r.state = 'interrupted';
        r.error = { code: error.code, message: error.message };
        r.updated_at = this.#o.clock.now();
      } else {
        await this.#fs.remove(r.temp).catch(() => undefined);
        this.#finish(r, 'failed', { code: e.code, message: e.message });
      }
      this.#o.log.info({ download: r.id, state: r.state, error: r.error?.code }, 'download ended');
      await this.#table
        .commit()
        .catch((werr) => this.#o.log.error({ err: String(werr) }, 'cannot record download'));
    } finally {
      job.chunkKey?.key.fill(0);
    }
  }

  /** How many leading chunks of the temp file are already right (feeding them to the file hash). */
  async #verifyPrefix(
    fh: DownloadFile,
    r: DownloadRecord,
    hashes: string[],
    hasher: ReturnType<typeof createHash>,
  ): Promise<number> {
    const buf = Buffer.allocUnsafe(r.chunk_bytes);
    let i = 0;
    for (; i < hashes.length; i++) {
      const len = chunkLength(r, i);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(buf, got, len - got, i * r.chunk_bytes + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const chunk = buf.subarray(0, len);
      if (got < len || sha256b64(chunk) !== hashes[i]) break;
      hasher.update(chunk);
    }
    return i;
  }

  async #fetchAll(
    job: Job,
    fh: DownloadFile,
    hashes: string[],
    hasher: ReturnType<typeof createHash>,
    start: number,
  ): Promise<void> {
    const r = job.record;
    const width = this.#o.config.parallel;
    // Chunks fetched and checked, waiting for their turn to be written: one writer, in file order, so the temp
    // file always holds a verified prefix and concurrent writes do not contend for the file.
    const ready = new Map<number, Buffer>();
    // Each chunk is received and decrypted in place in one of these (see BufferPool); given back once written.
    const pool = new BufferPool(r.chunk_bytes + TAG, 3 * width);
    let nextIssue = start;
    let nextWrite = start;
    let failure: unknown;
    let writing: Promise<void> | undefined;
    let wake: Array<() => void> = [];
    const wakeAll = () => {
      const w = wake;
      wake = [];
      for (const f of w) f();
    };
    const writeReady = async (): Promise<void> => {
      try {
        while (failure === undefined && ready.has(nextWrite)) {
          const chunk = ready.get(nextWrite)!;
          // The write runs on libuv's thread pool while this thread hashes the same bytes (neither changes them).
          const written = writeAt(fh, chunk, nextWrite * r.chunk_bytes);
          hasher.update(chunk);
          await written;
          r.bytes += chunk.length;
          sample(job, r.bytes);
          ready.delete(nextWrite++);
          pool.give(chunk);
          wakeAll();
        }
      } catch (err) {
        failure ??= err;
      }
      // No await between the loop's last check and this: a chunk that arrives later starts a new writer.
      writing = undefined;
      wakeAll();
    };
    const worker = async (): Promise<void> => {
      while (failure === undefined && !job.abort.signal.aborted) {
        // Keep the chunks waiting to be written in order bounded.
        while (nextIssue - nextWrite >= 2 * width && failure === undefined) {
          await new Promise<void>((res) => wake.push(res));
        }
        if (failure !== undefined || nextIssue >= hashes.length) return;
        const i = nextIssue++;
        try {
          ready.set(i, await this.#chunk(job, pool, i));
          // The writer's first step always awaits, so `writing` is set before it can clear it.
          if (writing === undefined && failure === undefined && ready.has(nextWrite)) writing = writeReady();
        } catch (err) {
          failure ??= err;
          wakeAll();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(width, hashes.length - start)) }, worker));
    while (writing) await writing;
    if (failure !== undefined) throw failure;
    if (job.abort.signal.aborted) throw new DownloadError('OR_ERR_STOPPED', 'stopped', 503, true);
    if (nextWrite !== hashes.length) throw new Error(`download stopped at chunk ${nextWrite}`); // a bug, not a peer
  }

  /**
   * Fetches and checks one chunk, retrying transient failures and (twice) a corrupted chunk. The chunk is in a
   * buffer of `pool`, for the caller to give back.
   */
  async #chunk(job: Job, pool: BufferPool, index: number): Promise<Buffer> {
    const r = job.record;
    const len = chunkLength(r, index);
    let corrupt = 0;
    for (;;) {
      if (job.abort.signal.aborted) throw new DownloadError('OR_ERR_STOPPED', 'stopped', 503, true);
      await this.#pace(job, len);
      const round = job.failureRound;
      const buf = pool.take();
      let data: Buffer | undefined;
      try {
        const res = await this.#o.peers.request(
          r.peer,
          'POST',
          '/file-chunk',
          { file_id: r.file_id, transfer: r.transfer, index },
          { timeoutMs: this.#o.config.chunkTimeoutMs, into: buf },
        );
        if (res.status !== 200 || !Buffer.isBuffer(res.body)) throw answerError(res.status, res.body);
        data = decrypt(job, index, res.body, buf);
      } catch (err) {
        pool.give(buf);
        const e = toDownloadError(err);
        if (!e.resumable || e.code === 'OR_ERR_STOPPED') throw e;
        // One cut or outage fails every request in flight: only the first of them counts as a failure.
        if (round === job.failureRound) {
          job.failureRound++;
          if (++job.failures > this.#o.config.maxRetries) throw e;
        } else if (job.failures > this.#o.config.maxRetries) throw e;
        await sleep(retryDelay(job.failures, this.#o.config.retryBaseMs), job.abort.signal);
        continue;
      }
      // Its AES-GCM tag, under a key only the sharer and this node hold and bound to the blob and index, is the
      // check on arrival; the chunk's SHA-256 is not computed again here (a second hash pass per byte, a tenth
      // of the transfer's speed): what it would add is caught by the whole-file SHA-256 before publishing.
      if (data?.length === len) {
        job.failures = 0;
        return data;
      }
      pool.give(buf);
      this.#o.log.warn({ download: r.id, index }, 'chunk failed authentication');
      if (++corrupt > 2) {
        throw new DownloadError('OR_ERR_CHUNK_CORRUPT', `chunk ${index} failed authentication`, 502, false);
      }
    }
  }

  async #retrying<T>(job: Job, fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const v = await fn();
        job.failures = 0;
        return v;
      } catch (err) {
        const e = toDownloadError(err);
        if (!e.resumable || ++job.failures > this.#o.config.maxRetries) throw e;
        await sleep(retryDelay(job.failures, this.#o.config.retryBaseMs), job.abort.signal);
      }
    }
  }

  /** Bandwidth cap (`maxBytesPerSecond`): spaces chunk requests out in real time. */
  async #pace(job: Job, bytes: number): Promise<void> {
    const rate = this.#o.config.maxBytesPerSecond;
    if (!rate) return;
    const now = performance.now();
    const at = Math.max(job.paceAt, now);
    job.paceAt = at + (bytes * 1000) / rate;
    if (at > now) await sleep(at - now, job.abort.signal);
  }

  async #call<T>(peer: string, path: string, body: unknown): Promise<T> {
    const res = await this.#o.peers.request<T>(peer, 'POST', path, body, {
      timeoutMs: this.#o.config.chunkTimeoutMs,
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw answerError(res.status, res.body);
  }

  #finish(r: DownloadRecord, state: DownloadState, error: DownloadRecord['error']): void {
    r.state = state;
    r.error = error;
    r.updated_at = r.finished_at = this.#o.clock.now();
  }

  #view(r: DownloadRecord): DownloadView {
    const job = this.#jobs.get(r.id);
    let rate = 0;
    if (job && job.samples.length > 1) {
      const [t0, b0] = job.samples[0]!;
      const [t1, b1] = job.samples[job.samples.length - 1]!;
      rate = t1 > t0 ? Math.round(((b1 - b0) * 1000) / (t1 - t0)) : 0;
    }
    return { ...r, rate_bps: rate };
  }

  /** Keeps the table small: the oldest finished records go first. */
  #trim(): void {
    const list = this.#table.data.downloads;
    while (list.length > KEEP_RECORDS) {
      const at = list.findIndex((d) => d.state !== 'running' && d.state !== 'interrupted');
      if (at === -1) break;
      list.splice(at, 1);
    }
  }
}

function checkMeta(m: FileMeta, fileId: string, maxBytes: number): FileMeta {
  const ok =
    m &&
    m.file_id === fileId &&
    typeof m.name === 'string' &&
    Number.isSafeInteger(m.size) &&
    m.size >= 0 &&
    typeof m.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(m.sha256) &&
    Number.isSafeInteger(m.chunk_bytes) &&
    m.chunk_bytes > 0 &&
    m.chunk_bytes <= 1024 * 1024 &&
    m.chunk_count === chunkCount(m.size, m.chunk_bytes);
  if (!ok) throw errors.badRequest('OR_ERR_PEER_ANSWER', 'the sharer sent invalid file metadata');
  if (m.size > maxBytes) {
    throw errors.tooLarge(
      'OR_ERR_FILE_TOO_LARGE',
      `the file has ${m.size} bytes; this node accepts ${maxBytes}`,
    );
  }
  return m;
}

/**
 * A chunk's plaintext, decrypted into `out` (where the peer client usually put the sealed bytes already), or
 * undefined when it does not authenticate (altered, or not this chunk) or is longer than a chunk.
 */
function decrypt(job: Job, index: number, sealed: Buffer, out: Buffer): Buffer | undefined {
  if (sealed.length > out.length) return undefined;
  try {
    return openChunkInto(job.chunkKey!.key, job.chunkKey!.blob, index, sealed, out);
  } catch {
    return undefined;
  }
}

function chunkCount(size: number, chunkBytes: number): number {
  return Math.ceil(size / chunkBytes);
}

function chunkLength(r: Pick<DownloadRecord, 'size' | 'chunk_bytes'>, i: number): number {
  return Math.min(r.chunk_bytes, r.size - i * r.chunk_bytes);
}

function sha256b64(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64url');
}

function sample(job: Job, bytes: number): void {
  const now = performance.now();
  job.samples.push([now, bytes]);
  while (job.samples.length > 2 && now - job.samples[0]![0] > 3000) job.samples.shift();
}

async function writeAt(fh: DownloadFile, data: Buffer, position: number): Promise<void> {
  try {
    let off = 0;
    while (off < data.length)
      off += (await fh.write(data, off, data.length - off, position + off)).bytesWritten;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new DownloadError(
        'OR_ERR_DISK_FULL',
        'the disk is full; free space and download again to resume',
        507,
        true,
      );
    }
    throw new DownloadError(
      'OR_ERR_WRITE_FAILED',
      `cannot write the download: ${code ?? String(err)}`,
      500,
      false,
    );
  }
}

/** An error answer of the sharer as a DownloadError: 408/429/502/503/504 may pass, the rest will not. */
function answerError(status: number, body: unknown): DownloadError {
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = e?.code ?? `OR_ERR_HTTP_${status}`;
  const transient =
    status === 408 ||
    (status === 429 && code !== 'OR_ERR_TRANSFER_BUDGET') ||
    (status >= 502 && status <= 504);
  return new DownloadError(code, e?.message ?? `the sharer answered ${status}`, status, transient);
}

function toDownloadError(err: unknown): DownloadError {
  if (err instanceof DownloadError) return err;
  const e = err as { code?: string; message?: string; status?: number; name?: string };
  if (e?.name === 'AbortError') return new DownloadError('OR_ERR_STOPPED', 'stopped', 503, true);
  // Errors of the peer client (peer offline, timeout, directory down...) carry OR_ERR_ codes and are worth a
  // retry; anything else (a local file-system error, a bug) is not.
  const coded = typeof e?.code === 'string' && e.code.startsWith('OR_ERR_');
  const code = coded ? e.code! : 'OR_ERR_DOWNLOAD_FAILED';
  const status = typeof e?.status === 'number' ? e.status : coded ? 502 : 500;
  const message = coded ? (e.message ?? code) : `download failed: ${e?.code ?? e?.message ?? String(err)}`;
  return new DownloadError(code, message, status, coded && !PERMANENT_THROWN.has(code));
}

function retryDelay(failures: number, baseMs: number): number {
  const nominal = Math.min(10_000, baseMs * 2 ** Math.min(failures - 1, 20));
  return nominal / 2 + Math.random() * (nominal / 2);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((res, rej) => {
    if (signal.aborted) return rej(new DownloadError('OR_ERR_STOPPED', 'stopped', 503, true));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      res();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      rej(new DownloadError('OR_ERR_STOPPED', 'stopped', 503, true));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
