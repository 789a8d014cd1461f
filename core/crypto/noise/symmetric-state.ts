/**
 * Noise SymmetricState (spec section 5.2): the chaining key `ck` and handshake hash `h` that absorb every
 * handshake input, so any difference in prologue, keys, psk or protocol name makes the two sides diverge.
 */
import { CryptoError } from '../../errors.js';
import { CipherState } from './cipher-state.js';
import { HASHLEN, hash, hkdf, type NoiseCipher } from './primitives.js';

const initial = new Map<string, Buffer>();

/** h0 for a protocol name (section 5.2): the name zero-padded, or its hash when longer than HASHLEN. */
function initialHash(protocolName: string): Buffer {
  let h = initial.get(protocolName);
  if (h === undefined) {
    const name = Buffer.from(protocolName, 'ascii');
    h = name.length <= HASHLEN ? Buffer.concat([name, Buffer.alloc(HASHLEN - name.length)]) : hash(name);
    if (initial.size < 64) initial.set(protocolName, h);
  }
  return Buffer.from(h);
}

export class SymmetricState {
  #ck: Buffer;
  #h: Buffer;
  readonly #cipher: NoiseCipher;
  readonly cipherState: CipherState;

  constructor(protocolName: string, cipher: NoiseCipher) {
    this.#h = initialHash(protocolName);
    this.#ck = Buffer.from(this.#h);
    this.#cipher = cipher;
    this.cipherState = new CipherState(cipher);
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf(this.#ck, ikm, 2) as [Buffer, Buffer];
    this.#ck.fill(0);
    this.#ck = ck;
    this.cipherState.initializeKey(k);
    k.fill(0);
  }

  mixHash(data: Uint8Array): void {
    this.#h = hash(this.#h, data);
  }

  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, th, k] = hkdf(this.#ck, ikm, 3) as [Buffer, Buffer, Buffer];
    this.#ck.fill(0);
    this.#ck = ck;
    this.mixHash(th);
    this.cipherState.initializeKey(k);
    k.fill(0);
  }

  get handshakeHash(): Buffer {
    return Buffer.from(this.#h);
  }

  encryptAndHash(plaintext: Uint8Array): Buffer {
    const ct = this.cipherState.encryptWithAd(this.#h, plaintext);
    this.mixHash(ct);
    return ct;
  }

  decryptAndHash(ciphertext: Uint8Array): Buffer {
    const pt = this.cipherState.decryptWithAd(this.#h, ciphertext);
    this.mixHash(ciphertext);
    return pt;
  }

  /** The two raw transport keys (initiator->responder, responder->initiator). The caller zeroes them. */
  splitKeys(): [Buffer, Buffer] {
    if (this.#ck.length === 0) throw new CryptoError('OR_ERR_NOISE_STATE', 'already split', 500);
    const [k1, k2] = hkdf(this.#ck, Buffer.alloc(0), 2) as [Buffer, Buffer];
    return [k1, k2];
  }

  split(): [CipherState, CipherState] {
    const [k1, k2] = this.splitKeys();
    const out: [CipherState, CipherState] = [
      new CipherState(this.#cipher, k1),
      new CipherState(this.#cipher, k2),
    ];
    k1.fill(0);
    k2.fill(0);
    return out;
  }

  destroy(): void {
    this.#ck.fill(0);
    this.#ck = Buffer.alloc(0);
    this.cipherState.destroy();
  }
}
