/**
 * ChaCha20-Poly1305 (RFC 8439, the IETF variant: 96-bit nonce) on libsodium through `sodium-native`, when that
 * optional package loads on this platform. The result is byte for byte the node:crypto method's (the
 * conformance check and the cross tests hold both to the RFC vectors); what differs is the cost of a small
 * message. node:crypto builds and frees an OpenSSL cipher context, a C++ object and its JavaScript wrapper per
 * call, and returns its output in fresh off-heap buffers: about 3.5 µs per 300-byte message and much garbage.
 * libsodium's one-shot functions write into buffers we pass: about 0.9 µs, and the output comes from Node's
 * pooled allocator. Session traffic is mostly such small messages, each costing two of these per side.
 */
import { createRequire } from 'node:module';
import { aeadMethod } from './aead-shape.js';
import { TAG_LENGTH, type CipherMethod } from './cipher-method.js';

/** The two libsodium functions this method calls (sodium-native's signatures). */
interface SodiumAead {
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    c: Uint8Array,
    mac: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  crypto_aead_chacha20poly1305_ietf_decrypt_detached(
    m: Uint8Array,
    nsec: null,
    c: Uint8Array,
    mac: Uint8Array,
    ad: Uint8Array | null,
    npub: Uint8Array,
    k: Uint8Array,
  ): void;
}

/** sodium-native, or undefined when it is not installed or has no build for this platform. */
export function loadSodium(): SodiumAead | undefined {
  if (process.env.OPENRED_NO_SODIUM === '1') return undefined;
  try {
    const sodium = createRequire(import.meta.url)('sodium-native') as Partial<SodiumAead>;
    return typeof sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached === 'function' &&
      typeof sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached === 'function'
      ? (sodium as SodiumAead)
      : undefined;
  } catch {
    return undefined;
  }
}

export function sodiumChacha20Poly1305(sodium: SodiumAead): CipherMethod {
  const encrypt = sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached;
  const decrypt = sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached;

  /** ciphertext || tag in one buffer from Node's pool. */
  function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
    const n = plaintext.length;
    const out = Buffer.allocUnsafe(n + TAG_LENGTH);
    encrypt(out.subarray(0, n), out.subarray(n), plaintext, aad, null, nonce, key);
    return out;
  }

  return aeadMethod('chacha20-poly1305', {
    seal,
    // Both parts are views of one buffer: the callers send or join them in this order anyway.
    sealDetached(key, nonce, plaintext, aad) {
      const out = seal(key, nonce, plaintext, aad);
      return [out.subarray(0, plaintext.length), out.subarray(plaintext.length)];
    },
    sealInto(key, nonce, plaintext, aad, out, offset) {
      const n = plaintext.length;
      encrypt(
        out.subarray(offset, offset + n),
        out.subarray(offset + n, offset + n + TAG_LENGTH),
        plaintext,
        aad,
        null,
        nonce,
        key,
      );
    },
    openInPlace(key, nonce, sealed, aad) {
      const n = sealed.length - TAG_LENGTH;
      const body = sealed.subarray(0, n);
      // libsodium checks the tag over the ciphertext first, then decrypts it where it lies (input and output
      // may be the same memory for its stream cipher); on a bad tag it clears the output instead.
      decrypt(body, null, body, sealed.subarray(n), aad, nonce, key);
      return body;
    },
    openDetached(key, nonce, body, tag, aad) {
      const plaintext = Buffer.allocUnsafe(body.length);
      // libsodium checks the tag before it decrypts: on failure nothing is decrypted (it zeroes the output).
      decrypt(plaintext, null, body, tag, aad, nonce, key);
      return plaintext;
    },
  });
}
