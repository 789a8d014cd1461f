/**
 * Accepting a token (node side). `verifyToken` runs on anything received from the network and returns a typed
 * token only if it is well formed, signed by the pinned directory key, names this node in the role it claims,
 * and is inside its validity window. `openToken` recovers the psk and runs only inside the crypto agent.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../kernel/clock.js';
import { CryptoError } from '../../errors.js';
import { canonicalBytes } from '../canonical-json.js';
import { fromB64u, isB64u } from '../encoding.js';
import { hpkeOpen } from '../hpke.js';
import { isNodeId } from '../identity.js';
import { verifyCanonical } from '../signatures.js';
import {
  NOISE_SUITES,
  PSK_LENGTH,
  signedTokenBody,
  tokenInfo,
  type ConnectionToken,
  type Grant,
} from './grant.js';

export interface VerifyTokenOptions {
  /** The pinned directory public key (base64url raw Ed25519). */
  directoryPublicKey: string;
  /** This node's id: it must appear in the grant in the token's role. */
  selfId: string;
  clock: Clock;
  /** Tolerated clock difference with the directory for `issued_at` in the future (default 60 s). */
  maxSkewSeconds?: number;
}

const GRANT_KEYS = ['epoch', 'expires_at', 'grant_id', 'initiator', 'issued_at', 'responder', 'suite', 'v'];
const TOKEN_KEYS = ['ct', 'enc', 'grant', 'role', 'sig', 'v'];

function malformed(why: string): CryptoError {
  return new CryptoError('OR_ERR_TOKEN_MALFORMED', `malformed token: ${why}`, 400);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactKeys(o: Record<string, unknown>, keys: string[]): boolean {
  const own = Object.keys(o).sort();
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
}

const isUint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Structural check of a grant; throws OR_ERR_TOKEN_MALFORMED. */
export function assertGrant(g: unknown): asserts g is Grant {
  if (!isPlainObject(g) || !exactKeys(g, GRANT_KEYS)) throw malformed('grant fields');
  if (g.v !== 1) throw malformed('grant version');
  if (!isB64u(g.grant_id, 16)) throw malformed('grant_id');
  if (!isNodeId(g.initiator) || !isNodeId(g.responder)) throw malformed('node ids');
  if (g.initiator === g.responder) throw malformed('initiator and responder are the same node');
  if (!isUint(g.issued_at) || !isUint(g.expires_at) || g.expires_at <= g.issued_at) throw malformed('times');
  if (!isUint(g.epoch)) throw malformed('epoch');
  if (!NOISE_SUITES.includes(g.suite as never)) throw malformed('suite');
}

/** Structural check of a token (no signature, no time); throws OR_ERR_TOKEN_MALFORMED. */
export function assertTokenShape(t: unknown): asserts t is ConnectionToken {
  if (!isPlainObject(t) || !exactKeys(t, TOKEN_KEYS)) throw malformed('token fields');
  if (t.v !== 1) throw malformed('token version');
  assertGrant(t.grant);
  if (t.role !== 'initiator' && t.role !== 'responder') throw malformed('role');
  if (!isB64u(t.enc, 32)) throw malformed('enc');
  if (!isB64u(t.ct, PSK_LENGTH + 16)) throw malformed('ct');
  if (!isB64u(t.sig, 64)) throw malformed('sig');
}

/** Checks `grant` is valid at `nowMs`: throws OR_ERR_TOKEN_EXPIRED outside [issued_at - skew, expires_at). */
export function assertGrantCurrent(grant: Grant, nowMs: number, maxSkewSeconds = 60): void {
  const now = Math.floor(nowMs / 1000);
  if (now >= grant.expires_at) throw new CryptoError('OR_ERR_TOKEN_EXPIRED', 'grant has expired', 401);
  if (grant.issued_at > now + maxSkewSeconds) {
    throw new CryptoError('OR_ERR_TOKEN_EXPIRED', 'grant is not valid yet', 401);
  }
}

export function verifyToken(token: unknown, opts: VerifyTokenOptions): ConnectionToken {
  assertTokenShape(token);
  if (!verifyCanonical(opts.directoryPublicKey, signedTokenBody(token), token.sig)) {
    throw new CryptoError('OR_ERR_TOKEN_SIGNATURE', 'token signature is not valid', 401);
  }
  if (token.grant[token.role] !== opts.selfId) {
    throw new CryptoError('OR_ERR_TOKEN_ROLE', 'token is not addressed to this node in this role', 403);
  }
  assertGrantCurrent(token.grant, opts.clock.now(), opts.maxSkewSeconds);
  return token;
}

/** Recovers the 32-byte psk of a (verified) token with the node's X25519 private key. Caller zeroes it. */
export async function openToken(token: ConnectionToken, x25519Private: KeyObject): Promise<Buffer> {
  let psk: Buffer;
  try {
    psk = await hpkeOpen(
      x25519Private,
      fromB64u(token.enc, 32),
      tokenInfo(token.role),
      canonicalBytes(token.grant),
      fromB64u(token.ct),
    );
  } catch (err) {
    throw new CryptoError('OR_ERR_TOKEN_OPEN', 'token cannot be opened with this key', 400, err);
  }
  if (psk.length !== PSK_LENGTH) {
    psk.fill(0);
    throw new CryptoError('OR_ERR_TOKEN_OPEN', 'token secret has the wrong length', 400);
  }
  return psk;
}
