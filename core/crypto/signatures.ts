/**
 * Ed25519 signatures (RFC 8032, pure Ed25519 as node:crypto implements it). Verification never throws:
 * malformed keys or signatures are simply "not valid", so callers cannot forget a try/catch and turn a bad
 * input into a 500.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalBytes } from './canonical-json.js';
import { fromB64u, toB64u } from './encoding.js';
import { ed25519PublicFromBytes } from './keys.js';

// Parsing a DER public key costs about as much as a hash; the directory key and peers' keys repeat a lot.
const KEY_CACHE_MAX = 512;
const keyCache = new Map<string, KeyObject>();

function publicKey(b64u: string): KeyObject {
  let key = keyCache.get(b64u);
  if (key === undefined) {
    key = ed25519PublicFromBytes(fromB64u(b64u, 32));
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(b64u, key);
  }
  return key;
}

export function signEd25519(privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign(null, data, privateKey);
}

export function verifyEd25519(publicKeyB64u: string, data: Uint8Array, signatureB64u: string): boolean {
  try {
    const sig = fromB64u(signatureB64u, 64);
    return verify(null, data, publicKey(publicKeyB64u), sig);
  } catch {
    return false;
  }
}

/** Base64url Ed25519 signature over the RFC 8785 canonical bytes of `value`. */
export function signCanonical(privateKey: KeyObject, value: unknown): string {
  return toB64u(signEd25519(privateKey, canonicalBytes(value)));
}

export function verifyCanonical(publicKeyB64u: string, value: unknown, signatureB64u: string): boolean {
  let bytes: Buffer;
  try {
    bytes = canonicalBytes(value);
  } catch {
    return false;
  }
  return verifyEd25519(publicKeyB64u, bytes, signatureB64u);
}
