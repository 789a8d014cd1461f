import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  type Cipher,
  type Decipher,
} from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { errors, PluginHttpError } from '@openred/plugin-sdk';
import { BufferPool } from './buffer-pool.js';

const TAG = 16;
/** Bytes passed to the cipher per call: bounds the temporary buffer each call allocates for its output. */
const SLICE = 64 * 1024;
const CIPHER = 'aes-256-gcm';
/** Blobs kept open (and keys kept derived) at once; an idle handle closes after IDLE_CLOSE_MS. */
const MAX_OPEN = 32;
const IDLE_CLOSE_MS = 5000;
/** Leftovers younger than this are left alone (they may belong to a version of the plugin still running). */
export const LEFTOVER_AGE_MS = 3_600_000;

interface OpenBlob {
  fh: FileHandle;
  users: number;
  timer: NodeJS.Timeout | undefined;
}

/** What ingesting a file produced: its content address and per-chunk hashes. */
export interface BlobInfo {
  blob: string;
  size: number;
  /** SHA-256 of the whole file, hex. */
  sha256: string;
  chunkBytes: number;
  /** SHA-256 of each chunk's plaintext, base64url. */
  chunks: string[];
}

/**
 * Shared files at rest: one blob per share in the plugin's private folder, each chunk sealed with
 * AES-256-GCM under a key of its own, HKDF(plugin at-rest key, blob id). The nonce is the chunk index (a key
 * seals one blob only, so nonces never repeat) and the AAD binds blob id and index, so chunks cannot be
 * swapped or moved between blobs. Chunk i sits at offset i * (chunkBytes + 16): a chunk is read with one pread.
 */
export class BlobStore {
  readonly #dir: string;
  readonly #master: Buffer;
  /** Per-blob keys and open handles, kept while a blob is being served (a chunk is then one pread). */
  readonly #keys = new Map<string, Buffer>();
  readonly #open = new Map<string, OpenBlob>();
  /** Chunk buffers by size (one size per chunk setting the shares were made with). */
  readonly #pools = new Map<number, BufferPool>();

  constructor(dir: string, masterKey: Buffer) {
    this.#dir = dir;
    this.#master = masterKey;
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    // Blobs whose ingestion a crash interrupted (old ones only: a previous version of this plugin may still be
    // writing one during a hot reload).
    for (const f of await this.#older('.tmp', LEFTOVER_AGE_MS)) await rm(join(this.#dir, f), { force: true });
  }

  /** Closes open handles and forgets keys (plugin teardown). */
  async close(): Promise<void> {
    this.#pools.clear();
    await Promise.all([...this.#open.keys()].map((b) => this.#release(b, true)));
    for (const k of this.#keys.values()) k.fill(0);
    this.#keys.clear();
  }

  /**
   * Encrypts the file open as `source` into a new blob, hashing as it goes. Fails with OR_ERR_FILE_TOO_LARGE
   * if the file turns out longer than `maxBytes` (it may grow after it was checked).
   */
  async ingest(source: FileHandle, chunkBytes: number, maxBytes: number): Promise<BlobInfo> {
    const blob = randomBytes(16).toString('base64url');
    const key = this.#derive(blob);
    const tmp = join(this.#dir, `${blob}.tmp`);
    const out = await open(tmp, 'wx', 0o600);
    const fileHash = createHash('sha256');
    const chunks: string[] = [];
    const buf = Buffer.allocUnsafe(chunkBytes);
    // Ciphertext || tag of one chunk, reused: a fresh buffer per chunk would cost full collections (BufferPool).
    const sealed = Buffer.allocUnsafe(chunkBytes + TAG);
    let size = 0;
    try {
      for (let index = 0; ; index++) {
        const { bytesRead } = await readFull(source, buf, size);
        if (bytesRead === 0) break;
        size += bytesRead;
        if (size > maxBytes)
          throw errors.tooLarge('OR_ERR_FILE_TOO_LARGE', `files are limited to ${maxBytes} bytes`);
        const plain = buf.subarray(0, bytesRead);
        fileHash.update(plain);
        chunks.push(createHash('sha256').update(plain).digest('base64url'));
        const cipher = createCipheriv(CIPHER, key, nonce(index), { authTagLength: TAG });
        cipher.setAAD(aad(blob, index));
        let length = runCipher(cipher, plain, sealed);
        length += cipher.getAuthTag().copy(sealed, length);
        await writeFull(out, sealed.subarray(0, length));
        if (bytesRead < chunkBytes) break;
      }
      await out.sync();
      await out.close();
      await rename(tmp, this.#path(blob));
    } catch (err) {
      await out.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    } finally {
      key.fill(0);
    }
    return { blob, size, sha256: fileHash.digest('hex'), chunkBytes, chunks };
  }

  /**
   * Reads chunk `index` of a blob as stored (ciphertext || tag), for a peer that holds the blob's key: the
   * sharer then spends no cipher pass on it, and the peer checks it with {@link openChunkInto}. The bytes are in
   * a pooled buffer: call `release` once nothing uses them anymore (it is safe to skip on errors).
   */
  async readSealed(
    blob: string,
    index: number,
    chunkBytes: number,
    size: number,
  ): Promise<{ bytes: Buffer; release: () => void }> {
    const len = Math.min(chunkBytes, size - index * chunkBytes);
    const pool = this.#pool(chunkBytes + TAG);
    const buf = pool.take();
    const sealed = buf.subarray(0, len + TAG);
    const handle = await this.#acquire(blob);
    try {
      const { bytesRead } = await readFull(handle.fh, sealed, index * (chunkBytes + TAG));
      if (bytesRead !== sealed.length) throw corrupt(blob);
      return { bytes: sealed, release: () => pool.give(buf) };
    } catch (err) {
      pool.give(buf);
      throw err;
    } finally {
      handle.users--;
      this.#idle(blob, handle);
    }
  }

  /** The key of one blob, to hand to the peer a share is for (inside the session). */
  keyOf(blob: string): Buffer {
    return Buffer.from(this.#key(blob));
  }

  async remove(blob: string): Promise<void> {
    await this.#release(blob, true);
    this.#keys.get(blob)?.fill(0);
    this.#keys.delete(blob);
    await rm(this.#path(blob), { force: true });
  }

  /** Ids of the blobs on disk (only those last written more than `olderThanMs` ago, if given). */
  async list(olderThanMs = 0): Promise<string[]> {
    return (await this.#older('.blob', olderThanMs)).map((f) => f.slice(0, -5));
  }

  async #older(suffix: string, ageMs: number): Promise<string[]> {
    const out: string[] = [];
    for (const f of await readdir(this.#dir)) {
      if (!f.endsWith(suffix)) continue;
      if (ageMs > 0) {
        const st = await stat(join(this.#dir, f)).catch(() => undefined);
        if (!st || Date.now() - st.mtimeMs < ageMs) continue;
      }
      out.push(f);
    }
    return out;
  }

  #pool(size: number): BufferPool {
    let pool = this.#pools.get(size);
    if (!pool) {
      if (this.#pools.size >= 4) this.#pools.delete(this.#pools.keys().next().value as number);
      pool = new BufferPool(size);
      this.#pools.set(size, pool);
    }
    return pool;
  }

  #path(blob: string): string {
    return join(this.#dir, `${blob}.blob`);
  }

  #key(blob: string): Buffer {
    let key = this.#keys.get(blob);
    if (!key) {
      key = this.#derive(blob);
      if (this.#keys.size >= MAX_OPEN) {
        const [oldest, k] = this.#keys.entries().next().value as [string, Buffer];
        k.fill(0);
        this.#keys.delete(oldest);
      }
      this.#keys.set(blob, key);
    }
    return key;
  }

  #derive(blob: string): Buffer {
    return Buffer.from(
      hkdfSync('sha256', this.#master, Buffer.alloc(0), `openred/file-sharing/blob/v1/${blob}`, 32),
    );
  }

  async #acquire(blob: string): Promise<OpenBlob> {
    let h = this.#open.get(blob);
    if (!h) {
      const fh = await open(this.#path(blob), 'r');
      h = this.#open.get(blob); // another request may have opened it meanwhile
      if (h) await fh.close();
      else {
        h = { fh, users: 0, timer: undefined };
        this.#open.set(blob, h);
        if (this.#open.size > MAX_OPEN) void this.#release(this.#open.keys().next().value as string, false);
      }
    }
    h.users++;
    clearTimeout(h.timer);
    return h;
  }

  #idle(blob: string, h: OpenBlob): void {
    if (h.users > 0 || this.#open.get(blob) !== h) return;
    h.timer = setTimeout(() => void this.#release(blob, false), IDLE_CLOSE_MS);
    h.timer.unref();
  }

  async #release(blob: string, force: boolean): Promise<void> {
    const h = this.#open.get(blob);
    if (!h || (h.users > 0 && !force)) return;
    clearTimeout(h.timer);
    this.#open.delete(blob);
    await h.fh.close().catch(() => undefined);
  }
}

/**
 * Decrypts and authenticates one chunk read with {@link BlobStore.readSealed} into `out` (at least as long as
 * the plaintext; it may be `sealed` itself: each slice is written where its ciphertext was, after it was
 * read), and returns the view of `out` holding the plaintext. Throws if the chunk was altered, is not chunk
 * `index` of `blob`, or the key is wrong; `out` then holds unauthenticated bytes that must not be used.
 */
export function openChunkInto(key: Buffer, blob: string, index: number, sealed: Buffer, out: Buffer): Buffer {
  if (sealed.length < TAG) throw new Error('chunk too short');
  const length = sealed.length - TAG;
  if (out.length < length) throw new Error('output buffer too small');
  const decipher = createDecipheriv(CIPHER, key, nonce(index), { authTagLength: TAG });
  decipher.setAAD(aad(blob, index));
  decipher.setAuthTag(sealed.subarray(length));
  return out.subarray(0, runCipher(decipher, sealed.subarray(0, length), out));
}

/**
 * Passes `input` through the cipher (update in SLICE-sized steps, then final) into `out` from its start, and
 * returns the bytes written. `out` may be `input` itself: each step's output lands where its input was, after
 * the cipher has read it.
 */
function runCipher(cipher: Cipher | Decipher, input: Buffer, out: Buffer): number {
  let written = 0;
  for (let at = 0; at < input.length; at += SLICE) {
    written += cipher.update(input.subarray(at, Math.min(at + SLICE, input.length))).copy(out, written);
  }
  return written + cipher.final().copy(out, written);
}

/** {@link openChunkInto} into a new buffer. */
export function openChunk(key: Buffer, blob: string, index: number, sealed: Buffer): Buffer {
  return openChunkInto(key, blob, index, sealed, Buffer.allocUnsafe(Math.max(0, sealed.length - TAG)));
}

function nonce(index: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 4);
  return n;
}

function aad(blob: string, index: number): Buffer {
  return Buffer.from(`${blob}/${index}`);
}

function corrupt(blob: string) {
  return new PluginHttpError('OR_ERR_FILE_CORRUPT', `the stored copy of this file is damaged (${blob})`, 500);
}

/** pread until `buf` is full or the file ends. */
export async function readFull(fh: Pick<FileHandle, 'read'>, buf: Buffer, position: number) {
  let bytesRead = 0;
  while (bytesRead < buf.length) {
    const r = await fh.read(buf, bytesRead, buf.length - bytesRead, position + bytesRead);
    if (r.bytesRead === 0) break;
    bytesRead += r.bytesRead;
  }
  return { bytesRead };
}

async function writeFull(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}
