/**
 * Noise HandshakeState (spec section 5.3) for the patterns in patterns.ts. The object is an explicit state
 * machine: 'write' or 'read' (whose turn it is), then 'done' (split available once) or 'failed'. Any misuse --
 * writing out of turn, reading after completion, splitting early, missing keys -- is OR_ERR_NOISE_STATE, and
 * after any failed read the object is dead, as the spec requires (a handshake is never retried from a state
 * that has absorbed attacker-chosen input).
 */
import type { KeyObject } from 'node:crypto';
import { CryptoError } from '../../errors.js';
import type { NoiseSuite } from '../tokens/grant.js';
import type { CipherState } from './cipher-state.js';
import { PATTERNS, usesPsk, type HandshakePattern, type PatternName } from './patterns.js';
import {
  DHLEN,
  MAX_MESSAGE,
  dh,
  generateDhKeyPair,
  noiseCipher,
  publicKeyObject,
  staticPublicKeyObject,
  type DhKeyPair,
} from './primitives.js';
import { SymmetricState } from './symmetric-state.js';

export interface HandshakeOptions {
  pattern: PatternName;
  suite: NoiseSuite;
  initiator: boolean;
  prologue: Uint8Array;
  /** Local static key pair (KK, KKpsk0). */
  s?: DhKeyPair;
  /** Remote static public key, raw (KK, KKpsk0). */
  rs?: Uint8Array;
  /** Pre-shared key, 32 bytes (KKpsk0). */
  psk?: Uint8Array;
  /** Fixed ephemeral key pair. Only for reproducing test vectors: a reused ephemeral destroys forward secrecy. */
  e?: DhKeyPair;
}

export type HandshakeStatus = 'write' | 'read' | 'done' | 'failed';

interface Remote {
  raw: Buffer;
  key: KeyObject;
}

function misuse(why: string): CryptoError {
  return new CryptoError('OR_ERR_NOISE_STATE', `Noise handshake misuse: ${why}`, 500);
}

function fail(cause?: unknown): CryptoError {
  return new CryptoError('OR_ERR_HANDSHAKE', 'handshake failed', 400, cause);
}

export class HandshakeState {
  readonly protocolName: string;
  readonly initiator: boolean;
  readonly #pattern: HandshakePattern;
  readonly #ss: SymmetricState;
  readonly #psk: Buffer | undefined;
  #s: DhKeyPair | undefined;
  #e: DhKeyPair | undefined;
  #rs: Remote | undefined;
  #re: Remote | undefined;
  #index = 0;
  #status: HandshakeStatus;

  constructor(opts: HandshakeOptions) {
    const pattern = PATTERNS[opts.pattern];
    if (pattern === undefined) throw misuse(`unknown pattern ${String(opts.pattern)}`);
    const cipher = noiseCipher(opts.suite);
    this.#pattern = pattern;
    this.initiator = opts.initiator;
    this.protocolName = `Noise_${pattern.name}_${opts.suite}`;
    if (usesPsk(pattern)) {
      if (opts.psk === undefined || opts.psk.length !== 32) throw misuse('a 32-byte psk is required');
      this.#psk = Buffer.from(opts.psk);
    } else if (opts.psk !== undefined) {
      throw misuse('psk given for a pattern without psk');
    }
    const needsStatic = pattern.preInitiator.length > 0;
    if (needsStatic && (opts.s === undefined || opts.rs === undefined)) throw misuse('s and rs are required');
    this.#s = opts.s;
    this.#e = opts.e;
    if (opts.rs !== undefined) {
      if (opts.rs.length !== DHLEN) throw misuse('rs must be 32 bytes');
      this.#rs = { raw: Buffer.from(opts.rs), key: staticPublicKeyObject(opts.rs) };
    }

    this.#ss = new SymmetricState(this.protocolName, cipher);
    this.#ss.mixHash(opts.prologue);
    // Pre-messages: the initiator's keys are hashed first on both sides.
    const initiatorStatic = this.initiator ? this.#s?.publicKey : this.#rs?.raw;
    const responderStatic = this.initiator ? this.#rs?.raw : this.#s?.publicKey;
    for (const _ of pattern.preInitiator) this.#ss.mixHash(initiatorStatic!);
    for (const _ of pattern.preResponder) this.#ss.mixHash(responderStatic!);
    this.#status = this.initiator ? 'write' : 'read';
  }

  get status(): HandshakeStatus {
    return this.#status;
  }

  get isComplete(): boolean {
    return this.#status === 'done';
  }

  /** h: unique to this handshake; both sides hold the same value once complete (channel binding). */
  get handshakeHash(): Buffer {
    return this.#ss.handshakeHash;
  }

  /** The remote static key as received or configured (raw). */
  get remoteStatic(): Buffer | undefined {
    return this.#rs?.raw;
  }

  #advance(): void {
    this.#index++;
    if (this.#index >= this.#pattern.messages.length) this.#status = 'done';
    else this.#status = this.#status === 'write' ? 'read' : 'write';
  }

  #dh(token: 'ee' | 'es' | 'se' | 'ss'): Buffer {
    // es = DH(initiator e, responder s); se = DH(initiator s, responder e).
    const local = (t: 'e' | 's'): DhKeyPair => {
      const kp = t === 'e' ? this.#e : this.#s;
      if (kp === undefined) throw misuse(`local ${t} missing`);
      return kp;
    };
    const remote = (t: 'e' | 's'): KeyObject => {
      const r = t === 'e' ? this.#re : this.#rs;
      if (r === undefined) throw misuse(`remote ${t} missing`);
      return r.key;
    };
    const [mine, theirs] =
      token === 'ee'
        ? (['e', 'e'] as const)
        : token === 'ss'
          ? (['s', 's'] as const)
          : this.initiator === (token === 'es')
            ? (['e', 's'] as const)
            : (['s', 'e'] as const);
    return dh(local(mine).privateKey, remote(theirs));
  }

  #mixDh(token: 'ee' | 'es' | 'se' | 'ss'): void {
    const shared = this.#dh(token);
    this.#ss.mixKey(shared);
    shared.fill(0);
  }

  writeMessage(payload: Uint8Array = Buffer.alloc(0)): Buffer {
    if (this.#status !== 'write') throw misuse(`cannot write in state ${this.#status}`);
    const parts: Buffer[] = [];
    try {
      for (const token of this.#pattern.messages[this.#index]!) {
        switch (token) {
          case 'e':
            this.#e ??= generateDhKeyPair();
            parts.push(this.#e.publicKey);
            this.#ss.mixHash(this.#e.publicKey);
            if (this.#psk !== undefined) this.#ss.mixKey(this.#e.publicKey);
            break;
          case 's':
            parts.push(this.#ss.encryptAndHash(this.#s!.publicKey));
            break;
          case 'psk':
            this.#ss.mixKeyAndHash(this.#psk!);
            break;
          default:
            this.#mixDh(token);
        }
      }
      parts.push(this.#ss.encryptAndHash(payload));
    } catch (err) {
      this.#status = 'failed';
      throw err;
    }
    const msg = Buffer.concat(parts);
    if (msg.length > MAX_MESSAGE) {
      this.#status = 'failed';
      throw misuse('message longer than 65535 bytes');
    }
    this.#advance();
    return msg;
  }

  /** Processes the peer's next message; returns its payload. Any failure kills the handshake (OR_ERR_HANDSHAKE). */
  readMessage(message: Uint8Array): Buffer {
    if (this.#status !== 'read') throw misuse(`cannot read in state ${this.#status}`);
    try {
      if (message.length > MAX_MESSAGE) throw fail();
      let off = 0;
      const take = (n: number): Buffer => {
        if (message.length - off < n) throw fail();
        const out = Buffer.from(message.subarray(off, off + n));
        off += n;
        return out;
      };
      for (const token of this.#pattern.messages[this.#index]!) {
        switch (token) {
          case 'e': {
            const re = take(DHLEN);
            this.#re = { raw: re, key: publicKeyObject(re) };
            this.#ss.mixHash(re);
            if (this.#psk !== undefined) this.#ss.mixKey(re);
            break;
          }
          case 's': {
            const rs = this.#ss.decryptAndHash(take(this.#ss.cipherState.hasKey() ? DHLEN + 16 : DHLEN));
            this.#rs = { raw: rs, key: publicKeyObject(rs) };
            break;
          }
          case 'psk':
            this.#ss.mixKeyAndHash(this.#psk!);
            break;
          default:
            this.#mixDh(token);
        }
      }
      const payload = this.#ss.decryptAndHash(message.subarray(off));
      this.#advance();
      return payload;
    } catch (err) {
      this.#status = 'failed';
      this.destroy();
      if (err instanceof CryptoError && err.code === 'OR_ERR_HANDSHAKE') throw err;
      throw fail(err);
    }
  }

  /** The raw transport keys [initiator->responder, responder->initiator]; once, after completion. */
  splitKeys(): [Buffer, Buffer] {
    if (this.#status !== 'done') throw misuse('handshake not complete');
    return this.#ss.splitKeys();
  }

  /** Transport CipherStates [send, receive] from this side's point of view. */
  split(): { send: CipherState; receive: CipherState } {
    if (this.#status !== 'done') throw misuse('handshake not complete');
    const [c1, c2] = this.#ss.split();
    return this.initiator ? { send: c1, receive: c2 } : { send: c2, receive: c1 };
  }

  /** Zeroes the chaining key, cipher key and psk. Call when the handshake is finished or abandoned. */
  destroy(): void {
    this.#ss.destroy();
    this.#psk?.fill(0);
    this.#e = undefined;
  }
}
