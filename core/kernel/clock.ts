/**
 * Every component that reads the time takes a Clock, so tests control expiry, epochs and renewal without
 * sleeping. `now()` is milliseconds since the Unix epoch.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  set(ms: number): void {
    this.#now = ms;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** Seconds since the Unix epoch, the unit used on the wire. */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
