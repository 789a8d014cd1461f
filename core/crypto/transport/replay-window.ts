/**
 * Anti-replay sliding window over 64-bit counters (RFC 6479, as in WireGuard and IPsec): a ring of 32-bit words
 * where bit (n mod size) records that counter n was accepted. Counters older than the window are refused;
 * inside it, each counter is accepted once, in any order. `check` runs before decryption (cheap rejection),
 * `commit` only after the message authenticated, so forged packets cannot move the window.
 *
 * Counters go up to 2^64 - 1, so above 2^53 they are bigints; below (any real session) they are numbers, and
 * while the highest counter seen is below 2^53 the arithmetic runs on numbers, exact there: every BigInt
 * operation allocates. Callers may pass either type for any value.
 */
const WORD_BITS = 32n;
const SAFE_N = Number.MAX_SAFE_INTEGER;

export class ReplayWindow {
  readonly #words: Uint32Array;
  readonly #bits: bigint;
  readonly #bitsN: number;
  /** Counters this far behind the highest accepted one are still accepted (if not seen). */
  readonly size: number;
  /** The highest accepted counter while it is below 2^53 (-1: none yet), NaN once it is above. */
  #topN = -1;
  /** The highest accepted counter once it is above 2^53 - 1. */
  #topBig = 0n;

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
    return this.#topN === this.#topN ? BigInt(this.#topN) : this.#topBig;
  }

  /** Would `n` be accepted? */
  check(n: number | bigint): boolean {
    if (this.#topN !== this.#topN) return this.#checkAboveSafe(BigInt(n));
    // The top is below 2^53: a counter above it is new, one at or below it is exact as a number.
    if (n > this.#topN) return true;
    const v = Number(n);
    if (this.#topN - v >= this.size) return false;
    const bit = v % this.#bitsN;
    return (this.#words[bit >>> 5]! & (1 << (bit & 31))) === 0;
  }

  #checkAboveSafe(n: bigint): boolean {
    const top = this.#topBig;
    if (n > top) return true;
    if (top - n >= BigInt(this.size)) return false;
    const bit = n % this.#bits;
    return (this.#words[Number(bit / WORD_BITS)]! & (1 << Number(bit % WORD_BITS))) === 0;
  }

  /** Records `n` as accepted. Call only after `check(n)` and successful authentication. */
  commit(n: number | bigint): void {
    if (n <= SAFE_N && this.#topN === this.#topN) {
      const v = Number(n);
      if (v > this.#topN) {
        this.#clearWords(this.#topN < 0 ? -1 : Math.floor(this.#topN / 32), Math.floor(v / 32));
        this.#topN = v;
      }
      const bit = v % this.#bitsN;
      this.#words[bit >>> 5]! |= 1 << (bit & 31);
      return;
    }
    this.#commitAboveSafe(BigInt(n));
  }

  /** Either `n` or the top is above 2^53 - 1: BigInt arithmetic. */
  #commitAboveSafe(n: bigint): void {
    const top = this.highest;
    if (n > top) {
      const len = BigInt(this.#words.length);
      const from = top < 0n ? -1n : top / WORD_BITS;
      const to = n / WORD_BITS;
      // Words skipped over since the last top are stale: clear them (all of them on a big jump).
      if (to - from >= len) this.#words.fill(0);
      else for (let w = from + 1n; w <= to; w++) this.#words[Number(w % len)] = 0;
      this.#topN = Number.NaN;
      this.#topBig = n;
    }
    const bit = n % this.#bits;
    this.#words[Number(bit / WORD_BITS)]! |= 1 << Number(bit % WORD_BITS);
  }

  /** Clears the ring words after `from` up to `to` (word indexes), all of them on a jump past the ring. */
  #clearWords(from: number, to: number): void {
    const len = this.#words.length;
    if (to - from >= len) this.#words.fill(0);
    else for (let w = from + 1; w <= to; w++) this.#words[w % len] = 0;
  }
}
