/**
 * The CryptoEngine: everything the kernel asks of the node's private keys, behind one small interface with two
 * implementations that pass the same tests.
 *
 *  - `process` (default): the keys live in the crypto agent, a sandboxed child process (agent/sandbox.ts).
 *    The node process never reads the key files; it receives signatures, transport keys and handshake hashes.
 *  - `inline`: the same agent code runs in the node process. Lower latency, no isolation.
 *
 * @example
 * ```ts
 * const engine = createCryptoEngine({ mode: 'process', keyDir: '.data/keys', directoryPublicKey, clock });
 * await engine.start();
 * // initiator
 * const { handshakeId, message } = await engine.initiatorHandshake(myToken, peerKeys);
 * const reply = await post('/p2p/handshake', { grant_id, from: engine.nodeId, msg: message });
 * const keys = await engine.initiatorFinish(handshakeId, reply);
 * // responder
 * const { reply, keys } = await engine.responderHandshake(myToken, message, initiatorKeys);
 * ```
 */
import type { Clock } from '../kernel/clock.js';
import type { GrantLedger } from './grant-ledger.js';
import type { SessionKeys } from './handshake.js';
import type { NodePublicKeys } from './identity.js';
import type { ScryptParams } from './key-store.js';
import type { IsolationLevel, IsolationRequest } from './agent/sandbox.js';
import type { ConnectionToken } from './tokens/grant.js';
import { InlineCryptoEngine } from './agent/inline-engine.js';
import { ProcessCryptoEngine } from './agent/process-engine.js';

export type { IsolationLevel, IsolationRequest, SessionKeys };

export interface HandshakeCallOptions {
  /** Transport cipher methods to offer/accept (default: the engine's `methods`). */
  methods?: readonly string[];
}

export interface CryptoEngine {
  /** Available after start(). */
  readonly nodeId: string;
  readonly publicKeys: NodePublicKeys;
  /** The isolation actually achieved (process mode may fall back to 'inline', with a warning). */
  readonly isolation: IsolationLevel;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Ed25519 signature with the node key. */
  sign(data: Uint8Array): Promise<Buffer>;
  /**
   * Verifies and opens this node's initiator token, checks `peerKeys` hash to the grant's responder, and writes
   * Noise message 1. The handshake state stays in the agent under `handshakeId` (default 30 s).
   */
  initiatorHandshake(
    token: ConnectionToken,
    peerKeys: NodePublicKeys,
    opts?: HandshakeCallOptions,
  ): Promise<{ handshakeId: string; message: Buffer }>;
  /** Reads message 2 and returns the session keys (the handshake id is then gone, success or not). */
  initiatorFinish(handshakeId: string, reply: Uint8Array): Promise<SessionKeys>;
  /** Drops an initiator handshake that will not be finished. */
  abortHandshake(handshakeId: string): Promise<void>;
  /**
   * Verifies and opens this node's responder token, checks `initiatorKeys` hash to the grant's initiator, reads
   * message 1, consumes the grant in the ledger (a second valid message 1 fails with OR_ERR_GRANT_CONSUMED) and
   * returns message 2 with the session keys.
   */
  responderHandshake(
    token: ConnectionToken,
    message: Uint8Array,
    initiatorKeys: NodePublicKeys,
    opts?: HandshakeCallOptions,
  ): Promise<{ reply: Buffer; keys: SessionKeys }>;
  /** A stable 32-byte sub-key for at-rest encryption, by label (e.g. 'token-store', 'audit-log'). */
  deriveKey(label: string): Promise<Buffer>;
}

export interface CryptoEngineOptions {
  mode: 'process' | 'inline';
  /** Folder of the node's key files (created 0700). */
  keyDir: string;
  /** Unlock passphrase; without one a generated node secret (0600) in keyDir is used. */
  passphrase?: string;
  /** The pinned directory public key (base64url raw Ed25519). */
  directoryPublicKey: string;
  clock?: Clock;
  /** Where consumed grants are recorded (default: in memory). */
  grantLedger?: GrantLedger;
  /** Transport methods offered in handshakes (default: both built-ins). */
  methods?: readonly string[];
  /** Key-file scrypt parameters (tests lower them). */
  scrypt?: ScryptParams;
  handshakeTtlMs?: number;
  maxSkewSeconds?: number;
  /** Process mode: which sandbox to use ('auto' = strongest available). */
  isolation?: IsolationRequest;
  /** Process mode: fall back to inline when no sandbox works (default true; false makes start() fail). */
  allowInlineFallback?: boolean;
  /** Process mode: per-call timeout (default 5 s) and agent start timeout (default 20 s). */
  callTimeoutMs?: number;
  startTimeoutMs?: number;
  /** Process mode: extra read-only paths the agent needs (e.g. dependencies outside the code root). */
  extraReadPaths?: readonly string[];
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

export function createCryptoEngine(opts: CryptoEngineOptions): CryptoEngine {
  return opts.mode === 'inline' ? new InlineCryptoEngine(opts) : new ProcessCryptoEngine(opts);
}
