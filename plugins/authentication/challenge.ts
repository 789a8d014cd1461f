/**
 * Peer challenge-response (`POST /p2p/auth/challenge`): proof that a peer holds its node key right now,
 * beyond the session. The verifier sends 32 random bytes; the prover signs a statement binding that nonce to
 * both node ids and to the session the request arrived on, with its Ed25519 node key (through the crypto
 * engine); the verifier checks the keys hash to the peer's id, the signature, the nonce, that the session is
 * one it holds with that peer, and the timestamp.
 */
import { randomBytes } from 'node:crypto';
import { PluginHttpError, type NodeSigner, type PeerProof } from '@openred/plugin-sdk';

export const CHALLENGE_PURPOSE = 'authentication/challenge';

export const challengeRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['nonce'],
  properties: { nonce: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } },
} as const;

/** What the prover answers. */
export interface ChallengeAnswer {
  v: 1;
  challenger: string;
  prover: string;
  session: string;
  nonce: string;
  /** Prover's clock, ms. */
  ts: number;
  keys: { x25519: string; ed25519: string };
  /** base64url Ed25519 signature over statementBytes(...). */
  sig: string;
}

/** The signed bytes: one field per line, fixed order (every field is free of newlines). */
export function statementBytes(
  a: Pick<ChallengeAnswer, 'challenger' | 'prover' | 'session' | 'nonce' | 'ts'>,
) {
  return Buffer.from(
    ['openred-auth-challenge/v1', a.challenger, a.prover, a.session, a.nonce, String(a.ts)].join('\n'),
    'utf8',
  );
}

/** Prover side: answers a challenge that arrived from `challenger` on `session`. */
export async function answerChallenge(deps: {
  signer: NodeSigner;
  self: { id: string; publicKeys: { x25519: string; ed25519: string } };
  now: number;
  challenger: string;
  session: string;
  nonce: string;
}): Promise<ChallengeAnswer> {
  const statement = {
    challenger: deps.challenger,
    prover: deps.self.id,
    session: deps.session,
    nonce: deps.nonce,
    ts: deps.now,
  };
  const sig = await deps.signer.sign(CHALLENGE_PURPOSE, statementBytes(statement));
  return { v: 1, ...statement, keys: deps.self.publicKeys, sig: sig.toString('base64url') };
}

export function newNonce(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Verifier side: checks an answer against what was asked. Throws 502 `OR_ERR_CHALLENGE_INVALID` naming the
 * first check that failed.
 */
export function verifyAnswer(
  answer: unknown,
  expected: {
    self: string;
    peer: string;
    nonce: string;
    /** Ids of the sessions this node holds with the peer. */
    sessions: readonly string[];
    now: number;
    maxSkewMs: number;
    signer: Pick<NodeSigner, 'verify' | 'idOf'>;
  },
): PeerProof {
  const fail = (why: string): never => {
    throw new PluginHttpError('OR_ERR_CHALLENGE_INVALID', `challenge answer refused: ${why}`, 502);
  };
  const a = answer as Partial<ChallengeAnswer> | undefined;
  if (typeof a !== 'object' || a === null || a.v !== 1) return fail('malformed answer');
  const keys = a.keys;
  if (typeof keys !== 'object' || keys === null || typeof keys.ed25519 !== 'string') return fail('no keys');
  if (expected.signer.idOf(keys) !== expected.peer) return fail("the keys are not the peer's");
  if (a.prover !== expected.peer) return fail('signed by another prover');
  if (a.challenger !== expected.self) return fail('answers another challenger');
  if (a.nonce !== expected.nonce) return fail('wrong nonce');
  if (typeof a.session !== 'string' || !expected.sessions.includes(a.session)) return fail('unknown session');
  if (typeof a.ts !== 'number' || Math.abs(a.ts - expected.now) > expected.maxSkewMs) return fail('stale');
  if (typeof a.sig !== 'string') return fail('no signature');
  const ok = expected.signer.verify(
    keys.ed25519,
    CHALLENGE_PURPOSE,
    statementBytes(a as ChallengeAnswer),
    Buffer.from(a.sig, 'base64url'),
  );
  if (!ok) return fail('bad signature');
  return {
    peer: expected.peer,
    session: a.session,
    keys: { x25519: keys.x25519, ed25519: keys.ed25519 },
    signedAt: a.ts,
    verifiedAt: expected.now,
  };
}
