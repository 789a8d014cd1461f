/**
 * The directory's Ed25519 signing key. Nodes pin its public key; every token the directory issues is signed
 * with it.
 *
 * Stored as unencrypted PKCS#8 PEM, mode 0600, on purpose: the directory is an unattended service that must
 * sign at any time after a restart, so a passphrase would have to live next to the key (in its config or
 * environment) and encryption would add nothing but the appearance of protection. The file's protection is
 * its owner and mode, which this module enforces: it refuses to load a key that other users can read.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CryptoError } from '../errors.js';
import { assertPrivateFile, createFileExclusiveSync, ensurePrivateDir } from '../storage/atomic-file.js';
import { toB64u } from './encoding.js';
import { keyFingerprint } from './identity.js';
import { rawPublicKey } from './keys.js';

export const DIRECTORY_KEY_FILE = 'directory-key.pem';

export interface DirectoryKey {
  privateKey: KeyObject;
  /** Base64url of the raw 32-byte Ed25519 public key (what nodes pin). */
  publicKey: string;
  fingerprint: string;
}

function load(file: string): DirectoryKey {
  assertPrivateFile(file);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: readFileSync(file), format: 'pem' });
  } catch (err) {
    throw new CryptoError('OR_ERR_KEY_FILE', `cannot parse ${file}`, 500, err);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new CryptoError('OR_ERR_KEY_FILE', `${file} is not an Ed25519 key`, 500);
  }
  const publicKey = toB64u(rawPublicKey(privateKey));
  return { privateKey, publicKey, fingerprint: keyFingerprint(publicKey) };
}

/** Loads `<dir>/directory-key.pem`, creating the directory (0700) and a new key (0600) when absent. */
export function loadOrCreateDirectoryKey(dir: string): DirectoryKey {
  ensurePrivateDir(dir);
  const file = join(dir, DIRECTORY_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    // If another process created it meanwhile, its key wins and ours is dropped.
    createFileExclusiveSync(file, Buffer.from(pem));
  }
  return load(file);
}
