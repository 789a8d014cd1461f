/**
 * One-time recovery codes: 80 random bits each, shown once as `xxxx-xxxx-xxxx-xxxx` (base32), stored only as
 * HMAC-SHA-256 under a key derived from the node secret (high-entropy codes need no slow hash; the key keeps
 * a stolen data file from being checked offline without the node).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { base32Encode } from './totp.js';

export interface StoredRecoveryCode {
  /** base64url HMAC of the normalized code. */
  hash: string;
  usedAt: number | null;
}

export function generateRecoveryCodes(count: number): string[] {
  return Array.from({ length: count }, () =>
    base32Encode(randomBytes(10)).toLowerCase().match(/.{4}/g)!.join('-'),
  );
}

export function normalizeRecoveryCode(code: string): string {
  return String(code).toLowerCase().replace(/[\s-]/g, '');
}

export function hashRecoveryCode(key: Buffer, code: string): string {
  return createHmac('sha256', key).update(normalizeRecoveryCode(code)).digest('base64url');
}

/**
 * The index of the unused stored code that `code` is, or -1. Every stored code is compared (constant time),
 * used ones included, so the answer time does not depend on which one matched.
 */
export function matchRecoveryCode(key: Buffer, code: string, stored: readonly StoredRecoveryCode[]): number {
  const given = Buffer.from(hashRecoveryCode(key, code), 'base64url');
  let found = -1;
  stored.forEach((s, i) => {
    const equal = timingSafeEqual(Buffer.from(s.hash, 'base64url'), given);
    if (equal && s.usedAt === null && found === -1) found = i;
  });
  return found;
}
