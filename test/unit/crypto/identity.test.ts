import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  assertNodeIdMatchesKeys,
  deriveNodeId,
  ed25519PublicKeyFromRaw,
  generateNodeKeys,
  isNodeId,
  keyFingerprint,
  x25519PublicKeyFromRaw,
} from '../../../core/crypto/identity.js';
import { fromB64u, toB64u, toBase32 } from '../../../core/crypto/encoding.js';
import { rawPublicKey } from '../../../core/crypto/keys.js';
import { caught } from './helpers.js';

describe('crypto/identity', () => {
  it('derives or + 32 base32 chars from SHA-256(domain || x25519 || ed25519)[0..20]', () => {
    const keys = { x25519: toB64u(Buffer.alloc(32, 1)), ed25519: toB64u(Buffer.alloc(32, 2)) };
    const digest = createHash('sha256')
      .update('openred/node-id/v1')
      .update(Buffer.alloc(32, 1))
      .update(Buffer.alloc(32, 2))
      .digest();
    const id = deriveNodeId(keys);
    expect(id).to.equal('or' + toBase32(digest.subarray(0, 20)));
    expect(id).to.match(/^or[a-z2-7]{32}$/);
    expect(isNodeId(id)).to.equal(true);
  });

  it('generates keys whose raw public parts match the private keys', () => {
    const k = generateNodeKeys();
    expect(toB64u(rawPublicKey(k.x25519Private))).to.equal(k.publicKeys.x25519);
    expect(toB64u(rawPublicKey(k.ed25519Private))).to.equal(k.publicKeys.ed25519);
    expect(fromB64u(k.publicKeys.x25519, 32).length).to.equal(32);
  });

  it('binds the id to both keys and their order', () => {
    const k = generateNodeKeys().publicKeys;
    const id = deriveNodeId(k);
    expect(deriveNodeId({ x25519: k.ed25519, ed25519: k.x25519 })).to.not.equal(id);
    expect(deriveNodeId({ ...k, x25519: generateNodeKeys().publicKeys.x25519 })).to.not.equal(id);
    expect(deriveNodeId({ ...k, ed25519: generateNodeKeys().publicKeys.ed25519 })).to.not.equal(id);
  });

  it('assertNodeIdMatchesKeys refuses a mismatching id and malformed keys', async () => {
    const a = generateNodeKeys().publicKeys;
    const b = generateNodeKeys().publicKeys;
    assertNodeIdMatchesKeys(deriveNodeId(a), a);
    const e1 = await caught(() => assertNodeIdMatchesKeys(deriveNodeId(a), b));
    expect(e1.code).to.equal('OR_ERR_NODE_ID_MISMATCH');
    expect((e1 as unknown as { status: number }).status).to.equal(400);
    const e2 = await caught(() => assertNodeIdMatchesKeys(deriveNodeId(a), { ...a, x25519: 'short' }));
    expect(e2.code).to.equal('OR_ERR_NODE_ID_MISMATCH');
  });

  it('isNodeId rejects other shapes', () => {
    for (const s of ['', 'or', 'OR' + 'a'.repeat(32), 'or' + 'a'.repeat(31), 'or' + '1'.repeat(32), 42]) {
      expect(isNodeId(s)).to.equal(false);
    }
  });

  it('imports raw public keys as KeyObjects', () => {
    const k = generateNodeKeys().publicKeys;
    expect(x25519PublicKeyFromRaw(k.x25519).asymmetricKeyType).to.equal('x25519');
    expect(ed25519PublicKeyFromRaw(k.ed25519).asymmetricKeyType).to.equal('ed25519');
  });

  it('fingerprints are 8 groups of 4 hex digits of SHA-256(raw key)', () => {
    const raw = Buffer.alloc(32, 9);
    const fp = keyFingerprint(toB64u(raw));
    expect(fp).to.match(/^([0-9a-f]{4}:){7}[0-9a-f]{4}$/);
    expect(fp.replace(/:/g, '')).to.equal(createHash('sha256').update(raw).digest('hex').slice(0, 32));
  });
});
