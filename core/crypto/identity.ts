/**
 * Node identities (DESIGN.md section 2). A node has an X25519 key (Noise static key, HPKE recipient) and an
 * Ed25519 key (signatures). Its id is derived from both public keys, so the id is self-certifying: anyone can
 * recompute it, a directory cannot substitute keys for an id, and a node cannot claim another node's id.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CryptoError } from '../errors.js';
import { fromB64u, isB64u, toB64u, toBase32 } from './encoding.js';
import { ed25519PublicFromBytes, rawPublicKey, x25519PublicFromBytes } from './keys.js';

/** Base64url of the raw 32-byte public keys. */
export interface NodePublicKeys {
  x25519: string;
  ed25519: string;
}

export interface NodeKeyPair {
  publicKeys: NodePublicKeys;
  x25519Private: KeyObject;
  ed25519Private: KeyObject;
}

const NODE_ID_DOMAIN = Buffer.from('openred/node-id/v1', 'utf8');
const NODE_ID_RE = /^or[a-z2-7]{32}$/;

export function generateNodeKeys(): NodeKeyPair {
  const x = generateKeyPairSync('x25519');
  const ed = generateKeyPairSync('ed25519');
  return {
    publicKeys: { x25519: toB64u(rawPublicKey(x.publicKey)), ed25519: toB64u(rawPublicKey(ed.publicKey)) },
    x25519Private: x.privateKey,
    ed25519Private: ed.privateKey,
  };
}

/** True when `keys` has exactly the two fields, each canonical base64url of 32 bytes. */
export function isNodePublicKeys(keys: unknown): keys is NodePublicKeys {
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) return false;
  const k = keys as Record<string, unknown>;
  return Object.keys(k).length === 2 && isB64u(k.x25519, 32) && isB64u(k.ed25519, 32);
}

/**
 * `'or' + base32(SHA-256("openred/node-id/v1" || x25519 || ed25519)[0..20])`: 160 bits, 32 base32 characters.
 * 160 bits keep second-preimage attacks (claiming an existing id with other keys) out of reach.
 */
export function deriveNodeId(keys: NodePublicKeys): string {
  const x = fromB64u(keys.x25519, 32);
  const ed = fromB64u(keys.ed25519, 32);
  const digest = createHash('sha256').update(NODE_ID_DOMAIN).update(x).update(ed).digest();
  return 'or' + toBase32(digest.subarray(0, 20));
}

export function isNodeId(s: unknown): s is string {
  return typeof s === 'string' && NODE_ID_RE.test(s);
}

/** Throws OR_ERR_NODE_ID_MISMATCH unless `id` is exactly the id derived from `keys`. */
export function assertNodeIdMatchesKeys(id: string, keys: NodePublicKeys): void {
  let derived: string;
  try {
    derived = deriveNodeId(keys);
  } catch {
    throw new CryptoError('OR_ERR_NODE_ID_MISMATCH', 'node keys are malformed', 400);
  }
  if (derived !== id)
    throw new CryptoError('OR_ERR_NODE_ID_MISMATCH', 'node id does not match its keys', 400);
}

export function ed25519PublicKeyFromRaw(b64u: string): KeyObject {
  return ed25519PublicFromBytes(fromB64u(b64u, 32));
}

export function x25519PublicKeyFromRaw(b64u: string): KeyObject {
  return x25519PublicFromBytes(fromB64u(b64u, 32));
}

/**
 * A short form of a public key for people to compare out of band (`openred init` prints the directory's):
 * the first 128 bits of SHA-256 of the raw key, as 8 groups of 4 hex digits.
 */
export function keyFingerprint(b64u: string): string {
  const hex = createHash('sha256').update(fromB64u(b64u, 32)).digest('hex').slice(0, 32);
  return hex.match(/.{4}/g)!.join(':');
}
