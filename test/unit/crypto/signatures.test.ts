import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { toB64u } from '../../../core/crypto/encoding.js';
import { ed25519PrivateFromBytes, rawPublicKey } from '../../../core/crypto/keys.js';
import {
  signCanonical,
  signEd25519,
  verifyCanonical,
  verifyEd25519,
} from '../../../core/crypto/signatures.js';
import { hex } from './helpers.js';

// RFC 8032 section 7.1, tests 1-3.
const RFC8032 = [
  {
    sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    sk: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pk: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('crypto/signatures', () => {
  it('reproduces RFC 8032 Ed25519 tests 1-3', () => {
    for (const t of RFC8032) {
      const sk = ed25519PrivateFromBytes(hex(t.sk));
      expect(rawPublicKey(sk).toString('hex')).to.equal(t.pk);
      expect(signEd25519(sk, hex(t.msg)).toString('hex')).to.equal(t.sig);
      expect(verifyEd25519(toB64u(hex(t.pk)), hex(t.msg), toB64u(hex(t.sig)))).to.equal(true);
    }
  });

  it('returns false (never throws) on malformed keys and signatures', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pk = toB64u(rawPublicKey(privateKey));
    const sig = toB64u(signEd25519(privateKey, Buffer.from('m')));
    expect(verifyEd25519(pk, Buffer.from('m'), sig)).to.equal(true);
    expect(verifyEd25519(pk, Buffer.from('n'), sig)).to.equal(false);
    expect(verifyEd25519('not a key', Buffer.from('m'), sig)).to.equal(false);
    expect(verifyEd25519(pk, Buffer.from('m'), sig.slice(0, -2))).to.equal(false);
    expect(verifyEd25519(pk, Buffer.from('m'), sig + '=')).to.equal(false);
    expect(verifyEd25519(undefined as unknown as string, Buffer.from('m'), sig)).to.equal(false);
  });

  it('signs canonical JSON independent of key order', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pk = toB64u(rawPublicKey(privateKey));
    const sig = signCanonical(privateKey, { a: 1, b: [1, 2] });
    expect(verifyCanonical(pk, { b: [1, 2], a: 1 }, sig)).to.equal(true);
    expect(verifyCanonical(pk, { b: [2, 1], a: 1 }, sig)).to.equal(false);
    expect(verifyCanonical(pk, { a: 1, b: [1, 2], c: undefined }, sig)).to.equal(false);
  });
});
