import { RateLimitError } from '../errors.js';
import type { Clock } from '../kernel/clock.js';

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: how many requests may arrive in a burst. */
  burst: number;
}

/**
 * Token buckets keyed by a string (node id, source address). Memory is bounded: at most `maxKeys` buckets,
 * the least recently used ones are evicted first (a full bucket is equivalent to a forgotten one).
 */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(limit: RateLimit, clock: Clock, maxKeys = 100_000) {
    this.#limit = limit;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  /** Takes one token for `key`, or throws a 429 RateLimitError with the seconds until the next one. */
  take(key: string, what = 'requests'): void {
    const now = this.#clock.now();
    const { perSecond, burst } = this.#limit;
    let bucket = this.#buckets.get(key);
    if (bucket) {
      this.#buckets.delete(key); // re-insert below to keep LRU order
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
    } else {
      bucket = { tokens: burst, at: now };
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
      throw new RateLimitError(`too many ${what}; retry in ${wait} s`, wait);
    }
    bucket.tokens -= 1;
  }

  get size(): number {
    return this.#buckets.size;
  }
}
