/**
 * The OpenRed handshake (DESIGN.md section 5): Noise KKpsk0 where
 *   - the static keys are the nodes' X25519 keys, checked against their self-certifying ids before Noise runs;
 *   - psk is the secret both tokens carry (it never crosses the wire between the nodes);
 *   - the prologue is the canonical grant, and the protocol name carries the grant's suite, so a peer that
 *     uses another grant, another suite or another role fails at the first message it reads.
 * The payloads carry the transport cipher methods: message 1 offers the initiator's, message 2 answers with the
 * intersection. Both are encrypted and bound to the transcript, so nobody in the middle can narrow the set.
 *
 * These functions run inside the crypto agent: they see the psk and the static private key.
 */
import { CryptoError } from '../errors.js';
import { canonicalBytes, canonicalJson } from './canonical-json.js';
import { fromB64u } from './encoding.js';
import { assertNodeIdMatchesKeys, type NodePublicKeys } from './identity.js';
import { HandshakeState } from './noise/handshake-state.js';
import type { DhKeyPair } from './noise/primitives.js';
import type { ConnectionToken, Grant, TokenRole } from './tokens/grant.js';

/** What the main process receives after a handshake: transport keys and the transcript hash, nothing else. */
export interface SessionKeys {
  grant: Grant;
  /** This node's role in the grant. */
  role: TokenRole;
  peerId: string;
  /** Negotiated transport cipher method ids, sorted; never empty. */
  methods: string[];
  /** Noise handshake hash: identifies the session and seeds per-session method rotation. */
  handshakeHash: Buffer;
  /** Key for messages this node sends (Noise split: k1 for the initiator, k2 for the responder). */
  sendKey: Buffer;
  receiveKey: Buffer;
}

const METHOD_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_METHODS = 16;

export function normalizeMethods(methods: readonly string[]): string[] {
  const out = [...new Set(methods)].sort();
  if (out.length === 0 || out.length > MAX_METHODS || !out.every((m) => METHOD_RE.test(m))) {
    throw new CryptoError('OR_ERR_HANDSHAKE', 'invalid cipher method list', 400);
  }
  return out;
}

export function encodeMethods(methods: readonly string[]): Buffer {
  return Buffer.from(canonicalJson({ v: 1, methods: normalizeMethods(methods) }));
}

export function decodeMethods(payload: Buffer): string[] {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new CryptoError('OR_ERR_HANDSHAKE', 'handshake payload is not JSON', 400);
  }
  const p = v as { v?: unknown; methods?: unknown };
  if (p?.v !== 1 || !Array.isArray(p.methods) || !p.methods.every((m) => typeof m === 'string')) {
    throw new CryptoError('OR_ERR_HANDSHAKE', 'bad handshake payload', 400);
  }
  return normalizeMethods(p.methods as string[]);
}

export function peerIdOf(token: ConnectionToken): string {
  return token.role === 'initiator' ? token.grant.responder : token.grant.initiator;
}

export interface CreateHandshakeOptions {
  token: ConnectionToken;
  psk: Uint8Array;
  localStatic: DhKeyPair;
  peerKeys: NodePublicKeys;
  /** Fixed ephemeral key (tests only). */
  ephemeral?: DhKeyPair;
}

/** Refuses peer keys that do not hash to the peer's id in the grant (OR_ERR_NODE_ID_MISMATCH), then sets up Noise. */
export function createHandshake(opts: CreateHandshakeOptions): HandshakeState {
  const { token } = opts;
  assertNodeIdMatchesKeys(peerIdOf(token), opts.peerKeys);
  return new HandshakeState({
    pattern: 'KKpsk0',
    suite: token.grant.suite,
    initiator: token.role === 'initiator',
    prologue: canonicalBytes(token.grant),
    s: opts.localStatic,
    rs: fromB64u(opts.peerKeys.x25519, 32),
    psk: opts.psk,
    ...(opts.ephemeral === undefined ? {} : { e: opts.ephemeral }),
  });
}

/** Splits a completed handshake into the keys handed to the main process, and destroys the handshake state. */
export function sessionKeysOf(hs: HandshakeState, token: ConnectionToken, methods: string[]): SessionKeys {
  try {
    const [k1, k2] = hs.splitKeys();
    const initiator = token.role === 'initiator';
    return {
      grant: token.grant,
      role: token.role,
      peerId: peerIdOf(token),
      methods,
      handshakeHash: hs.handshakeHash,
      sendKey: initiator ? k1 : k2,
      receiveKey: initiator ? k2 : k1,
    };
  } finally {
    hs.destroy();
  }
}
