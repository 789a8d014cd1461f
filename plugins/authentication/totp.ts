/**
 * TOTP (RFC 6238) over HOTP (RFC 4226), as authenticator apps implement it: HMAC-SHA-1, 6 digits, 30 s
 * steps by default. Verification looks at the previous, current and next step (clock drift), compares in
 * constant time, and returns the matching step so the caller can refuse a code already used.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpParams {
  algorithm: TotpAlgorithm;
  digits: number;
  /** Step length in seconds. */
  period: number;
}

export const TOTP_DEFAULTS: TotpParams = { algorithm: 'SHA1', digits: 6, period: 30 };

/** RFC 4226 HOTP: HMAC of the 8-byte big-endian counter, dynamic truncation, `digits` decimal digits. */
export function hotp(secret: Uint8Array, counter: number, algorithm: TotpAlgorithm, digits: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm.toLowerCase(), secret).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary =
    ((mac[offset]! & 0x7f) << 24) |
    ((mac[offset + 1]! & 0xff) << 16) |
    ((mac[offset + 2]! & 0xff) << 8) |
    (mac[offset + 3]! & 0xff);
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The time step a moment falls in (RFC 6238 T, with T0 = 0). */
export function timeStep(nowMs: number, period: number): number {
  return Math.floor(nowMs / 1000 / period);
}

export function totp(secret: Uint8Array, nowMs: number, params: TotpParams = TOTP_DEFAULTS): string {
  return hotp(secret, timeStep(nowMs, params.period), params.algorithm, params.digits);
}

/**
 * The step whose code equals `code`, looking `window` steps either side of now; undefined when none does.
 * Every candidate is computed and compared (constant time), whatever matches first.
 */
export function verifyTotp(
  secret: Uint8Array,
  code: string,
  nowMs: number,
  params: TotpParams = TOTP_DEFAULTS,
  window = 1,
): number | undefined {
  const given = Buffer.from(normalizeCode(code).padEnd(params.digits, 'x').slice(0, params.digits));
  const wellFormed = new RegExp(`^\\d{${params.digits}}$`).test(normalizeCode(code));
  const now = timeStep(nowMs, params.period);
  let matched: number | undefined;
  for (let step = now - window; step <= now + window; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(hotp(secret, step, params.algorithm, params.digits));
    if (timingSafeEqual(expected, given) && matched === undefined) matched = step;
  }
  return wellFormed ? matched : undefined;
}

/** Codes are typed by people: ignore spaces and dashes. */
export function normalizeCode(code: string): string {
  return String(code).replace(/[\s-]/g, '');
}

/**
 * The `otpauth://totp/...` URI authenticator apps scan (Key Uri Format): label `issuer:account`, the secret
 * in base32 without padding, and the parameters, stated even where they are the defaults.
 */
export function otpauthUri(options: {
  secret: Uint8Array;
  issuer: string;
  account: string;
  params?: TotpParams;
}): string {
  const p = options.params ?? TOTP_DEFAULTS;
  const label = `${encodeURIComponent(options.issuer)}:${encodeURIComponent(options.account)}`;
  const query = new URLSearchParams({
    secret: base32Encode(options.secret),
    issuer: options.issuer,
    algorithm: p.algorithm,
    digits: String(p.digits),
    period: String(p.period),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper case, no padding (what authenticator apps expect). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes base32 (case-insensitive, padding and spaces ignored); throws on other characters. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of clean) {
    const i = B32.indexOf(c);
    if (i === -1) throw new Error(`invalid base32 character ${JSON.stringify(c)}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
