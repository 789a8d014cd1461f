import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { errors, PluginHttpError } from '@openred/plugin-sdk';

const TAG = 16;
const CIPHER = 'aes-256-gcm';

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

  constructor(dir: string, masterKey: Buffer) {
    this.#dir = dir;
    this.#master = masterKey;
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    // Blobs whose ingestion a crash interrupted.
    for (const f of await readdir(this.#dir))
      if (f.endsWith('.tmp')) await rm(join(this.#dir, f), { force: true });
  }

  /**
   * Encrypts the file open as `source` into a new blob, hashing as it goes. Fails with OR_ERR_FILE_TOO_LARGE
   * if the file turns out longer than `maxBytes` (it may grow after it was checked).
   */
  async ingest(source: FileHandle, chunkBytes: number, maxBytes: number): Promise<BlobInfo> {
    const blob = randomBytes(16).toString('base64url');
    const key = this.#key(blob);
    const tmp = join(this.#dir, `${blob}.tmp`);
    const out = await open(tmp, 'wx', 0o600);
    const fileHash = createHash('sha256');
    const chunks: string[] = [];
    const buf = Buffer.allocUnsafe(chunkBytes);
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
        const ct = cipher.update(plain);
        cipher.final();
        await writeFull(out, Buffer.concat([ct, cipher.getAuthTag()]));
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

  /** Reads and decrypts chunk `index` of a blob holding a file of `size` bytes. */
  async readChunk(blob: string, index: number, chunkBytes: number, size: number): Promise<Buffer> {
    const len = Math.min(chunkBytes, size - index * chunkBytes);
    const sealed = Buffer.allocUnsafe(len + TAG);
    const fh = await open(this.#path(blob), 'r');
    try {
      const { bytesRead } = await readFull(fh, sealed, index * (chunkBytes + TAG));
      if (bytesRead !== sealed.length) throw corrupt(blob);
    } finally {
      await fh.close();
    }
    const key = this.#key(blob);
    try {
      const decipher = createDecipheriv(CIPHER, key, nonce(index), { authTagLength: TAG });
      decipher.setAAD(aad(blob, index));
      decipher.setAuthTag(sealed.subarray(len));
      const plain = decipher.update(sealed.subarray(0, len));
      decipher.final();
      return plain;
    } catch {
      throw corrupt(blob);
    } finally {
      key.fill(0);
    }
  }

  async remove(blob: string): Promise<void> {
    await rm(this.#path(blob), { force: true });
  }

  /** Ids of the blobs on disk. */
  async list(): Promise<string[]> {
    return (await readdir(this.#dir)).filter((f) => f.endsWith('.blob')).map((f) => f.slice(0, -5));
  }

  #path(blob: string): string {
    return join(this.#dir, `${blob}.blob`);
  }

  #key(blob: string): Buffer {
    return Buffer.from(
      hkdfSync('sha256', this.#master, Buffer.alloc(0), `openred/file-sharing/blob/v1/${blob}`, 32),
    );
  }
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
