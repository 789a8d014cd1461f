/**
 * Single-use grants (DESIGN.md section 5): the responder consumes a grant at the first valid message 1, so a
 * replayed message 1 (or a second initiator holding a copy of the token) fails. The engine calls the ledger;
 * the token manager provides a persistent one later. The in-memory default forgets a grant once it has
 * expired, because an expired grant is refused before the ledger is consulted anyway.
 */
import type { Clock } from '../kernel/clock.js';

export interface GrantLedger {
  /** Marks `grantId` consumed; returns false when it already was. `expiresAt` is unix seconds. */
  consume(grantId: string, expiresAt: number): boolean | Promise<boolean>;
}

export class MemoryGrantLedger implements GrantLedger {
  readonly #clock: Clock;
  readonly #consumed = new Map<string, number>();
  #sweepAt = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  consume(grantId: string, expiresAt: number): boolean {
    this.#sweep();
    if (this.#consumed.has(grantId)) return false;
    this.#consumed.set(grantId, expiresAt);
    return true;
  }

  has(grantId: string): boolean {
    return this.#consumed.has(grantId);
  }

  get size(): number {
    return this.#consumed.size;
  }

  #sweep(): void {
    const now = Math.floor(this.#clock.now() / 1000);
    if (now < this.#sweepAt) return;
    this.#sweepAt = now + 60;
    for (const [id, exp] of this.#consumed) if (exp <= now) this.#consumed.delete(id);
  }
}
