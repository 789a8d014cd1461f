/**
 * The gate a cipher method passes before any session may use it: it must reproduce the known-answer vectors its
 * author supplies, round-trip random data, and reject a single flipped bit in the ciphertext body, in the tag
 * and in the associated data. This catches wrong wiring (tag not checked, AAD ignored, nonce ignored) in plugin
 * code; it does not prove a cipher secure, which is why methods come from plugins an operator chose to install.
 */
import { randomBytes } from 'node:crypto';
import { CryptoError } from '../../errors.js';
import { TAG_LENGTH, type CipherMethod, type CipherVector } from './cipher-method.js';

const ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Transport nonces are 4 zero bytes || a 64-bit counter (see transport/), so methods must take 96 bits. */
export const REQUIRED_NONCE_LENGTH = 12;

function fail(id: string, why: string, cause?: unknown): never {
  throw new CryptoError('OR_ERR_CIPHER_CONFORMANCE', `cipher method ${id}: ${why}`, 500, cause);
}

/** True when `open` threw: what a method must do with anything it did not seal. */
function refuses(open: () => unknown): boolean {
  try {
    open();
    return false;
  } catch {
    return true;
  }
}

function mustReject(
  m: CipherMethod,
  key: Buffer,
  nonce: Buffer,
  ct: Buffer,
  aad: Buffer,
  what: string,
): void {
  if (!refuses(() => m.open(key, nonce, ct, aad))) fail(m.id, `accepted a ${what}`);
}

function flip(buf: Buffer, index: number): Buffer {
  const out = Buffer.from(buf);
  out[index]! ^= 0x01;
  return out;
}

/** One random message sealed with `seal`: what the optional forms must reproduce. */
interface Sample {
  key: Buffer;
  nonce: Buffer;
  pt: Buffer;
  aad: Buffer;
  ct: Buffer;
}

/** The optional detached fast path must be the same function as seal/open, tamper rejection included. */
function checkDetached(m: CipherMethod, { key, nonce, pt, aad, ct }: Sample): void {
  if ((m.sealDetached === undefined) !== (m.openDetached === undefined)) {
    fail(m.id, 'sealDetached and openDetached come together');
  }
  if (m.sealDetached === undefined || m.openDetached === undefined) return;
  const cut = ct.length - TAG_LENGTH;
  let parts: [Buffer, Buffer];
  let opened: Buffer;
  try {
    parts = m.sealDetached(key, nonce, pt, aad);
    opened = Buffer.from(m.openDetached(key, nonce, ct.subarray(0, cut), ct.subarray(cut), aad));
  } catch (err) {
    fail(m.id, 'detached seal/open threw', err);
  }
  if (!Buffer.concat(parts).equals(ct)) fail(m.id, 'sealDetached differs from seal');
  if (!opened.equals(pt)) fail(m.id, 'openDetached differs from open');
  const forged = flip(ct.subarray(cut), 0);
  if (!refuses(() => m.openDetached!(key, nonce, ct.subarray(0, cut), forged, aad))) {
    fail(m.id, 'openDetached accepted a flipped tag bit');
  }
}

/** The optional in-place forms must give the same bytes as seal/open and refuse a flipped tag bit. */
function checkInPlace(m: CipherMethod, { key, nonce, pt, aad, ct }: Sample): void {
  if (m.sealInto) {
    const out = Buffer.alloc(ct.length + 3, 0xa5);
    try {
      m.sealInto(key, nonce, pt, aad, out, 3);
    } catch (err) {
      fail(m.id, 'sealInto threw', err);
    }
    if (!out.subarray(3).equals(ct) || !out.subarray(0, 3).equals(Buffer.alloc(3, 0xa5))) {
      fail(m.id, 'sealInto differs from seal');
    }
  }
  if (m.openInPlace) {
    let opened: Buffer;
    try {
      opened = Buffer.from(m.openInPlace(key, nonce, Buffer.from(ct), aad));
    } catch (err) {
      fail(m.id, 'openInPlace threw', err);
    }
    if (!opened.equals(pt)) fail(m.id, 'openInPlace differs from open');
    if (!refuses(() => m.openInPlace!(key, nonce, flip(ct, ct.length - 1), aad))) {
      fail(m.id, 'openInPlace accepted a flipped tag bit');
    }
  }
}

/** Throws OR_ERR_CIPHER_CONFORMANCE with the first check that failed. */
export function checkConformance(m: CipherMethod, vectors: readonly CipherVector[]): void {
  const id = typeof m?.id === 'string' ? m.id : '<no id>';
  if (!ID_RE.test(id)) fail(id, 'id must match ' + String(ID_RE));
  if (typeof m.seal !== 'function' || typeof m.open !== 'function') fail(id, 'seal/open missing');
  if (!Number.isInteger(m.keyLength) || m.keyLength < 16 || m.keyLength > 64)
    fail(id, 'keyLength not in 16..64');
  if (m.nonceLength !== REQUIRED_NONCE_LENGTH) fail(id, `nonceLength must be ${REQUIRED_NONCE_LENGTH}`);
  if (vectors.length === 0) fail(id, 'no known-answer vectors supplied');

  for (const [i, v] of vectors.entries()) {
    const [key, nonce, pt, aad, ct] = [v.key, v.nonce, v.plaintext, v.aad, v.ciphertext].map((h) =>
      Buffer.from(h, 'hex'),
    ) as [Buffer, Buffer, Buffer, Buffer, Buffer];
    let sealed: Buffer;
    let opened: Buffer;
    try {
      sealed = Buffer.from(m.seal(key, nonce, pt, aad));
      opened = Buffer.from(m.open(key, nonce, ct, aad));
    } catch (err) {
      fail(id, `vector ${i} threw`, err);
    }
    if (!sealed.equals(ct)) fail(id, `vector ${i}: seal does not match`);
    if (!opened.equals(pt)) fail(id, `vector ${i}: open does not match`);
  }

  for (const len of [0, 1, 64, 1500]) {
    const key = randomBytes(m.keyLength);
    const nonce = randomBytes(m.nonceLength);
    const aad = randomBytes(13);
    const pt = len === 64 ? Buffer.alloc(64) : randomBytes(len);
    let ct: Buffer;
    try {
      ct = Buffer.from(m.seal(key, nonce, pt, aad));
      if (!Buffer.from(m.open(key, nonce, ct, aad)).equals(pt))
        fail(id, `round trip of ${len} bytes differs`);
    } catch (err) {
      if (err instanceof CryptoError && err.code === 'OR_ERR_CIPHER_CONFORMANCE') throw err;
      fail(id, `round trip of ${len} bytes threw`, err);
    }
    if (ct.length < len + TAG_LENGTH) fail(id, 'ciphertext shorter than plaintext + 16-byte tag');
    if (len === 64 && ct.subarray(0, 64).equals(pt)) fail(id, 'ciphertext equals plaintext');
    if (len > 0) mustReject(m, key, nonce, flip(ct, len >> 1), aad, 'flipped ciphertext bit');
    mustReject(m, key, nonce, flip(ct, ct.length - 1), aad, 'flipped tag bit');
    mustReject(m, key, nonce, ct, flip(aad, 0), 'flipped associated-data bit');
    mustReject(m, key, flip(nonce, 0), ct, aad, 'different nonce');
    mustReject(m, key, nonce, ct.subarray(0, ct.length - 1), aad, 'truncated ciphertext');
    checkDetached(m, { key, nonce, pt, aad, ct });
    checkInPlace(m, { key, nonce, pt, aad, ct });
  }
}
