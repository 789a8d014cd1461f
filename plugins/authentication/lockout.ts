/**
 * Lockout with exponential backoff: after `maxFailures` consecutive failed attempts the owner account is
 * locked for `baseSeconds`, doubling with each further lockout up to `maxSeconds`. A successful login resets
 * both counters. The state is persisted, so restarting the node does not reset a lockout.
 */
export interface LockoutPolicy {
  maxFailures: number;
  baseSeconds: number;
  maxSeconds: number;
}

export interface LockoutState {
  /** Consecutive failures since the last success or lockout. */
  failures: number;
  /** Lockouts since the last success (sets the next lockout's length). */
  lockouts: number;
  /** Epoch ms until which every attempt is refused. */
  lockedUntil: number;
}

export const initialLockout = (): LockoutState => ({ failures: 0, lockouts: 0, lockedUntil: 0 });

/** Milliseconds left in the current lockout (0 when not locked). */
export function lockedFor(state: LockoutState, now: number): number {
  return Math.max(0, state.lockedUntil - now);
}

/** Counts a failure; returns the lockout it started, in seconds (0 when none). */
export function recordFailure(state: LockoutState, policy: LockoutPolicy, now: number): number {
  state.failures++;
  if (state.failures < policy.maxFailures) return 0;
  const seconds = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** state.lockouts);
  state.lockouts++;
  state.failures = 0;
  state.lockedUntil = now + seconds * 1000;
  return seconds;
}

export function recordSuccess(state: LockoutState): void {
  state.failures = 0;
  state.lockouts = 0;
  state.lockedUntil = 0;
}
