/**
 * ChaCha20-Poly1305 (RFC 8439): the default method, constant-time without AES hardware. Small messages go
 * through libsodium when the optional `sodium-native` package loads (a quarter of the cost, see
 * sodium-aead.ts), large ones through node:crypto, whose per-call setup no longer matters at that size and
 * whose buffers come from Node's own allocator; both produce the same bytes.
 */
import { openInPlace, sealInto } from './aead-shape.js';
import { TAG_LENGTH, type CipherMethod } from './cipher-method.js';
import { nodeAead } from './node-aead.js';
import { loadSodium, sodiumChacha20Poly1305 } from './sodium-aead.js';

/** The node:crypto implementation, always available (and the reference the libsodium one is tested against). */
export const nodeChacha20Poly1305 = nodeAead('chacha20-poly1305', 'chacha20-poly1305');

/**
 * Plaintexts shorter than this use libsodium. Measured on the development machine: at 1 KiB libsodium is 4x
 * faster, at 16 KiB 1.5-2x, from 64 KiB the two are level and at 1 MiB node:crypto is ahead by up to a third.
 */
export const SODIUM_BELOW_BYTES = 64 * 1024;

const sodium = loadSodium();

/** Which library implements the built-in ChaCha20-Poly1305's small messages in this process (`openred status`). */
export const chachaImplementation: 'libsodium' | 'node:crypto' = sodium ? 'libsodium' : 'node:crypto';

export const chacha20Poly1305: CipherMethod = sodium
  ? bySize(sodiumChacha20Poly1305(sodium), nodeChacha20Poly1305, SODIUM_BELOW_BYTES)
  : nodeChacha20Poly1305;

/** One method from two implementations of the same AEAD, chosen by plaintext length. */
function bySize(small: CipherMethod, large: CipherMethod, below: number): CipherMethod {
  const pick = (plaintextLength: number) => (plaintextLength < below ? small : large);
  return Object.freeze({
    id: small.id,
    keyLength: small.keyLength,
    nonceLength: small.nonceLength,
    seal: (key, nonce, plaintext, aad) => pick(plaintext.length).seal(key, nonce, plaintext, aad),
    open: (key, nonce, ciphertext, aad) =>
      pick(ciphertext.length - TAG_LENGTH).open(key, nonce, ciphertext, aad),
    sealDetached: (key, nonce, plaintext, aad) =>
      pick(plaintext.length).sealDetached!(key, nonce, plaintext, aad),
    openDetached: (key, nonce, ciphertext, tag, aad) =>
      pick(ciphertext.length).openDetached!(key, nonce, ciphertext, tag, aad),
    sealInto: (key, nonce, plaintext, aad, out, offset) =>
      sealInto(pick(plaintext.length), key, nonce, plaintext, aad, out, offset),
    openInPlace: (key, nonce, sealed, aad) =>
      openInPlace(pick(sealed.length - TAG_LENGTH), key, nonce, sealed, aad),
  } satisfies CipherMethod);
}
