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
import type { CipherMethod } from '../ciphers/cipher-method.js';
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

/** An envelope with its counter as a bigint and ciphertext || tag as bytes, whole or in parts (see sealRaw). */
export interface RawEnvelope {
  e: number;
  n: bigint;
  ct: Uint8Array | readonly Uint8Array[];
}

interface EpochKey {
  epoch: number;
  methodId: string;
  /** The registry's method object, looked up once per epoch (the caches are cleared when the registry changes). */
  method: CipherMethod;
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
    return { epoch, methodId, method, key: deriveEpochKey(base, epoch, methodId, method.keyLength) };
  }

  #alive(): void {
    if (this.#destroyed) throw new CryptoError('OR_ERR_SESSION_CLOSED', 'session closed', 410);
  }

  /** Seals into the JSON envelope `{e, n, ct}` (ct base64url): the form for ordinary request bodies. */
  seal(plaintext: Uint8Array, aad: Uint8Array = EMPTY): Envelope {
    const { epoch, n, k } = this.#next();
    const ct = k.method.seal(k.key, transportNonce(n), plaintext, aad);
    return { e: epoch, n: encodeCounter(n), ct: toB64u(ct) };
  }

  /** Opens a JSON envelope (validated first: anything malformed is OR_ERR_ENVELOPE_MALFORMED). */
  open(envelope: unknown, aad: Uint8Array = EMPTY): Buffer {
    this.#alive();
    const env = parseEnvelope(envelope);
    return this.#open(env.epoch, env.counter, env.ct, aad);
  }

  /**
   * The same envelope for bulk bodies (file chunks): `ct` is ciphertext || tag as byte parts to write in order
   * (the HTTP layer sends them as the raw body, `e` and `n` in headers). No base64 pass and, with the built-in
   * methods, no copy of the body: at megabyte sizes those would cost more than the cipher itself.
   */
  sealRaw(plaintext: Uint8Array, aad: Uint8Array = EMPTY): RawEnvelope {
    const { epoch, n, k } = this.#next();
    const m = k.method;
    const nonce = transportNonce(n);
    if (!m.sealDetached) return { e: epoch, n, ct: m.seal(k.key, nonce, plaintext, aad) };
    const [body, tag] = m.sealDetached(k.key, nonce, plaintext, aad);
    // A method that wrote both parts into one buffer (libsodium's) gives them back as one view: no join later.
    const adjacent = body.buffer === tag.buffer && body.byteOffset + body.length === tag.byteOffset;
    const ct = adjacent ? Buffer.from(body.buffer, body.byteOffset, body.length + tag.length) : [body, tag];
    return { e: epoch, n, ct };
  }

  /** Opens a raw envelope; `ct` may be one buffer (as received) or the parts sealRaw produced. */
  openRaw(raw: RawEnvelope, aad: Uint8Array = EMPTY): Buffer {
    this.#alive();
    const ct = raw?.ct;
    const ok =
      Number.isSafeInteger(raw?.e) &&
      raw.e >= 0 &&
      typeof raw.n === 'bigint' &&
      raw.n >= 0n &&
      raw.n <= MAX_COUNTER &&
      ciphertextLength(ct) >= 16;
    if (!ok) throw new CryptoError('OR_ERR_ENVELOPE_MALFORMED', 'malformed envelope', 400);
    return this.#open(raw.e, raw.n, ct, aad);
  }

  #next(): { epoch: number; n: bigint; k: EpochKey } {
    this.#alive();
    if (this.#counter > this.#opts.maxCounter) {
      throw new CryptoError('OR_ERR_NONCE_EXHAUSTED', 'session nonce space exhausted; re-handshake', 500);
    }
    const epoch = epochOf(this.#opts.clock.now(), this.#opts.epochSeconds);
    if (this.#sendCache?.epoch !== epoch) {
      this.#sendCache?.key.fill(0);
      this.#sendCache = this.#epochKey(this.#sendKey, epoch);
    }
    return { epoch, n: this.#counter++, k: this.#sendCache };
  }

  /** `ct` is ciphertext || tag, whole (as received) or in the parts sealRaw produced. */
  #open(epoch: number, counter: bigint, ct: Uint8Array | readonly Uint8Array[], aad: Uint8Array): Buffer {
    const now = this.#opts.clock.now();
    const { epochSeconds } = this.#opts;
    const cur = epochOf(now, epochSeconds);
    const grace = this.#opts.graceSeconds * 1000;
    const ok =
      epoch === cur ||
      (epoch === cur - 1 && now - epochStartMs(cur, epochSeconds) < grace) ||
      (epoch === cur + 1 && epochStartMs(cur + 1, epochSeconds) - now <= grace);
    if (!ok) throw new CryptoError('OR_ERR_EPOCH_EXPIRED', 'envelope epoch outside the accepted window', 400);
    if (!this.#window.check(counter)) throw new CryptoError('OR_ERR_REPLAY', 'replayed or too old', 400);

    let k = this.#recvCache.get(epoch);
    if (k === undefined) {
      for (const [e, old] of this.#recvCache) {
        if (Math.abs(e - cur) > 1) {
          old.key.fill(0);
          this.#recvCache.delete(e);
        }
      }
      k = this.#epochKey(this.#receiveKey, epoch);
      this.#recvCache.set(epoch, k);
    }
    const m = k.method;
    const nonce = transportNonce(counter);
    let pt: Buffer;
    try {
      if (ct instanceof Uint8Array) pt = m.open(k.key, nonce, ct, aad);
      else {
        const [body, tag] = ct as [Uint8Array, Uint8Array | undefined];
        pt =
          ct.length === 2 && m.openDetached && tag!.length === 16
            ? m.openDetached(k.key, nonce, body, tag!, aad)
            : m.open(k.key, nonce, ct.length === 1 ? body : Buffer.concat(ct), aad);
      }
    } catch {
      throw new CryptoError('OR_ERR_BAD_TAG', 'envelope failed authentication', 400);
    }
    this.#window.commit(counter);
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

/** Total bytes of a raw envelope's ciphertext, or -1 when it is not bytes (a loop: no closures per message). */
function ciphertextLength(ct: unknown): number {
  if (ct instanceof Uint8Array) return ct.length;
  if (!Array.isArray(ct)) return -1;
  let n = 0;
  for (const p of ct as unknown[]) {
    if (!(p instanceof Uint8Array)) return -1;
    n += p.length;
  }
  return n;
}
