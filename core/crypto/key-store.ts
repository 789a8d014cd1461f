/**
 * The node's private keys at rest (DESIGN.md section 2). One JSON file, mode 0600, holding the public keys in
 * clear and the private keys sealed with ChaCha20-Poly1305 under a key derived by scrypt from either an
 * operator passphrase or a generated 32-byte node secret (its own 0600 file). The scrypt parameters and salt
 * are recorded in the file so they can be raised later without breaking old files; the whole header is the
 * AEAD's associated data, so editing it (to weaken parameters or swap public keys) makes unlocking fail.
 *
 * The sealed blob also carries a random 32-byte "root" from which named sub-keys for at-rest encryption are
 * derived (HKDF): they stay stable when the passphrase changes and never depend on the static keys.
 */
import { randomBytes, scrypt as scryptCb, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CryptoError } from '../errors.js';
import { assertPrivateFile, createFileExclusiveSync, ensurePrivateDir } from '../storage/atomic-file.js';
import { canonicalBytes } from './canonical-json.js';
import { chacha20Poly1305 } from './ciphers/chacha20-poly1305.js';
import { fromB64u, toB64u } from './encoding.js';
import { deriveNodeId, isNodePublicKeys, type NodeKeyPair, type NodePublicKeys } from './identity.js';
import { ed25519PrivateFromBytes, rawPrivateKey, rawPublicKey, x25519PrivateFromBytes } from './keys.js';

export const NODE_KEYS_FILE = 'node-keys.json';
export const NODE_SECRET_FILE = 'node-secret';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  /** Bytes; scrypt needs about 128 * N * r, and node:crypto refuses anything above 32 MiB unless told. */
  maxmem: number;
}

/** N = 2^15, r = 8: ~100 ms and 32 MiB per unlock, once per agent start. */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({
  N: 2 ** 15,
  r: 8,
  p: 1,
  maxmem: 64 * 1024 ** 2,
});
const MAX_N = 2 ** 20;
const MAX_MAXMEM = 1024 ** 3;

export interface KeyStoreOptions {
  dir: string;
  /** Unlocks with this passphrase; without it a node secret file in `dir` is created/used. */
  passphrase?: string;
  /** Parameters for new files, and the minimum accepted from existing ones. Default DEFAULT_SCRYPT. */
  scrypt?: ScryptParams;
}

export interface UnlockedNodeKeys {
  nodeId: string;
  keys: NodeKeyPair;
  /** Root for named sub-keys (HKDF). The holder zeroes it on shutdown. */
  root: Buffer;
}

interface KeyFile {
  v: 1;
  node_id: string;
  public_keys: NodePublicKeys;
  kdf: { alg: 'scrypt'; N: number; r: number; p: number; maxmem: number; salt: string };
  aead: 'chacha20-poly1305';
  nonce: string;
  ct: string;
}

function scrypt(secret: Uint8Array, salt: Uint8Array, p: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, 32, { N: p.N, r: p.r, p: p.p, maxmem: p.maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

function checkParams(p: ScryptParams, min: ScryptParams): void {
  const pow2 = Number.isSafeInteger(p.N) && p.N > 1 && (p.N & (p.N - 1)) === 0;
  if (!pow2 || p.N > MAX_N || p.N < min.N)
    throw new CryptoError('OR_ERR_KEY_FILE', 'scrypt N out of range', 500);
  if (!Number.isSafeInteger(p.r) || p.r < 1 || p.r > 32 || p.r < min.r) {
    throw new CryptoError('OR_ERR_KEY_FILE', 'scrypt r out of range', 500);
  }
  if (!Number.isSafeInteger(p.p) || p.p < 1 || p.p > 16)
    throw new CryptoError('OR_ERR_KEY_FILE', 'scrypt p out of range', 500);
  if (!Number.isSafeInteger(p.maxmem) || p.maxmem > MAX_MAXMEM || p.maxmem < 128 * p.N * p.r + 1024 ** 2) {
    throw new CryptoError('OR_ERR_KEY_FILE', 'scrypt maxmem out of range', 500);
  }
}

/** Reads (or creates, 0600) the node secret used instead of a passphrase. */
function nodeSecret(dir: string): Buffer {
  const file = join(dir, NODE_SECRET_FILE);
  if (!existsSync(file)) createFileExclusiveSync(file, Buffer.from(toB64u(randomBytes(32)) + '\n'));
  assertPrivateFile(file);
  return fromB64u(readFileSync(file, 'utf8').trim(), 32);
}

function unlockSecret(opts: KeyStoreOptions): Buffer {
  if (opts.passphrase !== undefined) {
    if (opts.passphrase.length < 8)
      throw new CryptoError('OR_ERR_KEY_PASSPHRASE', 'passphrase too short', 400);
    return Buffer.from(opts.passphrase.normalize('NFC'), 'utf8');
  }
  return nodeSecret(opts.dir);
}

const header = (f: KeyFile): Omit<KeyFile, 'ct'> => ({
  v: f.v,
  node_id: f.node_id,
  public_keys: f.public_keys,
  kdf: f.kdf,
  aead: f.aead,
  nonce: f.nonce,
});

async function create(file: string, secret: Buffer, params: ScryptParams): Promise<void> {
  const x = x25519PrivateFromBytes(randomBytes(32));
  const ed = ed25519PrivateFromBytes(randomBytes(32));
  const publicKeys = { x25519: toB64u(rawPublicKey(x)), ed25519: toB64u(rawPublicKey(ed)) };
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const f: Omit<KeyFile, 'ct'> = {
    v: 1,
    node_id: deriveNodeId(publicKeys),
    public_keys: publicKeys,
    kdf: { alg: 'scrypt', ...params, salt: toB64u(salt) },
    aead: 'chacha20-poly1305',
    nonce: toB64u(nonce),
  };
  const kek = await scrypt(secret, salt, params);
  const plain = Buffer.concat([rawPrivateKey(x), rawPrivateKey(ed), randomBytes(32)]);
  try {
    const ct = chacha20Poly1305.seal(kek, nonce, plain, canonicalBytes(f));
    const body: KeyFile = { ...f, ct: toB64u(ct) };
    createFileExclusiveSync(file, Buffer.from(JSON.stringify(body, null, 2) + '\n'));
  } finally {
    plain.fill(0);
    kek.fill(0);
  }
}

function parse(file: string): KeyFile {
  let f: KeyFile;
  try {
    f = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  } catch (err) {
    throw new CryptoError('OR_ERR_KEY_FILE', `cannot read ${file}`, 500, err);
  }
  const ok =
    f?.v === 1 &&
    f.aead === 'chacha20-poly1305' &&
    f.kdf?.alg === 'scrypt' &&
    isNodePublicKeys(f.public_keys) &&
    deriveNodeId(f.public_keys) === f.node_id;
  if (!ok) throw new CryptoError('OR_ERR_KEY_FILE', `${file} is not a valid node key file`, 500);
  return f;
}

/**
 * Loads the node keys from `<dir>/node-keys.json`, creating them (and the directory, 0700) on first use.
 * Throws OR_ERR_KEY_UNLOCK for a wrong passphrase/secret or a tampered file.
 */
export async function loadOrCreateNodeKeys(opts: KeyStoreOptions): Promise<UnlockedNodeKeys> {
  const params = opts.scrypt ?? DEFAULT_SCRYPT;
  checkParams(params, { N: 2, r: 1, p: 1, maxmem: 0 });
  ensurePrivateDir(opts.dir);
  const file = join(opts.dir, NODE_KEYS_FILE);
  const secret = unlockSecret(opts);
  try {
    if (!existsSync(file)) await create(file, secret, params);
    assertPrivateFile(file);
    const f = parse(file);
    const { salt, alg: _alg, ...recorded } = f.kdf;
    checkParams(recorded, params);
    const kek = await scrypt(secret, fromB64u(salt, 16), recorded);
    let plain: Buffer;
    try {
      plain = chacha20Poly1305.open(kek, fromB64u(f.nonce, 12), fromB64u(f.ct), canonicalBytes(header(f)));
    } catch (err) {
      throw new CryptoError(
        'OR_ERR_KEY_UNLOCK',
        'cannot unlock node keys (wrong secret or altered file)',
        500,
        err,
      );
    } finally {
      kek.fill(0);
    }
    try {
      if (plain.length !== 96)
        throw new CryptoError('OR_ERR_KEY_FILE', 'sealed key blob has the wrong size', 500);
      const x25519Private = x25519PrivateFromBytes(plain.subarray(0, 32));
      const ed25519Private = ed25519PrivateFromBytes(plain.subarray(32, 64));
      const keys: NodeKeyPair = { publicKeys: f.public_keys, x25519Private, ed25519Private };
      assertMatches(keys);
      return { nodeId: f.node_id, keys, root: Buffer.from(plain.subarray(64, 96)) };
    } finally {
      plain.fill(0);
    }
  } finally {
    secret.fill(0);
  }
}

function assertMatches(k: NodeKeyPair): void {
  const same = (priv: KeyObject, pub: string): boolean => toB64u(rawPublicKey(priv)) === pub;
  if (!same(k.x25519Private, k.publicKeys.x25519) || !same(k.ed25519Private, k.publicKeys.ed25519)) {
    throw new CryptoError('OR_ERR_KEY_FILE', 'private keys do not match the recorded public keys', 500);
  }
}
