/**
 * Byte encodings used on the wire. Decoding is strict on purpose: Node's own base64 decoder skips characters it
 * does not know and accepts non-canonical trailing bits, so two different strings could decode to the same key
 * or signature. Everything that reaches a verifier goes through `fromB64u`, which accepts exactly one spelling
 * per byte string.
 */
import { CryptoError } from '../errors.js';

const B64U = /^[A-Za-z0-9_-]*$/;
const B64U_INDEX = new Uint8Array(128);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) {
  B64U_INDEX[c.charCodeAt(0)] = i;
}

export function toB64u(buf: Uint8Array): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('base64url');
}

/**
 * Decodes unpadded base64url. Rejects any other character (including `=`, `+`, `/`, whitespace), impossible
 * lengths, non-zero trailing bits and, when `expectedLength` is given, a decoded length that differs.
 */
export function fromB64u(s: string, expectedLength?: number): Buffer {
  if (typeof s !== 'string' || !B64U.test(s) || s.length % 4 === 1) {
    throw new CryptoError('OR_ERR_BAD_ENCODING', 'invalid base64url');
  }
  // Non-canonical spellings set bits past the last full byte: 4 unused bits when length % 4 == 2, 2 when 3.
  // Checking the last character is enough (re-encoding would double the cost on megabyte bodies).
  const rem = s.length % 4;
  if (rem !== 0 && (B64U_INDEX[s.charCodeAt(s.length - 1)]! & (rem === 2 ? 0x0f : 0x03)) !== 0) {
    throw new CryptoError('OR_ERR_BAD_ENCODING', 'non-canonical base64url');
  }
  const out = Buffer.from(s, 'base64url');
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new CryptoError('OR_ERR_BAD_ENCODING', `expected ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

/** True when `s` is canonical base64url of exactly `length` bytes (no throw). */
export function isB64u(s: unknown, length?: number): s is string {
  if (typeof s !== 'string') return false;
  try {
    fromB64u(s, length);
    return true;
  } catch {
    return false;
  }
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lowercase, without padding (node ids are meant to be typed and read by people). */
export function toBase32(buf: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** Big-endian unsigned 64-bit encoding (epochs and counters in key derivation and nonces). */
export function u64be(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
