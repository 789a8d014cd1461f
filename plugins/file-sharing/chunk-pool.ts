/**
 * Chunk-sized buffers reused across one download. Why: a fresh 512 KiB buffer per chunk that lives for a few
 * milliseconds (written, then kept until the whole-file hash reaches it) survives young-generation
 * collections, is promoted, and its memory outside the JavaScript heap is then only returned by a full
 * collection, which V8 starts after ~64 MB of such memory has piled up: a large part of a downloader's
 * growth during a transfer. Each decrypted chunk is copied into a pooled buffer at once (its fresh copy dies
 * young and is freed by the next minor collection), and the pooled buffer goes back when the chunk is hashed.
 * The pool holds at most as many buffers as chunks were held at once, and is dropped with the download.
 */
export class ChunkPool {
  readonly #free: Buffer[] = [];

  constructor(readonly chunkBytes: number) {}

  /** A buffer holding a copy of `data` (at most `chunkBytes` long), to {@link release} when done. */
  copyOf(data: Uint8Array): Buffer {
    const buf = this.#free.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes);
    buf.set(data);
    return buf.subarray(0, data.length);
  }

  /** Returns a buffer from {@link copyOf}; nothing may use it afterwards. */
  release(chunk: Buffer): void {
    this.#free.push(Buffer.from(chunk.buffer, chunk.byteOffset, this.chunkBytes));
  }
}
