/**
 * Owner passwords: scrypt with a random salt, the parameters stored next to the hash so they can be raised
 * later without breaking existing hashes. Hashing runs on libuv's thread pool (async scrypt), not on the
 * event loop. Comparison is constant-time.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHash {
  algorithm: 'scrypt';
  /** CPU/memory cost (a power of two). */
  N: number;
  r: number;
  p: number;
  keylen: number;
  /** base64url */
  salt: string;
  /** base64url */
  hash: string;
}

function derive(password: string, salt: Buffer, params: Omit<PasswordHash, 'salt' | 'hash' | 'algorithm'>) {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // scrypt needs 128 * N * r bytes; leave headroom or Node refuses.
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(Buffer.from(password.normalize('NFC'), 'utf8'), salt, params.keylen, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Hashes with N = 2^log2N, r = 8, p = 1, a 16-byte salt and a 32-byte key. */
export async function hashPassword(password: string, log2N: number): Promise<PasswordHash> {
  const params = { N: 2 ** log2N, r: 8, p: 1, keylen: 32 };
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return {
    algorithm: 'scrypt',
    ...params,
    salt: salt.toString('base64url'),
    hash: key.toString('base64url'),
  };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64url');
  const key = await derive(password, Buffer.from(stored.salt, 'base64url'), stored);
  return key.length === expected.length && timingSafeEqual(key, expected);
}
