/**
 * The node:crypto AEADs (ChaCha20-Poly1305, AES-256-GCM). The tag length is pinned to 16 bytes on both sides:
 * without `authTagLength`, GCM decryption in OpenSSL accepts truncated tags.
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { aeadMethod } from './aead-shape.js';
import { TAG_LENGTH, type CipherMethod } from './cipher-method.js';

type Algo = 'chacha20-poly1305' | 'aes-256-gcm';

/** Shared by every call (read, never written, by node:crypto): one allocation less per message. */
const TAG_OPTIONS = Object.freeze({ authTagLength: TAG_LENGTH });

export function nodeAead(id: string, algorithm: Algo): CipherMethod {
  // @types/node 20 has no overload for 'chacha20-poly1305'; it behaves like GCM (authTagLength, setAuthTag).
  const algo = algorithm as unknown as CipherGCMTypes;
  return aeadMethod(id, {
    sealDetached(key, nonce, plaintext, aad) {
      const c = createCipheriv(algo, key, nonce, TAG_OPTIONS);
      c.setAAD(aad);
      const head = c.update(plaintext);
      const tail = c.final(); // always empty for these stream-like AEADs
      return [tail.length === 0 ? head : Buffer.concat([head, tail]), c.getAuthTag()];
    },
    openDetached(key, nonce, body, tag, aad) {
      const d = createDecipheriv(algo, key, nonce, TAG_OPTIONS);
      d.setAuthTag(tag);
      d.setAAD(aad);
      const head = d.update(body);
      try {
        const tail = d.final();
        return tail.length === 0 ? head : Buffer.concat([head, tail]);
      } catch (err) {
        head.fill(0); // unauthenticated plaintext never leaves
        throw err;
      }
    },
  });
}
