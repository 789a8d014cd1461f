/**
 * Anti-replay sliding window over 64-bit counters (RFC 6479, as in WireGuard and IPsec): a ring of 32-bit words
 * where bit (n mod size) records that counter n was accepted. Counters older than the window are refused;
 * inside it, each counter is accepted once, in any order. `check` runs before decryption (cheap rejection),
 * `commit` only after the message authenticated, so forged packets cannot move the window.
 *
 * Counters are bigints on the API (they go up to 2^64 - 1), but every BigInt operation allocates: while the
 * highest counter is below 2^53 (any real session) the arithmetic runs on plain numbers, which are exact there.
 */
const WORD_BITS = 32n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class ReplayWindow {
  readonly #words: Uint32Array;
  readonly #bits: bigint;
  readonly #bitsN: number;
  /** Counters this far behind the highest accepted one are still accepted (if not seen). */
  readonly size: number;
  #top = -1n;
  /** `#top` as a number while it is at most 2^53 - 1. */
  #topN = -1;

  /** `size` is the usable window in counters (default 2048); one extra word is kept for the ring. */
  constructor(size = 2048) {
    if (!Number.isInteger(size) || size < 64 || size % 32 !== 0)
      throw new RangeError('window size: multiple of 32, >= 64');
    this.#words = new Uint32Array(size / 32 + 1);
    this.#bitsN = this.#words.length * 32;
    this.#bits = BigInt(this.#bitsN);
    this.size = size;
  }

  get highest(): bigint {
    return this.#top;
  }

  /** Would `n` be accepted? */
  check(n: bigint): boolean {
    if (n > this.#top) return true;
    if (this.#top <= SAFE) {
      // n <= top <= 2^53 - 1: exact as numbers.
      const v = Number(n);
      if (this.#topN - v >= this.size) return false;
      const bit = v % this.#bitsN;
      return (this.#words[bit >>> 5]! & (1 << (bit & 31))) === 0;
    }
    if (this.#top - n >= BigInt(this.size)) return false;
    const bit = n % this.#bits;
    return (this.#words[Number(bit / WORD_BITS)]! & (1 << Number(bit % WORD_BITS))) === 0;
  }

  /** Records `n` as accepted. Call only after `check(n)` and successful authentication. */
  commit(n: bigint): void {
    const len = this.#words.length;
    if (n > this.#top) {
      if (n <= SAFE) {
        const v = Number(n);
        const from = this.#topN < 0 ? -1 : Math.floor(this.#topN / 32);
        const to = Math.floor(v / 32);
        // Words skipped over since the last top are stale: clear them (all of them on a big jump).
        if (to - from >= len) this.#words.fill(0);
        else for (let w = from + 1; w <= to; w++) this.#words[w % len] = 0;
        this.#topN = v;
      } else {
        const from = this.#top < 0n ? -1n : this.#top / WORD_BITS;
        const to = n / WORD_BITS;
        const bigLen = BigInt(len);
        if (to - from >= bigLen) this.#words.fill(0);
        else for (let w = from + 1n; w <= to; w++) this.#words[Number(w % bigLen)] = 0;
        this.#topN = Number.NaN;
      }
      this.#top = n;
    }
    if (n <= SAFE) {
      const bit = Number(n) % this.#bitsN;
      this.#words[bit >>> 5]! |= 1 << (bit & 31);
    } else {
      const bit = n % this.#bits;
      this.#words[Number(bit / WORD_BITS)]! |= 1 << Number(bit % WORD_BITS);
    }
  }
}
