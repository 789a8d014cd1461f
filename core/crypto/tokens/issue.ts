/**
 * Issuing a token pair (directory side). The psk exists only inside this call: it is sealed to both nodes,
 * zeroed, and never stored or logged, so the directory cannot later decrypt a session it brokered (it would
 * also need a node's static key or ephemeral key; see docs/protocol.md for what a malicious directory can do).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import type { Clock } from '../../kernel/clock.js';
import { unixSeconds } from '../../kernel/clock.js';
import { ValidationError } from '../../errors.js';
import { canonicalBytes } from '../canonical-json.js';
import { fromB64u, toB64u } from '../encoding.js';
import { hpkeSeal } from '../hpke.js';
import { assertNodeIdMatchesKeys, type NodePublicKeys } from '../identity.js';
import { signCanonical } from '../signatures.js';
import {
  NOISE_SUITES,
  PSK_LENGTH,
  tokenInfo,
  type ConnectionToken,
  type Grant,
  type NoiseSuite,
  type TokenRole,
} from './grant.js';

export interface IssueTokenPairOptions {
  /** The directory's Ed25519 private key. */
  directoryKey: KeyObject;
  initiator: { nodeId: string; keys: NodePublicKeys };
  responder: { nodeId: string; keys: NodePublicKeys };
  suite: NoiseSuite;
  ttlSeconds: number;
  epochSeconds: number;
  clock: Clock;
}

export interface TokenPair {
  grant: Grant;
  initiatorToken: ConnectionToken;
  responderToken: ConnectionToken;
}

async function sealFor(
  directoryKey: KeyObject,
  grant: Grant,
  role: TokenRole,
  recipient: NodePublicKeys,
  psk: Buffer,
): Promise<ConnectionToken> {
  const sealed = await hpkeSeal(fromB64u(recipient.x25519, 32), tokenInfo(role), canonicalBytes(grant), psk);
  const body = { v: 1 as const, grant, role, enc: toB64u(sealed.enc), ct: toB64u(sealed.ct) };
  return { ...body, sig: signCanonical(directoryKey, body) };
}

export async function issueTokenPair(opts: IssueTokenPairOptions): Promise<TokenPair> {
  const { initiator, responder } = opts;
  assertNodeIdMatchesKeys(initiator.nodeId, initiator.keys);
  assertNodeIdMatchesKeys(responder.nodeId, responder.keys);
  if (initiator.nodeId === responder.nodeId) throw new ValidationError('a node cannot connect to itself');
  if (!NOISE_SUITES.includes(opts.suite)) throw new ValidationError(`unknown suite ${String(opts.suite)}`);
  if (!Number.isSafeInteger(opts.ttlSeconds) || opts.ttlSeconds <= 0) {
    throw new ValidationError('ttlSeconds must be a positive integer');
  }
  if (!Number.isSafeInteger(opts.epochSeconds) || opts.epochSeconds <= 0) {
    throw new ValidationError('epochSeconds must be a positive integer');
  }
  const issuedAt = unixSeconds(opts.clock);
  const grant: Grant = {
    v: 1,
    grant_id: toB64u(randomBytes(16)),
    initiator: initiator.nodeId,
    responder: responder.nodeId,
    issued_at: issuedAt,
    expires_at: issuedAt + opts.ttlSeconds,
    epoch: Math.floor(issuedAt / opts.epochSeconds),
    suite: opts.suite,
  };
  const psk = randomBytes(PSK_LENGTH);
  try {
    const [initiatorToken, responderToken] = await Promise.all([
      sealFor(opts.directoryKey, grant, 'initiator', initiator.keys, psk),
      sealFor(opts.directoryKey, grant, 'responder', responder.keys, psk),
    ]);
    return { grant, initiatorToken, responderToken };
  } finally {
    psk.fill(0);
  }
}
