/**
 * What the crypto agent does, independent of where it runs: in the sandboxed child process (agent-main.ts)
 * or, in inline mode, inside the node process itself. It holds the static private keys and the at-rest root,
 * opens tokens, runs the handshake and returns only transport keys; the psk and the handshake's chaining key
 * never leave this object, and initiator handshakes in progress are kept here under an opaque id.
 *
 * Time comes from the caller (`nowMs`) so the node's injected clock governs expiry in both modes.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { CryptoError, ValidationError } from '../../errors.js';
import { toB64u } from '../encoding.js';
import {
  createHandshake,
  decodeMethods,
  encodeMethods,
  normalizeMethods,
  sessionKeysOf,
  type SessionKeys,
} from '../handshake.js';
import { assertNodeIdMatchesKeys, type NodePublicKeys } from '../identity.js';
import { loadOrCreateNodeKeys, type KeyStoreOptions, type UnlockedNodeKeys } from '../key-store.js';
import type { HandshakeState } from '../noise/handshake-state.js';
import { dhKeyPairFromKeyObject, type DhKeyPair } from '../noise/primitives.js';
import { signEd25519 } from '../signatures.js';
import type { ConnectionToken } from '../tokens/grant.js';
import { assertGrantCurrent, openToken, verifyToken } from '../tokens/verify.js';

export interface AgentConfig {
  directoryPublicKey: string;
  /** How long an initiator waits for message 2 before its state is dropped (default 30 s). */
  handshakeTtlMs?: number;
  /** Bound on initiator handshakes in progress (default 1024). */
  maxPendingHandshakes?: number;
  maxSkewSeconds?: number;
}

export interface AgentOpenOptions extends AgentConfig, KeyStoreOptions {}

interface Pending {
  hs: HandshakeState;
  token: ConnectionToken;
  methods: string[];
  deadline: number;
}

const LABEL_RE = /^[a-z0-9][a-z0-9._:/-]{0,127}$/;

export class AgentCore {
  readonly nodeId: string;
  readonly publicKeys: NodePublicKeys;
  readonly #keys: UnlockedNodeKeys;
  readonly #static: DhKeyPair;
  readonly #config: Required<AgentConfig>;
  readonly #pending = new Map<string, Pending>();
  #closed = false;

  static async open(opts: AgentOpenOptions): Promise<AgentCore> {
    const { dir, passphrase, scrypt, ...config } = opts;
    const keys = await loadOrCreateNodeKeys({
      dir,
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(scrypt === undefined ? {} : { scrypt }),
    });
    return new AgentCore(keys, config);
  }

  constructor(keys: UnlockedNodeKeys, config: AgentConfig) {
    this.#keys = keys;
    this.nodeId = keys.nodeId;
    this.publicKeys = keys.keys.publicKeys;
    this.#static = dhKeyPairFromKeyObject(keys.keys.x25519Private);
    this.#config = { handshakeTtlMs: 30_000, maxPendingHandshakes: 1024, maxSkewSeconds: 60, ...config };
  }

  #live(): void {
    if (this.#closed) throw new CryptoError('OR_ERR_AGENT_UNAVAILABLE', 'crypto agent is closed', 503);
  }

  sign(data: Uint8Array): Buffer {
    this.#live();
    return signEd25519(this.#keys.keys.ed25519Private, data);
  }

  /** A named 32-byte sub-key for at-rest encryption: HKDF-SHA256(root, info "openred/subkey/v1/" + label). */
  deriveKey(label: string): Buffer {
    this.#live();
    if (typeof label !== 'string' || !LABEL_RE.test(label)) throw new ValidationError('invalid key label');
    return Buffer.from(
      hkdfSync('sha256', this.#keys.root, Buffer.alloc(0), `openred/subkey/v1/${label}`, 32),
    );
  }

  #verify(token: unknown, nowMs: number): ConnectionToken {
    return verifyToken(token, {
      directoryPublicKey: this.#config.directoryPublicKey,
      selfId: this.nodeId,
      clock: { now: () => nowMs },
      maxSkewSeconds: this.#config.maxSkewSeconds,
    });
  }

  #sweep(nowMs: number): void {
    for (const [id, p] of this.#pending) {
      if (p.deadline <= nowMs) {
        p.hs.destroy();
        this.#pending.delete(id);
      }
    }
  }

  async initiatorHandshake(req: {
    token: unknown;
    peerKeys: NodePublicKeys;
    methods: readonly string[];
    nowMs: number;
  }): Promise<{ handshakeId: string; message: Buffer }> {
    this.#live();
    this.#sweep(req.nowMs);
    if (this.#pending.size >= this.#config.maxPendingHandshakes) {
      throw new CryptoError('OR_ERR_HANDSHAKE_BUSY', 'too many handshakes in progress', 503);
    }
    const token = this.#verify(req.token, req.nowMs);
    if (token.role !== 'initiator') throw new CryptoError('OR_ERR_TOKEN_ROLE', 'not an initiator token', 403);
    const methods = normalizeMethods(req.methods);
    // Cheapest refusal first: keys that are not the grant's responder never get near the secret.
    assertNodeIdMatchesKeys(token.grant.responder, req.peerKeys);
    const psk = await openToken(token, this.#keys.keys.x25519Private);
    let hs: HandshakeState;
    try {
      hs = createHandshake({ token, psk, localStatic: this.#static, peerKeys: req.peerKeys });
    } finally {
      psk.fill(0);
    }
    const message = hs.writeMessage(encodeMethods(methods));
    const handshakeId = toB64u(randomBytes(16));
    this.#pending.set(handshakeId, { hs, token, methods, deadline: req.nowMs + this.#config.handshakeTtlMs });
    return { handshakeId, message };
  }

  initiatorFinish(req: { handshakeId: string; reply: Uint8Array; nowMs: number }): SessionKeys {
    this.#live();
    this.#sweep(req.nowMs);
    const p = this.#pending.get(req.handshakeId);
    if (p === undefined)
      throw new CryptoError('OR_ERR_HANDSHAKE_UNKNOWN', 'no such handshake in progress', 404);
    this.#pending.delete(req.handshakeId);
    try {
      assertGrantCurrent(p.token.grant, req.nowMs, this.#config.maxSkewSeconds);
      const chosen = decodeMethods(p.hs.readMessage(req.reply));
      if (!chosen.every((m) => p.methods.includes(m))) {
        throw new CryptoError('OR_ERR_HANDSHAKE', 'responder chose a method that was not offered', 400);
      }
      return sessionKeysOf(p.hs, p.token, chosen);
    } finally {
      p.hs.destroy();
    }
  }

  abort(handshakeId: string): void {
    this.#pending.get(handshakeId)?.hs.destroy();
    this.#pending.delete(handshakeId);
  }

  async responderHandshake(req: {
    token: unknown;
    message: Uint8Array;
    initiatorKeys: NodePublicKeys;
    methods: readonly string[];
    nowMs: number;
  }): Promise<{ reply: Buffer; keys: SessionKeys }> {
    this.#live();
    const token = this.#verify(req.token, req.nowMs);
    if (token.role !== 'responder') throw new CryptoError('OR_ERR_TOKEN_ROLE', 'not a responder token', 403);
    const mine = normalizeMethods(req.methods);
    assertNodeIdMatchesKeys(token.grant.initiator, req.initiatorKeys);
    const psk = await openToken(token, this.#keys.keys.x25519Private);
    let hs: HandshakeState;
    try {
      hs = createHandshake({ token, psk, localStatic: this.#static, peerKeys: req.initiatorKeys });
    } finally {
      psk.fill(0);
    }
    try {
      const offered = decodeMethods(hs.readMessage(req.message));
      const common = offered.filter((m) => mine.includes(m));
      if (common.length === 0)
        throw new CryptoError('OR_ERR_NO_COMMON_METHOD', 'no common cipher method', 400);
      const reply = hs.writeMessage(encodeMethods(common));
      return { reply, keys: sessionKeysOf(hs, token, common) };
    } finally {
      hs.destroy();
    }
  }

  get pendingHandshakes(): number {
    return this.#pending.size;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) p.hs.destroy();
    this.#pending.clear();
    this.#keys.root.fill(0);
  }
}
