import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { CipherMethod } from '@openred/plugin-sdk';

const TAG_LENGTH = 16;

/**
 * The cipher method this plugin offers: AES-256-GCM on node:crypto, as a starting point. Replace the two
 * functions (and the vectors in vectors.ts) with your algorithm; keep the contract: `seal` returns
 * ciphertext || 16-byte tag, `open` throws on any authentication failure, nonces are 12 bytes.
 */
export const method: CipherMethod = {
  id: '{{pluginName}}-aes-256-gcm',
  keyLength: 32,
  nonceLength: 12,
  seal(key, nonce, plaintext, aad) {
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(aad);
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  },
  open(key, nonce, ciphertext, aad) {
    if (ciphertext.length < TAG_LENGTH) throw new Error('ciphertext shorter than its tag');
    const body = ciphertext.subarray(0, ciphertext.length - TAG_LENGTH);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(aad);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
    return Buffer.concat([decipher.update(body), decipher.final()]);
  },
};
