/**
 * What both engines share: time from the node's clock, the grant ledger, and turning raw agent results into
 * typed values. Subclasses only say how a request reaches an AgentCore (directly, or over IPC).
 */
import { CryptoError } from '../../errors.js';
import { systemClock, type Clock } from '../../kernel/clock.js';
import type { CryptoEngine, CryptoEngineOptions, HandshakeCallOptions } from '../engine.js';
import { MemoryGrantLedger, type GrantLedger } from '../grant-ledger.js';
import type { SessionKeys } from '../handshake.js';
import type { NodePublicKeys } from '../identity.js';
import type { ConnectionToken } from '../tokens/grant.js';
import type { AgentOp, InitArgs, InitResult } from './protocol.js';
import type { IsolationLevel } from './sandbox.js';

export const DEFAULT_METHODS: readonly string[] = ['aes-256-gcm', 'chacha20-poly1305'];

const buf = (v: unknown): Buffer => Buffer.from(v as Uint8Array);

function toSessionKeys(raw: unknown): SessionKeys {
  const k = raw as SessionKeys;
  return {
    grant: k.grant,
    role: k.role,
    peerId: k.peerId,
    methods: [...k.methods],
    handshakeHash: buf(k.handshakeHash),
    sendKey: buf(k.sendKey),
    receiveKey: buf(k.receiveKey),
  };
}

export abstract class BaseCryptoEngine implements CryptoEngine {
  protected readonly opts: CryptoEngineOptions;
  protected readonly clock: Clock;
  readonly #ledger: GrantLedger;
  #identity: InitResult | undefined;

  constructor(opts: CryptoEngineOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.#ledger = opts.grantLedger ?? new MemoryGrantLedger(this.clock);
  }

  abstract readonly isolation: IsolationLevel;
  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  protected abstract call(op: AgentOp, args: Record<string, unknown>): Promise<unknown>;

  protected initArgs(): InitArgs {
    const o = this.opts;
    return {
      dir: o.keyDir,
      directoryPublicKey: o.directoryPublicKey,
      ...(o.passphrase === undefined ? {} : { passphrase: o.passphrase }),
      ...(o.scrypt === undefined ? {} : { scrypt: o.scrypt }),
      ...(o.handshakeTtlMs === undefined ? {} : { handshakeTtlMs: o.handshakeTtlMs }),
      ...(o.maxSkewSeconds === undefined ? {} : { maxSkewSeconds: o.maxSkewSeconds }),
    };
  }

  protected setIdentity(id: InitResult): void {
    this.#identity = { nodeId: id.nodeId, publicKeys: { ...id.publicKeys } };
  }

  #id(): InitResult {
    if (this.#identity === undefined)
      throw new CryptoError('OR_ERR_AGENT_UNAVAILABLE', 'engine not started', 503);
    return this.#identity;
  }

  get nodeId(): string {
    return this.#id().nodeId;
  }

  get publicKeys(): NodePublicKeys {
    return { ...this.#id().publicKeys };
  }

  #methods(o?: HandshakeCallOptions): string[] {
    return [...(o?.methods ?? this.opts.methods ?? DEFAULT_METHODS)];
  }

  async sign(data: Uint8Array): Promise<Buffer> {
    return buf(await this.call('sign', { data: Uint8Array.from(data) }));
  }

  async deriveKey(label: string): Promise<Buffer> {
    return buf(await this.call('deriveKey', { label }));
  }

  async initiatorHandshake(
    token: ConnectionToken,
    peerKeys: NodePublicKeys,
    opts?: HandshakeCallOptions,
  ): Promise<{ handshakeId: string; message: Buffer }> {
    const r = (await this.call('initiatorHandshake', {
      token,
      peerKeys,
      methods: this.#methods(opts),
      nowMs: this.clock.now(),
    })) as { handshakeId: string; message: Uint8Array };
    return { handshakeId: r.handshakeId, message: buf(r.message) };
  }

  async initiatorFinish(handshakeId: string, reply: Uint8Array): Promise<SessionKeys> {
    const r = await this.call('initiatorFinish', {
      handshakeId,
      reply: Uint8Array.from(reply),
      nowMs: this.clock.now(),
    });
    return toSessionKeys(r);
  }

  async abortHandshake(handshakeId: string): Promise<void> {
    await this.call('abort', { handshakeId });
  }

  async responderHandshake(
    token: ConnectionToken,
    message: Uint8Array,
    initiatorKeys: NodePublicKeys,
    opts?: HandshakeCallOptions,
  ): Promise<{ reply: Buffer; keys: SessionKeys }> {
    const r = (await this.call('responderHandshake', {
      token,
      message: Uint8Array.from(message),
      initiatorKeys,
      methods: this.#methods(opts),
      nowMs: this.clock.now(),
    })) as { reply: Uint8Array; keys: unknown };
    const keys = toSessionKeys(r.keys);
    // Consumed only now, at the first *valid* message 1: garbage sent under a grant id cannot burn the grant.
    if (!(await this.#ledger.consume(keys.grant.grant_id, keys.grant.expires_at))) {
      keys.sendKey.fill(0);
      keys.receiveKey.fill(0);
      throw new CryptoError('OR_ERR_GRANT_CONSUMED', 'grant already used', 409);
    }
    return { reply: buf(r.reply), keys };
  }
}
