import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from '../errors.js';

/** The at-rest scheme named in stored values: ChaCha20-Poly1305, random 96-bit nonce, 128-bit tag. */
export const AT_REST_SCHEME = 'chacha20-poly1305';

/**
 * Seals text for storage with a key derived from the node secret. `aad` binds the value to where it is
 * stored (e.g. its entry name), so entries cannot be swapped between names undetected.
 */
export function sealText(key: Uint8Array, plaintext: string, aad: string): string {
  const nonce = randomBytes(12);
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(Buffer.from(aad), { plaintextLength: Buffer.byteLength(plaintext) });
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return Buffer.concat([nonce, ct, c.getAuthTag()]).toString('base64');
}

export function openText(key: Uint8Array, sealed: string, aad: string): string {
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length < 28) throw new CryptoError('OR_ERR_STORE_CORRUPT', 'sealed value too short');
  const nonce = raw.subarray(0, 12);
  const tag = raw.subarray(raw.length - 16);
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAAD(Buffer.from(aad), { plaintextLength: raw.length - 28 });
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
  } catch (err) {
    throw new CryptoError('OR_ERR_STORE_CORRUPT', 'stored value failed authentication', 500, err);
  }
}
