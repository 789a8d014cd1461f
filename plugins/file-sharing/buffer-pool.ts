/**
 * Fixed-size buffers reused for file chunks, on both sides of a transfer. Why: a fresh 512 KiB buffer per chunk
 * that is still in use when V8 runs a minor collection (read from disk and waiting for the socket; received
 * and waiting to be hashed in order) is promoted, and its memory outside the JavaScript heap then counts
 * against the heap's limit until a full collection frees it. At full speed that started a full collection
 * every few megabytes: a third of a node's CPU during a transfer, and memory held by dead chunks. Reused
 * buffers are allocated once, so there is nothing to collect.
 *
 * A buffer that is never given back (an answer abandoned halfway) is simply left to the garbage collector; the
 * pool keeps at most `maxFree` idle buffers.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];

  constructor(
    readonly size: number,
    readonly maxFree = 32,
  ) {}

  /** A buffer of `size` bytes, with unspecified content, to {@link give} back when nothing uses it anymore. */
  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Returns a buffer from {@link take} (or any view of one); nothing may use it afterwards. */
  give(view: Uint8Array): void {
    if (view.buffer.byteLength !== this.size || this.#free.length >= this.maxFree) return;
    this.#free.push(Buffer.from(view.buffer, 0, this.size));
  }

  /** Idle buffers held (for tests). */
  get idle(): number {
    return this.#free.length;
  }
}
