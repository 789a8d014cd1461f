/**
 * HPKE (RFC 9180) single-shot seal/open, base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
 * ChaCha20-Poly1305: how the directory hands each node its copy of a connection secret. Wraps @hpke/core so the
 * rest of the code deals in raw key bytes and node:crypto KeyObjects, never in WebCrypto keys.
 */
import type { KeyObject } from 'node:crypto';
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CryptoError } from '../errors.js';
import { rawPrivateKey } from './keys.js';

type HpkeKey = Awaited<ReturnType<CipherSuite['kem']['importKey']>>;

let suite: CipherSuite | undefined;
function hpkeSuite(): CipherSuite {
  suite ??= new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Chacha20Poly1305(),
  });
  return suite;
}

// Importing the node's static key into WebCrypto on every open would redo the same work; the cache is keyed
// by the KeyObject itself, so it goes away with it.
const importedPrivate = new WeakMap<KeyObject, Promise<HpkeKey>>();

async function importPrivate(key: KeyObject | Uint8Array): Promise<HpkeKey> {
  if (!(key instanceof Uint8Array)) {
    let p = importedPrivate.get(key);
    if (p === undefined) {
      p = importPrivate(rawPrivateKey(key));
      importedPrivate.set(key, p);
      p.catch(() => importedPrivate.delete(key));
    }
    return p;
  }
  const raw = Buffer.from(key);
  try {
    return await hpkeSuite().kem.importKey('raw', raw, false);
  } finally {
    raw.fill(0);
  }
}

export interface HpkeSealed {
  /** Encapsulated ephemeral public key (32 bytes). */
  enc: Buffer;
  /** Ciphertext || 16-byte tag. */
  ct: Buffer;
}

export interface HpkeSealOptions {
  /** Deterministic ephemeral key material. Test vectors only. */
  ikmE?: Uint8Array;
}

export async function hpkeSeal(
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  opts: HpkeSealOptions = {},
): Promise<HpkeSealed> {
  const s = hpkeSuite();
  try {
    const pk = await s.kem.importKey('raw', Buffer.from(recipientPublicKey), true);
    const ctx = await s.createSenderContext({
      recipientPublicKey: pk,
      info,
      ...(opts.ikmE === undefined ? {} : { ekm: opts.ikmE }),
    });
    const ct = await ctx.seal(plaintext, aad);
    return { enc: Buffer.from(ctx.enc), ct: Buffer.from(ct) };
  } catch (err) {
    throw new CryptoError('OR_ERR_HPKE', 'HPKE seal failed', 500, err);
  }
}

/** Opens a single-shot HPKE ciphertext; any failure (wrong key, tampering, bad enc) is OR_ERR_HPKE. */
export async function hpkeOpen(
  recipientPrivateKey: KeyObject | Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
): Promise<Buffer> {
  try {
    const sk = await importPrivate(recipientPrivateKey);
    const ctx = await hpkeSuite().createRecipientContext({ recipientKey: sk, enc, info });
    const pt = new Uint8Array(await ctx.open(ct, aad));
    const out = Buffer.from(pt);
    pt.fill(0);
    return out;
  } catch (err) {
    throw new CryptoError('OR_ERR_HPKE', 'HPKE open failed', 400, err);
  }
}
