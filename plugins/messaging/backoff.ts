/** Retry timing: exponential growth from `baseMs`, capped at `maxMs`. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `failures` (1 for the first retry). "Equal jitter": half the exponential delay is
 * fixed and half is random, so a crowd of senders that lost the same peer at once does not retry in lockstep,
 * while no retry comes sooner than half its nominal delay.
 */
export function backoffDelay(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 40);
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
