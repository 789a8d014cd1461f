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
import { openInPlace, sealInto } from '../ciphers/aead-shape.js';
import { TAG_LENGTH } from '../ciphers/cipher-method.js';
import { deriveEpochKey } from './epoch-keys.js';
import { MAX_COUNTER, parseEnvelope, writeCounter, type Envelope } from './envelope.js';
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
  /**
   * Highest counter this side will send (default and most 2^53 - 1, which no session reaches before it
   * renews: counters stay plain numbers); lowered in tests to reach exhaustion. Peers may send up to 2^64 - 1.
   */
  maxCounter?: bigint;
  /** Called when a negotiated method is removed from the registry: the session should re-handshake. */
  onStale?: () => void;
}

/**
 * An envelope with ciphertext || tag as bytes, whole or in parts (see sealRaw). Its counter is a number below
 * 2^53 (what this side sends), a bigint for anything a peer may send above.
 */
export interface RawEnvelope {
  e: number;
  n: number | bigint;
  ct: Uint8Array | readonly Uint8Array[];
}

/** What sealInto returns: the envelope's epoch and counter, and `headroom` free bytes || ciphertext || tag. */
export interface SealedInto {
  e: number;
  n: number;
  buf: Buffer;
}

interface EpochKey {
  epoch: number;
  methodId: string;
  /** The registry's method object, looked up once per epoch (the caches are cleared when the registry changes). */
  method: CipherMethod;
  key: Buffer;
}

const EMPTY = Buffer.alloc(0);
/**
 * The nonce of the message being sealed or opened, rewritten for each one (4 zero bytes stay zero): cipher
 * methods are synchronous and read the nonce during the call only (node:crypto copies it into its context,
 * libsodium reads it), so one buffer per direction for the process replaces a 12-byte buffer per message, and
 * sessions carry none.
 */
const SEND_NONCE = Buffer.alloc(12);
const RECEIVE_NONCE = Buffer.alloc(12);
const MAX_SEND_COUNTER = BigInt(Number.MAX_SAFE_INTEGER);

export class TransportSession {
  readonly peerId: string;
  readonly grantId: string;
  readonly handshakeHash: Buffer;
  readonly methods: readonly string[];
  readonly #opts: Required<Omit<TransportOptions, 'onStale' | 'maxCounter'>> &
    Pick<TransportOptions, 'onStale'>;
  #sendKey: Buffer;
  #receiveKey: Buffer;
  #counter = 0;
  readonly #maxCounter: number;

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
      ...opts,
    };
    const max = opts.maxCounter ?? MAX_SEND_COUNTER;
    this.#maxCounter = Number(max < MAX_SEND_COUNTER ? max : MAX_SEND_COUNTER);
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
    return BigInt(this.#counter);
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
    const k = this.#next();
    const n = this.#counter++;
    const ct = k.method.seal(k.key, this.#nonce(SEND_NONCE, n), plaintext, aad);
    return { e: k.epoch, n, ct: toB64u(ct) };
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
    const k = this.#next();
    const epoch = k.epoch;
    const n = this.#counter++;
    const m = k.method;
    const nonce = this.#nonce(SEND_NONCE, n);
    if (!m.sealDetached) return { e: epoch, n, ct: m.seal(k.key, nonce, plaintext, aad) };
    const [body, tag] = m.sealDetached(k.key, nonce, plaintext, aad);
    // A method that wrote both parts into one buffer (libsodium's) gives them back as one view: no join later.
    const adjacent = body.buffer === tag.buffer && body.byteOffset + body.length === tag.byteOffset;
    const ct = adjacent ? Buffer.from(body.buffer, body.byteOffset, body.length + tag.length) : [body, tag];
    return { e: epoch, n, ct };
  }

  /**
   * The small-message form: one buffer of `headroom` free bytes (for the caller's framing) || ciphertext || tag,
   * sealed in place where the method can (see CipherMethod.sealInto). No other buffer is allocated.
   */
  sealInto(plaintext: Uint8Array, aad: Uint8Array, headroom: number): SealedInto {
    const k = this.#next();
    const n = this.#counter++;
    const buf = Buffer.allocUnsafe(headroom + plaintext.length + TAG_LENGTH);
    sealInto(k.method, k.key, this.#nonce(SEND_NONCE, n), plaintext, aad, buf, headroom);
    return { e: k.epoch, n, buf };
  }

  /** Opens a raw envelope; `ct` may be one buffer (as received) or the parts sealRaw produced. */
  openRaw(raw: RawEnvelope, aad: Uint8Array = EMPTY): Buffer {
    this.#alive();
    const ct = raw?.ct;
    const ok = Number.isSafeInteger(raw?.e) && raw.e >= 0 && isCounter(raw.n) && ciphertextLength(ct) >= 16;
    if (!ok) throw new CryptoError('OR_ERR_ENVELOPE_MALFORMED', 'malformed envelope', 400);
    return this.#open(raw.e, raw.n, ct, aad);
  }

  /**
   * Opens ciphertext || tag where it lies (the counterpart of sealInto): the plaintext may be a view of
   * `sealed`, whose bytes are then overwritten. `sealed` must be the caller's own copy of the message.
   */
  openInPlace(epoch: number, counter: number | bigint, sealed: Buffer, aad: Uint8Array): Buffer {
    this.#alive();
    const ok = Number.isSafeInteger(epoch) && epoch >= 0 && isCounter(counter) && sealed.length >= TAG_LENGTH;
    if (!ok) throw new CryptoError('OR_ERR_ENVELOPE_MALFORMED', 'malformed envelope', 400);
    return this.#open(epoch, counter, sealed, aad, true);
  }

  /** The epoch's send key; counts against the counter limit (the caller takes `#counter++`). */
  #next(): EpochKey {
    this.#alive();
    if (this.#counter > this.#maxCounter) {
      throw new CryptoError('OR_ERR_NONCE_EXHAUSTED', 'session nonce space exhausted; re-handshake', 500);
    }
    const epoch = epochOf(this.#opts.clock.now(), this.#opts.epochSeconds);
    let k = this.#sendCache;
    if (k?.epoch !== epoch) {
      k?.key.fill(0);
      k = this.#sendCache = this.#epochKey(this.#sendKey, epoch);
    }
    return k;
  }

  /** 4 zero bytes || u64be(counter), written into this direction's nonce buffer. */
  #nonce(buf: Buffer, counter: number | bigint): Buffer {
    writeCounter(buf, 4, counter);
    return buf;
  }

  /** `ct` is ciphertext || tag, whole (as received) or in the parts sealRaw produced. */
  #open(
    epoch: number,
    counter: number | bigint,
    ct: Uint8Array | readonly Uint8Array[],
    aad: Uint8Array,
    inPlace = false,
  ): Buffer {
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
    const nonce = this.#nonce(RECEIVE_NONCE, counter);
    let pt: Buffer;
    try {
      if (inPlace) pt = openInPlace(m, k.key, nonce, ct as Buffer, aad);
      else if (ct instanceof Uint8Array) pt = m.open(k.key, nonce, ct, aad);
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

/** A counter a peer may send: a safe non-negative integer, or a bigint up to 2^64 - 1. */
function isCounter(n: unknown): n is number | bigint {
  return typeof n === 'number'
    ? Number.isSafeInteger(n) && n >= 0
    : typeof n === 'bigint' && n >= 0n && n <= MAX_COUNTER;
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
