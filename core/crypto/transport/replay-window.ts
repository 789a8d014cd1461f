/**
 * Anti-replay sliding window over 64-bit counters (RFC 6479, as in WireGuard and IPsec): a ring of 32-bit words
 * where bit (n mod size) records that counter n was accepted. Counters older than the window are refused;
 * inside it, each counter is accepted once, in any order. `check` runs before decryption (cheap rejection),
 * `commit` only after the message authenticated, so forged packets cannot move the window.
 */
const WORD_BITS = 32n;

export class ReplayWindow {
  readonly #words: Uint32Array;
  readonly #bits: bigint;
  /** Counters this far behind the highest accepted one are still accepted (if not seen). */
  readonly size: number;
  #top = -1n;

  /** `size` is the usable window in counters (default 2048); one extra word is kept for the ring. */
  constructor(size = 2048) {
    if (!Number.isInteger(size) || size < 64 || size % 32 !== 0)
      throw new RangeError('window size: multiple of 32, >= 64');
    this.#words = new Uint32Array(size / 32 + 1);
    this.#bits = BigInt(this.#words.length) * WORD_BITS;
    this.size = size;
  }

  get highest(): bigint {
    return this.#top;
  }

  /** Would `n` be accepted? */
  check(n: bigint): boolean {
    if (n > this.#top) return true;
    if (this.#top - n >= BigInt(this.size)) return false;
    const bit = n % this.#bits;
    return (this.#words[Number(bit / WORD_BITS)]! & (1 << Number(bit % WORD_BITS))) === 0;
  }

  /** Records `n` as accepted. Call only after `check(n)` and successful authentication. */
  commit(n: bigint): void {
    if (n > this.#top) {
      const len = BigInt(this.#words.length);
      const from = this.#top < 0n ? -1n : this.#top / WORD_BITS;
      const to = n / WORD_BITS;
      const clear = to - from;
      // Words skipped over since the last top are stale: clear them (all of them on a big jump).
      if (clear >= len) this.#words.fill(0);
      else for (let w = from + 1n; w <= to; w++) this.#words[Number(w % len)] = 0;
      this.#top = n;
    }
    const bit = n % this.#bits;
    this.#words[Number(bit / WORD_BITS)]! |= 1 << Number(bit % WORD_BITS);
  }
}
