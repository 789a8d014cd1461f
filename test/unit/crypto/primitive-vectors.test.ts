/**
 * Published known-answer tests for each primitive: RFC 7748 (X25519), RFC 5869 (HKDF), RFC 8439 (AEAD),
 * McGrew-Viega (AES-GCM) and RFC 9180 (HPKE), the last reproduced step by step from its own key schedule.
 */
import { expect } from 'chai';
import { createHmac, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aes256Gcm } from '../../../core/crypto/ciphers/aes-256-gcm.js';
import {
  AES_256_GCM_VECTORS,
  CHACHA20_POLY1305_VECTORS,
} from '../../../core/crypto/ciphers/builtin-vectors.js';
import { chacha20Poly1305 } from '../../../core/crypto/ciphers/chacha20-poly1305.js';
import { hpkeOpen, hpkeSeal } from '../../../core/crypto/hpke.js';
import { rawPublicKey, x25519PrivateFromBytes } from '../../../core/crypto/keys.js';
import { dh, publicKeyObject } from '../../../core/crypto/noise/primitives.js';
import { hex, VECTORS } from './helpers.js';

const x25519 = (k: Buffer, u: Buffer): Buffer => dh(x25519PrivateFromBytes(k), publicKeyObject(u));

describe('crypto: RFC 7748 X25519', () => {
  it('section 5.2 scalar multiplication vectors', () => {
    expect(
      x25519(
        hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
        hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
      ).toString('hex'),
    ).to.equal('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    expect(
      x25519(
        hex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
        hex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'),
      ).toString('hex'),
    ).to.equal('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
  });

  it('section 5.2 iterated: 1 and 1,000 iterations', () => {
    let k: Buffer = Buffer.alloc(32);
    k[0] = 9;
    let u: Buffer = Buffer.from(k);
    for (let i = 1; i <= 1000; i++) {
      const r = x25519(k, u);
      u = k;
      k = r;
      if (i === 1)
        expect(k.toString('hex')).to.equal(
          '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079',
        );
    }
    expect(k.toString('hex')).to.equal('684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
  });

  it('section 6.1 Diffie-Hellman', () => {
    const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const b = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const A = rawPublicKey(x25519PrivateFromBytes(a));
    const B = rawPublicKey(x25519PrivateFromBytes(b));
    expect(A.toString('hex')).to.equal('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(B.toString('hex')).to.equal('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const K = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(x25519(a, B).toString('hex')).to.equal(K);
    expect(x25519(b, A).toString('hex')).to.equal(K);
  });
});

describe('crypto: RFC 5869 HKDF-SHA256 test cases 1-3', () => {
  const range = (from: number, to: number) =>
    Buffer.from(Array.from({ length: to - from + 1 }, (_, i) => from + i));
  const cases = [
    {
      ikm: Buffer.alloc(22, 0x0b),
      salt: range(0x00, 0x0c),
      info: range(0xf0, 0xf9),
      L: 42,
      prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
      okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    },
    {
      ikm: range(0x00, 0x4f),
      salt: range(0x60, 0xaf),
      info: range(0xb0, 0xff),
      L: 82,
      prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
      okm: 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    },
    {
      ikm: Buffer.alloc(22, 0x0b),
      salt: Buffer.alloc(0),
      info: Buffer.alloc(0),
      L: 42,
      prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
      okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    },
  ];
  cases.forEach((c, i) => {
    it(`test case ${i + 1}`, () => {
      const prk = createHmac('sha256', c.salt.length ? c.salt : Buffer.alloc(32))
        .update(c.ikm)
        .digest();
      expect(prk.toString('hex')).to.equal(c.prk);
      expect(Buffer.from(hkdfSync('sha256', c.ikm, c.salt, c.info, c.L)).toString('hex')).to.equal(c.okm);
    });
  });
});

describe('crypto: AEAD known answers', () => {
  it('RFC 8439 section 2.8.2 ChaCha20-Poly1305', () => {
    const v = CHACHA20_POLY1305_VECTORS[0]!;
    const ct = chacha20Poly1305.seal(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.aad));
    expect(ct.toString('hex')).to.equal(v.ciphertext);
    expect(ct.subarray(-16).toString('hex')).to.equal('1ae10b594f09e26a7e902ecbd0600691');
    expect(chacha20Poly1305.open(hex(v.key), hex(v.nonce), ct, hex(v.aad)).toString('hex')).to.equal(
      v.plaintext,
    );
  });

  it('McGrew-Viega AES-256-GCM test cases 13, 14, 16', () => {
    expect(AES_256_GCM_VECTORS).to.have.length(3);
    for (const v of AES_256_GCM_VECTORS) {
      const ct = aes256Gcm.seal(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.aad));
      expect(ct.toString('hex')).to.equal(v.ciphertext);
      expect(aes256Gcm.open(hex(v.key), hex(v.nonce), ct, hex(v.aad)).toString('hex')).to.equal(v.plaintext);
    }
  });
});

// ---- RFC 9180 -----------------------------------------------------------------------------------------------

function parseHpkeVector(): Record<string, string> & { encryptions: Record<string, string>[] } {
  const text = readFileSync(join(VECTORS, 'hpke-rfc9180-x25519-sha256-chacha20poly1305-base.txt'), 'utf8');
  // The file is cut after the last complete encryption (its final block has no closing fence).
  const [setupPart, encPart] = text.split('#### Encryptions') as [string, string];
  const blocks = [setupPart.split('~~~')[1]!, encPart.replace(/~~~/g, '')];
  const parse = (block: string): Record<string, string> => {
    const out: Record<string, string> = {};
    let key = '';
    for (const line of block.split('\n')) {
      const m = /^([A-Za-z_ ]+):\s*(.*)$/.exec(line);
      if (m) {
        key = m[1]!.trim();
        out[key] = m[2]!.trim();
      } else if (key && /^[0-9a-f]+$/.test(line.trim())) out[key] += line.trim();
    }
    return out;
  };
  const setup = parse(blocks[0]!);
  const encryptions = blocks[1]!
    .split(/\n\s*\n/)
    .map(parse)
    .filter((e) => e.ct !== undefined);
  return { ...setup, encryptions } as Record<string, string> & { encryptions: Record<string, string>[] };
}

const hmac = (key: Buffer, data: Buffer): Buffer => createHmac('sha256', key).update(data).digest();
function expand(prk: Buffer, info: Buffer, L: number): Buffer {
  const out: Buffer[] = [];
  let t: Buffer = Buffer.alloc(0);
  for (let i = 1; out.length * 32 < L; i++) {
    t = hmac(prk, Buffer.concat([t, info, Buffer.from([i])]));
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, L);
}
const i2osp = (n: number, len: number): Buffer => {
  const b = Buffer.alloc(len);
  b.writeUIntBE(n, 0, len);
  return b;
};
const V1 = Buffer.from('HPKE-v1');
const labeledExtract = (suite: Buffer, salt: Buffer, label: string, ikm: Buffer) =>
  hmac(salt.length ? salt : Buffer.alloc(32), Buffer.concat([V1, suite, Buffer.from(label), ikm]));
const labeledExpand = (suite: Buffer, prk: Buffer, label: string, info: Buffer, L: number) =>
  expand(prk, Buffer.concat([i2osp(L, 2), V1, suite, Buffer.from(label), info]), L);

describe('crypto: RFC 9180 HPKE (DHKEM-X25519, HKDF-SHA256, ChaCha20-Poly1305, base mode)', () => {
  const v = parseHpkeVector();
  const KEM = Buffer.concat([Buffer.from('KEM'), i2osp(0x20, 2)]);
  const HPKE = Buffer.concat([Buffer.from('HPKE'), i2osp(0x20, 2), i2osp(1, 2), i2osp(3, 2)]);
  const derive = (ikm: Buffer) =>
    labeledExpand(KEM, labeledExtract(KEM, Buffer.alloc(0), 'dkp_prk', ikm), 'sk', Buffer.alloc(0), 32);

  it('reproduces the key pairs, shared_secret, key, base_nonce and exporter_secret', () => {
    expect(derive(hex(v.ikmE!)).toString('hex')).to.equal(v.skEm);
    expect(derive(hex(v.ikmR!)).toString('hex')).to.equal(v.skRm);
    expect(rawPublicKey(x25519PrivateFromBytes(hex(v.skEm!))).toString('hex')).to.equal(v.pkEm);
    expect(rawPublicKey(x25519PrivateFromBytes(hex(v.skRm!))).toString('hex')).to.equal(v.pkRm);
    const dhOut = x25519(hex(v.skEm!), hex(v.pkRm!));
    const kemContext = Buffer.concat([hex(v.enc!), hex(v.pkRm!)]);
    const shared = labeledExpand(
      KEM,
      labeledExtract(KEM, Buffer.alloc(0), 'eae_prk', dhOut),
      'shared_secret',
      kemContext,
      32,
    );
    expect(shared.toString('hex')).to.equal(v.shared_secret);
    // Decapsulation from the recipient side gives the same secret.
    expect(x25519(hex(v.skRm!), hex(v.enc!)).equals(dhOut)).to.equal(true);

    const pskIdHash = labeledExtract(HPKE, Buffer.alloc(0), 'psk_id_hash', Buffer.alloc(0));
    const infoHash = labeledExtract(HPKE, Buffer.alloc(0), 'info_hash', hex(v.info!));
    const ksc = Buffer.concat([Buffer.from([0]), pskIdHash, infoHash]);
    expect(ksc.toString('hex')).to.equal(v.key_schedule_context);
    const secret = labeledExtract(HPKE, shared, 'secret', Buffer.alloc(0));
    expect(secret.toString('hex')).to.equal(v.secret);
    expect(labeledExpand(HPKE, secret, 'key', ksc, 32).toString('hex')).to.equal(v.key);
    expect(labeledExpand(HPKE, secret, 'base_nonce', ksc, 12).toString('hex')).to.equal(v.base_nonce);
    expect(labeledExpand(HPKE, secret, 'exp', ksc, 32).toString('hex')).to.equal(v.exporter_secret);
  });

  it('reproduces every listed encryption (nonce = base_nonce XOR seq)', () => {
    expect(v.encryptions.length).to.be.greaterThan(3);
    const base = hex(v.base_nonce!);
    for (const e of v.encryptions) {
      const seq = Number(e['sequence number']);
      const nonce = Buffer.from(base);
      const s = Buffer.alloc(12);
      s.writeBigUInt64BE(BigInt(seq), 4);
      for (let i = 0; i < 12; i++) nonce[i]! ^= s[i]!;
      expect(nonce.toString('hex'), `seq ${seq}`).to.equal(e.nonce);
      const ct = chacha20Poly1305.seal(hex(v.key!), nonce, hex(e.pt!), hex(e.aad!));
      expect(ct.toString('hex'), `seq ${seq}`).to.equal(e.ct);
    }
  });

  it('our hpkeSeal with the vector ikmE gives enc and the first ciphertext; hpkeOpen opens it with skRm', async () => {
    const first = v.encryptions[0]!;
    const sealed = await hpkeSeal(hex(v.pkRm!), hex(v.info!), hex(first.aad!), hex(first.pt!), {
      ikmE: hex(v.ikmE!),
    });
    expect(sealed.enc.toString('hex')).to.equal(v.enc);
    expect(sealed.ct.toString('hex')).to.equal(first.ct);
    const opened = await hpkeOpen(hex(v.skRm!), hex(v.enc!), hex(v.info!), hex(first.aad!), hex(first.ct!));
    expect(opened.toString('hex')).to.equal(first.pt);
    const tampered = hex(first.ct!);
    tampered[0]! ^= 1;
    let failed = false;
    await hpkeOpen(hex(v.skRm!), hex(v.enc!), hex(v.info!), hex(first.aad!), tampered).catch(
      () => (failed = true),
    );
    expect(failed).to.equal(true);
  });
});
