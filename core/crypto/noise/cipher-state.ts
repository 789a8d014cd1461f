/**
 * Noise CipherState (spec section 5.1): a key and a 64-bit nonce counter. Before a key is set, encryption is
 * the identity (the first handshake messages of NN are in clear by design).
 */
import { CryptoError } from '../../errors.js';
import { MAX_NONCE, type NoiseCipher } from './primitives.js';

export class CipherState {
  #k: Buffer | undefined;
  #n = 0n;
  readonly #cipher: NoiseCipher;

  constructor(cipher: NoiseCipher, key?: Uint8Array) {
    this.#cipher = cipher;
    if (key !== undefined) this.initializeKey(key);
  }

  initializeKey(key: Uint8Array | undefined): void {
    this.#k?.fill(0);
    this.#k = key === undefined ? undefined : Buffer.from(key);
    this.#n = 0n;
  }

  hasKey(): boolean {
    return this.#k !== undefined;
  }

  /** The next nonce that will be used. */
  get nonce(): bigint {
    return this.#n;
  }

  setNonce(n: bigint): void {
    if (n < 0n || n > MAX_NONCE) throw new CryptoError('OR_ERR_NOISE_STATE', 'nonce out of range', 500);
    this.#n = n;
  }

  #checkNonce(): void {
    if (this.#n >= MAX_NONCE) throw new CryptoError('OR_ERR_NONCE_EXHAUSTED', 'nonce space exhausted', 500);
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Buffer {
    if (this.#k === undefined) return Buffer.from(plaintext);
    this.#checkNonce();
    const out = this.#cipher.method.seal(this.#k, this.#cipher.nonce(this.#n), plaintext, ad);
    this.#n++;
    return out;
  }

  /** Throws OR_ERR_BAD_TAG on authentication failure; the nonce then does not advance. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Buffer {
    if (this.#k === undefined) return Buffer.from(ciphertext);
    this.#checkNonce();
    let out: Buffer;
    try {
      out = this.#cipher.method.open(this.#k, this.#cipher.nonce(this.#n), ciphertext, ad);
    } catch (err) {
      throw new CryptoError('OR_ERR_BAD_TAG', 'authentication failed', 400, err);
    }
    this.#n++;
    return out;
  }

  /** Rekey (section 4.2): k = first 32 bytes of ENCRYPT(k, 2^64-1, zerolen, zeros). */
  rekey(): void {
    if (this.#k === undefined) throw new CryptoError('OR_ERR_NOISE_STATE', 'no key to rekey', 500);
    const out = this.#cipher.method.seal(
      this.#k,
      this.#cipher.nonce(MAX_NONCE),
      Buffer.alloc(32),
      Buffer.alloc(0),
    );
    this.#k.fill(0);
    this.#k = out.subarray(0, 32);
  }

  destroy(): void {
    this.#k?.fill(0);
    this.#k = undefined;
  }
}
