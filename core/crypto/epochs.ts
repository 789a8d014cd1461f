/**
 * Epochs ("a method per epoch", DESIGN.md section 5). Time is cut into epochs of `epochSeconds`; transport keys
 * are re-derived for every epoch, and the cipher method of an epoch is chosen by a policy from the set both
 * peers negotiated in the handshake. A policy must be a pure function of (epoch, negotiated methods, session
 * hash): both peers evaluate it independently and must agree without exchanging a message.
 */
import { createHash } from 'node:crypto';
import { CryptoError, ValidationError } from '../errors.js';
import { u64be } from './encoding.js';

export const DEFAULT_EPOCH_SECONDS = 3600;

export function epochOf(nowMs: number, epochSeconds: number): number {
  if (!Number.isSafeInteger(epochSeconds) || epochSeconds <= 0) {
    throw new ValidationError('epochSeconds must be a positive integer');
  }
  return Math.floor(nowMs / 1000 / epochSeconds);
}

/** Unix ms at which `epoch` starts. */
export function epochStartMs(epoch: number, epochSeconds: number): number {
  return epoch * epochSeconds * 1000;
}

export interface MethodSelectionInput {
  epoch: number;
  epochSeconds: number;
  /** The negotiated method ids, sorted, never empty. */
  methods: readonly string[];
  /** The Noise handshake hash of the session: gives each session its own rotation order. */
  sessionHash: Uint8Array;
}

export type MethodPolicy = (input: MethodSelectionInput) => string;

/**
 * Picks methods[H(sessionHash || period) mod n]. Different sessions rotate differently, and an observer who does
 * not know the handshake hash cannot predict which method a session uses in a given period.
 */
function rotating(periodSeconds: number, label: string): MethodPolicy {
  return ({ epoch, epochSeconds, methods, sessionHash }) => {
    const period = Math.floor((epoch * epochSeconds) / periodSeconds);
    const h = createHash('sha256')
      .update(`openred/method/v1/${label}`)
      .update(sessionHash)
      .update(u64be(period))
      .digest();
    return methods[h.readUInt32BE(0) % methods.length]!;
  };
}

export const BUILTIN_POLICIES: Readonly<Record<string, MethodPolicy>> = Object.freeze({
  /** Always the first negotiated method. */
  fixed: ({ methods }: MethodSelectionInput) => methods[0]!,
  hourly: rotating(3600, 'hourly'),
  daily: rotating(86400, 'daily'),
});

/** Named policies: the built-ins plus any a plugin registers. */
export class PolicyRegistry {
  #policies = new Map<string, { policy: MethodPolicy; owner: string }>(
    Object.entries(BUILTIN_POLICIES).map(([k, policy]) => [k, { policy, owner: 'core' }]),
  );

  register(name: string, policy: MethodPolicy, owner: string): void {
    const existing = this.#policies.get(name);
    if (existing !== undefined && existing.owner !== owner) {
      throw new CryptoError(
        'OR_ERR_POLICY_CONFLICT',
        `method policy ${name} is owned by ${existing.owner}`,
        409,
      );
    }
    this.#policies.set(name, { policy, owner });
  }

  unregister(owner: string): void {
    for (const [name, e] of this.#policies)
      if (e.owner === owner && owner !== 'core') this.#policies.delete(name);
  }

  get(name: string): MethodPolicy {
    const p = this.#policies.get(name);
    if (p === undefined) throw new CryptoError('OR_ERR_POLICY_UNKNOWN', `unknown method policy ${name}`, 500);
    return p.policy;
  }
}

/**
 * Runs `policy` and checks its answer is one of the negotiated methods, so a buggy custom policy fails loudly
 * instead of selecting a method the peer never agreed to.
 */
export function selectMethod(policy: MethodPolicy, input: MethodSelectionInput): string {
  if (input.methods.length === 0)
    throw new CryptoError('OR_ERR_NO_COMMON_METHOD', 'no negotiated cipher method');
  const chosen = policy(input);
  if (!input.methods.includes(chosen)) {
    throw new CryptoError(
      'OR_ERR_POLICY_INVALID',
      `method policy chose ${String(chosen)}, not negotiated`,
      500,
    );
  }
  return chosen;
}
