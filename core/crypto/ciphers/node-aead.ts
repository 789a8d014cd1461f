/**
 * The node:crypto AEADs (ChaCha20-Poly1305, AES-256-GCM) share one seal/open shape. The tag length is pinned
 * to 16 bytes on both sides: without `authTagLength`, GCM decryption in OpenSSL accepts truncated tags.
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { CryptoError } from '../../errors.js';
import { TAG_LENGTH, type CipherMethod } from './cipher-method.js';

type Algo = 'chacha20-poly1305' | 'aes-256-gcm';

/** Shared by every call (read, never written, by node:crypto): one allocation less per message. */
const TAG_OPTIONS = Object.freeze({ authTagLength: TAG_LENGTH });

function checkSizes(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new CryptoError('OR_ERR_BAD_KEY', 'AEAD key must be 32 bytes', 500);
  if (nonce.length !== 12) throw new CryptoError('OR_ERR_BAD_NONCE', 'AEAD nonce must be 12 bytes', 500);
}

export function nodeAead(id: string, algorithm: Algo): CipherMethod {
  // @types/node 20 has no overload for 'chacha20-poly1305'; it behaves like GCM (authTagLength, setAuthTag).
  const algo = algorithm as unknown as CipherGCMTypes;

  function sealDetached(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
  ): [Buffer, Buffer] {
    checkSizes(key, nonce);
    const c = createCipheriv(algo, key, nonce, TAG_OPTIONS);
    c.setAAD(aad);
    const head = c.update(plaintext);
    const tail = c.final(); // always empty for these stream-like AEADs
    return [tail.length === 0 ? head : Buffer.concat([head, tail]), c.getAuthTag()];
  }

  function openDetached(
    key: Uint8Array,
    nonce: Uint8Array,
    body: Uint8Array,
    tag: Uint8Array,
    aad: Uint8Array,
  ): Buffer {
    checkSizes(key, nonce);
    if (tag.length !== TAG_LENGTH) throw new CryptoError('OR_ERR_BAD_TAG', 'authentication failed');
    const d = createDecipheriv(algo, key, nonce, TAG_OPTIONS);
    d.setAuthTag(tag);
    d.setAAD(aad);
    const head = d.update(body);
    try {
      const tail = d.final();
      return tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch {
      head.fill(0);
      throw new CryptoError('OR_ERR_BAD_TAG', 'authentication failed');
    }
  }

  return Object.freeze({
    id,
    keyLength: 32,
    nonceLength: 12,
    sealDetached,
    openDetached,
    seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
      return Buffer.concat(sealDetached(key, nonce, plaintext, aad));
    },
    open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Buffer {
      if (ciphertext.length < TAG_LENGTH) throw new CryptoError('OR_ERR_BAD_TAG', 'ciphertext too short');
      const cut = ciphertext.length - TAG_LENGTH;
      return openDetached(key, nonce, ciphertext.subarray(0, cut), ciphertext.subarray(cut), aad);
    },
  });
}
