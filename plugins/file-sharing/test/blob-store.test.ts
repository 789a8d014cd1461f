import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore, openChunk, openChunkInto } from '../blob-store.js';
import { BufferPool } from '../buffer-pool.js';

describe('file-sharing: blobs encrypted at rest', () => {
  let dir: string;
  let store: BlobStore;
  const CHUNK = 16384;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-blobs-'));
    store = new BlobStore(join(dir, 'blobs'), randomBytes(32));
    await store.init();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function ingest(content: Buffer, chunkBytes = CHUNK) {
    await writeFile(join(dir, 'src'), content);
    const fh = await open(join(dir, 'src'), 'r');
    try {
      return await store.ingest(fh, chunkBytes, 1 << 30);
    } finally {
      await fh.close();
    }
  }

  it('stores ciphertext only and reads every chunk back, with the file and chunk hashes', async () => {
    const content = Buffer.concat([Buffer.from('MARKER'.repeat(4000)), randomBytes(3 * CHUNK)]);
    const info = await ingest(content);
    expect(info.size).to.equal(content.length);
    expect(info.sha256).to.equal(createHash('sha256').update(content).digest('hex'));
    expect(info.chunks).to.have.length(Math.ceil(content.length / CHUNK));
    const raw = await readFile(join(dir, 'blobs', `${info.blob}.blob`));
    expect(raw.includes('MARKER')).to.equal(false);
    expect(raw.length).to.equal(content.length + 16 * info.chunks.length);
    const back = [];
    const key = store.keyOf(info.blob);
    for (let i = 0; i < info.chunks.length; i++) {
      const sealed = await store.readSealed(info.blob, i, CHUNK, info.size);
      const chunk = openChunk(key, info.blob, i, sealed.bytes);
      sealed.release();
      expect(createHash('sha256').update(chunk).digest('base64url')).to.equal(info.chunks[i]);
      back.push(chunk);
    }
    expect(Buffer.concat(back).equals(content)).to.equal(true);
  });

  it('a buffer pool reuses what was given back, only buffers of its size, and keeps at most maxFree', () => {
    const pool = new BufferPool(8, 2);
    const a = pool.take();
    const b = pool.take();
    expect(a.buffer).to.not.equal(b.buffer); // distinct while both are held
    pool.give(a.subarray(0, 3)); // a view gives back the whole buffer
    expect(pool.take().buffer).to.equal(a.buffer);
    pool.give(Buffer.alloc(16)); // not one of this size: ignored
    expect(pool.idle).to.equal(0);
    for (const x of [a, b, pool.take()]) pool.give(x);
    expect(pool.idle).to.equal(2);
  });

  it('chunks larger than one cipher slice round-trip; a sealed chunk buffer is reused only after release', async () => {
    const big = 200_000; // several 64 KiB slices per chunk, and a short last chunk
    const content = randomBytes(2 * big + 12_345);
    const info = await ingest(content, big);
    const key = store.keyOf(info.blob);
    const first = await store.readSealed(info.blob, 0, big, info.size);
    const second = await store.readSealed(info.blob, 1, big, info.size);
    expect(second.bytes.buffer).to.not.equal(first.bytes.buffer); // first not released yet
    const plain0 = openChunk(key, info.blob, 0, first.bytes);
    first.release();
    const last = await store.readSealed(info.blob, 2, big, info.size);
    expect(last.bytes.buffer).to.equal(first.bytes.buffer); // reused after release
    expect(last.bytes.length).to.equal(12_345 + 16);
    // In place: the plaintext overwrites the ciphertext it came from.
    const copy = Buffer.from(second.bytes);
    const plain1 = openChunkInto(key, info.blob, 1, second.bytes, second.bytes);
    expect(plain1.buffer).to.equal(second.bytes.buffer);
    expect(plain1.equals(openChunk(key, info.blob, 1, copy))).to.equal(true);
    const plain2 = openChunkInto(key, info.blob, 2, last.bytes, Buffer.alloc(big));
    expect(Buffer.concat([plain0, plain1, plain2]).equals(content)).to.equal(true);
    // A flipped byte in any slice, or a buffer too small for the plaintext, is refused.
    const tampered = Buffer.from(copy);
    tampered[150_000]! ^= 1;
    expect(() => openChunkInto(key, info.blob, 1, tampered, tampered)).to.throw();
    expect(() => openChunkInto(key, info.blob, 1, copy, Buffer.alloc(10))).to.throw('too small');
  });

  it('a changed byte, a chunk moved or taken from another file, or a wrong key is detected', async () => {
    const info = await ingest(randomBytes(3 * CHUNK));
    const other = await ingest(randomBytes(3 * CHUNK));
    const key = store.keyOf(info.blob);
    const sealed = Buffer.from((await store.readSealed(info.blob, 0, CHUNK, info.size)).bytes);
    expect(() => openChunk(key, info.blob, 0, sealed)).to.not.throw();
    const flipped = Buffer.from(sealed);
    flipped[5]! ^= 1;
    expect(() => openChunk(key, info.blob, 0, flipped)).to.throw();
    expect(() => openChunk(key, info.blob, 1, sealed)).to.throw(); // moved
    const foreign = (await store.readSealed(other.blob, 0, CHUNK, other.size)).bytes;
    expect(() => openChunk(key, info.blob, 0, foreign)).to.throw(); // another file's chunk
    expect(() => openChunk(store.keyOf(other.blob), info.blob, 0, sealed)).to.throw(); // wrong key
    // A truncated blob is refused by the sharer itself.
    await store.close();
    const path = join(dir, 'blobs', `${info.blob}.blob`);
    await writeFile(path, (await readFile(path)).subarray(0, CHUNK));
    try {
      await store.readSealed(info.blob, 2, CHUNK, info.size);
      expect.fail('read past the end');
    } catch (err) {
      expect(err).to.include({ code: 'OR_ERR_FILE_CORRUPT', status: 500 });
    }
  });

  it('handles empty files and removes blobs; old leftovers of a crash are cleaned at start', async () => {
    const info = await ingest(Buffer.alloc(0));
    expect([info.size, info.chunks.length]).to.deep.equal([0, 0]);
    await writeFile(join(dir, 'blobs', 'half-written.tmp'), 'x');
    await writeFile(join(dir, 'blobs', 'being-written.tmp'), 'x');
    const hoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(dir, 'blobs', 'half-written.tmp'), hoursAgo, hoursAgo);
    await store.init();
    expect((await readdir(join(dir, 'blobs'))).sort()).to.deep.equal(
      [`${info.blob}.blob`, 'being-written.tmp'].sort(),
    );
    expect(await store.list(3_600_000)).to.deep.equal([]);
    await store.remove(info.blob);
    expect(await store.list()).to.deep.equal([]);
  });

  it('refuses a file that grew beyond the limit while it was read', async () => {
    await writeFile(join(dir, 'src'), randomBytes(CHUNK * 2));
    const fh = await open(join(dir, 'src'), 'r');
    try {
      await store.ingest(fh, CHUNK, CHUNK);
      expect.fail('accepted');
    } catch (err) {
      expect(err).to.include({ code: 'OR_ERR_FILE_TOO_LARGE' });
    } finally {
      await fh.close();
    }
    expect(await readdir(join(dir, 'blobs'))).to.deep.equal([]);
  });
});
