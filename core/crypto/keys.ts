/**
 * Raw 32-byte keys <-> node:crypto KeyObjects. Node only imports X25519/Ed25519 keys as DER or JWK, so raw keys
 * are wrapped in the fixed DER prefixes of RFC 8410 (the prefix is constant for these curves: building it by
 * hand is cheaper than a JWK round trip and needs no parsing).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CryptoError } from '../errors.js';

const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

function need32(raw: Uint8Array, what: string): void {
  if (raw.length !== 32) throw new CryptoError('OR_ERR_BAD_KEY', `${what} must be 32 bytes`);
}

export function x25519PublicFromBytes(raw: Uint8Array): KeyObject {
  need32(raw, 'X25519 public key');
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}

export function ed25519PublicFromBytes(raw: Uint8Array): KeyObject {
  need32(raw, 'Ed25519 public key');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

export function x25519PrivateFromBytes(raw: Uint8Array): KeyObject {
  need32(raw, 'X25519 private key');
  const der = Buffer.concat([PKCS8_X25519, raw]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

export function ed25519PrivateFromBytes(raw: Uint8Array): KeyObject {
  need32(raw, 'Ed25519 private key');
  const der = Buffer.concat([PKCS8_ED25519, raw]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** Raw 32-byte public key of a public or private X25519/Ed25519 KeyObject. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

/** Raw 32-byte private scalar/seed of an X25519/Ed25519 private KeyObject. The caller must zero it. */
export function rawPrivateKey(key: KeyObject): Buffer {
  if (key.type !== 'private') throw new CryptoError('OR_ERR_BAD_KEY', 'not a private key');
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const raw = Buffer.from(der.subarray(der.length - 32));
  der.fill(0);
  return raw;
}
