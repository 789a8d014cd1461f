/**
 * Sealing and opening transport envelopes for one session (DESIGN.md section 5), in the node process, with
 * the keys the engine returned. Each direction has its own key chain; each epoch its own key and method:
 *
 *   epoch  = floor(now / epochSeconds)                (the sender's clock)
 *   method = policy(epoch, negotiated methods, handshake hash)
 *   key    = HKDF(split key, "openred/epoch/v1" || epoch || method)
 *   nonce  = 4 zero bytes || u64be(counter)           (one counter per direction for the whole session)
 *
 * The receiver accepts the current epoch, the previous one during `graceSeconds` after the boundary, and the
 * next one during `graceSeconds` before it (a sender whose clock runs slightly ahead); anything else is
 * OR_ERR_EPOCH_EXPIRED. Counters go through a sliding replay window before and after authentication.
 */
import { CryptoError } from '../../errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { CipherRegistry } from '../ciphers/registry.js';
import { toB64u } from '../encoding.js';
import {
  BUILTIN_POLICIES,
  DEFAULT_EPOCH_SECONDS,
  epochOf,
  epochStartMs,
  selectMethod,
  type MethodPolicy,
} from '../epochs.js';
import type { SessionKeys } from '../handshake.js';
import { deriveEpochKey } from './epoch-keys.js';
import { encodeCounter, MAX_COUNTER, parseEnvelope, transportNonce, type Envelope } from './envelope.js';
import { ReplayWindow } from './replay-window.js';

export interface TransportOptions {
  registry: CipherRegistry;
  clock: Clock;
  /** Default 'fixed' (the first negotiated method). */
  policy?: MethodPolicy;
  epochSeconds?: number;
  /** Default 60 s. */
  graceSeconds?: number;
  /** Replay window in counters (default 2048). */
  windowSize?: number;
  /** Highest counter this side will send (default 2^64 - 2); lowered in tests to reach exhaustion. */
  maxCounter?: bigint;
  /** Called when a negotiated method is removed from the registry: the session should re-handshake. */
  onStale?: () => void;
}

interface EpochKey {
  epoch: number;
  methodId: string;
  key: Buffer;
}

const EMPTY = Buffer.alloc(0);

export class TransportSession {
  readonly peerId: string;
  readonly grantId: string;
  readonly handshakeHash: Buffer;
  readonly methods: readonly string[];
  readonly #opts: Required<Omit<TransportOptions, 'onStale'>> & Pick<TransportOptions, 'onStale'>;
  #sendKey: Buffer;
  #receiveKey: Buffer;
  #counter = 0n;
  readonly #window: ReplayWindow;
  /** Small caches: at most the epochs in the acceptance range, per direction. */
  #sendCache: EpochKey | undefined;
  readonly #recvCache = new Map<number, EpochKey>();
  #stale = false;
  readonly #unsubscribe: () => void;
  #destroyed = false;

  constructor(keys: SessionKeys, opts: TransportOptions) {
    this.peerId = keys.peerId;
    this.grantId = keys.grant.grant_id;
    this.handshakeHash = Buffer.from(keys.handshakeHash);
    this.methods = Object.freeze([...keys.methods].sort());
    this.#sendKey = Buffer.from(keys.sendKey);
    this.#receiveKey = Buffer.from(keys.receiveKey);
    this.#opts = {
      policy: BUILTIN_POLICIES.fixed!,
      epochSeconds: DEFAULT_EPOCH_SECONDS,
      graceSeconds: 60,
      windowSize: 2048,
      maxCounter: MAX_COUNTER - 1n,
      ...opts,
    };
    this.#window = new ReplayWindow(this.#opts.windowSize);
    this.#unsubscribe = opts.registry.onChange(({ removed }) => {
      // Cached keys may belong to a method object that was just replaced or removed.
      this.#sendCache = undefined;
      this.#recvCache.clear();
      if (removed.some((m) => this.methods.includes(m)) && !this.#stale) {
        this.#stale = true;
        this.#opts.onStale?.();
      }
    });
  }

  /** True once a negotiated method was unregistered: keep using it if possible, but re-handshake soon. */
  get stale(): boolean {
    return this.#stale;
  }

  /** The next counter this side will send. */
  get sendCounter(): bigint {
    return this.#counter;
  }

  #epochKey(base: Buffer, epoch: number): EpochKey {
    const methodId = selectMethod(this.#opts.policy, {
      epoch,
      epochSeconds: this.#opts.epochSeconds,
      methods: this.methods,
      sessionHash: this.handshakeHash,
    });
    const method = this.#opts.registry.require(methodId);
    return { epoch, methodId, key: deriveEpochKey(base, epoch, methodId, method.keyLength) };
  }

  #alive(): void {
    if (this.#destroyed) throw new CryptoError('OR_ERR_SESSION_CLOSED', 'session closed', 410);
  }

  seal(plaintext: Uint8Array, aad: Uint8Array = EMPTY): Envelope {
    this.#alive();
    if (this.#counter > this.#opts.maxCounter) {
      throw new CryptoError('OR_ERR_NONCE_EXHAUSTED', 'session nonce space exhausted; re-handshake', 500);
    }
    const epoch = epochOf(this.#opts.clock.now(), this.#opts.epochSeconds);
    if (this.#sendCache?.epoch !== epoch) {
      this.#sendCache?.key.fill(0);
      this.#sendCache = this.#epochKey(this.#sendKey, epoch);
    }
    const k = this.#sendCache;
    const n = this.#counter++;
    const ct = this.#opts.registry.require(k.methodId).seal(k.key, transportNonce(n), plaintext, aad);
    return { e: epoch, n: encodeCounter(n), ct: toB64u(ct) };
  }

  open(envelope: unknown, aad: Uint8Array = EMPTY): Buffer {
    this.#alive();
    const env = parseEnvelope(envelope);
    const now = this.#opts.clock.now();
    const { epochSeconds } = this.#opts;
    const cur = epochOf(now, epochSeconds);
    const grace = this.#opts.graceSeconds * 1000;
    const ok =
      env.epoch === cur ||
      (env.epoch === cur - 1 && now - epochStartMs(cur, epochSeconds) < grace) ||
      (env.epoch === cur + 1 && epochStartMs(cur + 1, epochSeconds) - now <= grace);
    if (!ok) throw new CryptoError('OR_ERR_EPOCH_EXPIRED', 'envelope epoch outside the accepted window', 400);
    if (!this.#window.check(env.counter)) throw new CryptoError('OR_ERR_REPLAY', 'replayed or too old', 400);

    let k = this.#recvCache.get(env.epoch);
    if (k === undefined) {
      for (const [e, old] of this.#recvCache) {
        if (Math.abs(e - cur) > 1) {
          old.key.fill(0);
          this.#recvCache.delete(e);
        }
      }
      k = this.#epochKey(this.#receiveKey, env.epoch);
      this.#recvCache.set(env.epoch, k);
    }
    let pt: Buffer;
    try {
      pt = this.#opts.registry.require(k.methodId).open(k.key, transportNonce(env.counter), env.ct, aad);
    } catch (err) {
      if (err instanceof CryptoError && err.code === 'OR_ERR_CIPHER_UNAVAILABLE') throw err;
      throw new CryptoError('OR_ERR_BAD_TAG', 'envelope failed authentication', 400);
    }
    this.#window.commit(env.counter);
    return pt;
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#unsubscribe();
    this.#sendKey.fill(0);
    this.#receiveKey.fill(0);
    this.#sendCache?.key.fill(0);
    for (const k of this.#recvCache.values()) k.key.fill(0);
    this.#recvCache.clear();
  }
}
