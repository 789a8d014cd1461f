/**
 * A fixed-window counter per key (here: per peer). Windows are read from the plugin's clock, so tests move time
 * instead of sleeping. Memory is bounded: stale windows are dropped on every check.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly now: () => number,
  ) {}

  /** Counts one request for `key`; returns the milliseconds to wait when over the limit, else 0. */
  take(key: string): number {
    const now = this.now();
    for (const [k, w] of this.#windows) if (now - w.start >= this.windowMs) this.#windows.delete(k);
    const window = this.#windows.get(key) ?? { start: now, count: 0 };
    this.#windows.set(key, window);
    if (window.count >= this.limit) return window.start + this.windowMs - now;
    window.count++;
    return 0;
  }

  /** Current counts per key, for the owner's view. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#windows].map(([k, w]) => [k, w.count]));
  }
}
