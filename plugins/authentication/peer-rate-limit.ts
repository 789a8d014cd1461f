import type { Clock } from '@openred/plugin-sdk';

/**
 * A token bucket per peer for the challenge route (each answer costs a signature in the crypto engine).
 * Holds at most `maxPeers` buckets; the least recently refilled go first.
 */
export class PeerRateLimit {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: { perSecond: number; burst: number; maxPeers?: number },
  ) {}

  take(peer: string): boolean {
    const now = this.clock.now();
    const b = this.#buckets.get(peer) ?? { tokens: this.limits.burst, at: now };
    b.tokens = Math.min(this.limits.burst, b.tokens + ((now - b.at) / 1000) * this.limits.perSecond);
    b.at = now;
    this.#buckets.delete(peer);
    this.#buckets.set(peer, b);
    if (this.#buckets.size > (this.limits.maxPeers ?? 1024)) {
      this.#buckets.delete(this.#buckets.keys().next().value as string);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
