import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { CHACHA20_POLY1305_VECTORS } from '../../../core/crypto/ciphers/builtin-vectors.js';
import {
  chacha20Poly1305,
  chachaImplementation,
  nodeChacha20Poly1305,
  SODIUM_BELOW_BYTES,
} from '../../../core/crypto/ciphers/chacha20-poly1305.js';
import { checkConformance } from '../../../core/crypto/ciphers/conformance.js';
import { loadSodium, sodiumChacha20Poly1305 } from '../../../core/crypto/ciphers/sodium-aead.js';
import { TransportSession } from '../../../core/crypto/transport/transport-session.js';
import { CipherRegistry } from '../../../core/crypto/ciphers/registry.js';
import { hex } from './helpers.js';

/**
 * The libsodium ChaCha20-Poly1305 must be the node:crypto one byte for byte: nodes with and without the optional
 * package talk to each other. sodium-native ships a Linux x64 build, so CI always runs these.
 */
describe('crypto: ChaCha20-Poly1305 on libsodium', function () {
  // Running the suite with OPENRED_NO_SODIUM=1 is a choice of node:crypto: then only the fallback is tested.
  before(function () {
    if (process.env.OPENRED_NO_SODIUM === '1') this.skip();
  });
  const sodium = loadSodium();
  const method = sodium && sodiumChacha20Poly1305(sodium);

  it('loads here, and is the built-in method', () => {
    expect(method, 'sodium-native should load on this platform').to.not.equal(undefined);
    expect(chachaImplementation).to.equal('libsodium');
    expect(chacha20Poly1305).to.not.equal(nodeChacha20Poly1305);
  });

  it('passes the conformance gate with the RFC 8439 vector', () => {
    checkConformance(method!, CHACHA20_POLY1305_VECTORS);
    const v = CHACHA20_POLY1305_VECTORS[0]!;
    expect(method!.seal(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.aad)).toString('hex')).to.equal(
      v.ciphertext,
    );
  });

  it('agrees with node:crypto both ways, whole and detached, from 0 bytes to several cipher blocks', () => {
    for (const size of [0, 1, 63, 64, 65, 300, 4095, 4096, 70_000]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const pt = randomBytes(size);
      const aad = randomBytes(size % 40);
      const a = method!.seal(key, nonce, pt, aad);
      const b = nodeChacha20Poly1305.seal(key, nonce, pt, aad);
      expect(a.equals(b), `size ${size}`).to.equal(true);
      expect(nodeChacha20Poly1305.open(key, nonce, a, aad).equals(pt)).to.equal(true);
      expect(method!.open(key, nonce, b, aad).equals(pt)).to.equal(true);
      const [body, tag] = method!.sealDetached!(key, nonce, pt, aad);
      expect(Buffer.concat([body, tag]).equals(b)).to.equal(true);
      expect(method!.openDetached!(key, nonce, body, tag, aad).equals(pt)).to.equal(true);
    }
  });

  it('the built-in method switches to node:crypto at the size threshold, with the same bytes on both sides of it', () => {
    for (const size of [SODIUM_BELOW_BYTES - 1, SODIUM_BELOW_BYTES, SODIUM_BELOW_BYTES + 1]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const pt = randomBytes(size);
      const aad = Buffer.from('threshold');
      const sealed = chacha20Poly1305.seal(key, nonce, pt, aad);
      expect(sealed.equals(nodeChacha20Poly1305.seal(key, nonce, pt, aad)), `size ${size}`).to.equal(true);
      expect(chacha20Poly1305.open(key, nonce, sealed, aad).equals(pt)).to.equal(true);
      const [body, tag] = chacha20Poly1305.sealDetached!(key, nonce, pt, aad);
      expect(chacha20Poly1305.openDetached!(key, nonce, body, tag, aad).equals(pt)).to.equal(true);
      const flipped = Buffer.from(sealed);
      flipped[size >> 1]! ^= 1;
      expect(() => chacha20Poly1305.open(key, nonce, flipped, aad))
        .to.throw()
        .with.property('code', 'OR_ERR_BAD_TAG');
    }
  });

  it('refuses tampering, a wrong key, nonce or AAD, and short input, with OR_ERR_BAD_TAG; wrong sizes with their codes', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = Buffer.from('aad');
    const ct = method!.seal(key, nonce, Buffer.from('a secret message'), aad);
    const flipped = Buffer.from(ct);
    flipped[3]! ^= 0x40;
    const tagFlipped = Buffer.from(ct);
    tagFlipped[ct.length - 1]! ^= 0x01;
    const refusals: Array<() => unknown> = [
      () => method!.open(key, nonce, flipped, aad),
      () => method!.open(key, nonce, tagFlipped, aad),
      () => method!.open(randomBytes(32), nonce, ct, aad),
      () => method!.open(key, randomBytes(12), ct, aad),
      () => method!.open(key, nonce, ct, Buffer.from('aae')),
      () => method!.open(key, nonce, ct.subarray(0, 15), aad),
      () => method!.openDetached!(key, nonce, ct.subarray(0, -16), ct.subarray(-15), aad),
    ];
    for (const refuse of refusals) expect(refuse).to.throw().with.property('code', 'OR_ERR_BAD_TAG');
    expect(() => method!.seal(randomBytes(16), nonce, ct, aad))
      .to.throw()
      .with.property('code', 'OR_ERR_BAD_KEY');
    expect(() => method!.seal(key, randomBytes(24), ct, aad))
      .to.throw()
      .with.property('code', 'OR_ERR_BAD_NONCE');
  });

  it('seals into a caller buffer and opens in place, with node:crypto bytes, on both sides of the size switch', () => {
    for (const [name, m] of [
      ['libsodium', method!],
      ['built-in', chacha20Poly1305],
    ] as const) {
      for (const size of [0, 1, 300, 4096, SODIUM_BELOW_BYTES - 1, SODIUM_BELOW_BYTES + 1]) {
        const key = randomBytes(32);
        const nonce = randomBytes(12);
        const pt = randomBytes(size);
        const aad = randomBytes(size % 40);
        const expected = nodeChacha20Poly1305.seal(key, nonce, pt, aad);
        const out = Buffer.alloc(7 + size + 16 + 5, 0x5a);
        m.sealInto!(key, nonce, pt, aad, out, 7);
        expect(out.subarray(7, 7 + size + 16).equals(expected), `${name} ${size}`).to.equal(true);
        // Nothing written outside the range.
        expect(out.subarray(0, 7).equals(Buffer.alloc(7, 0x5a))).to.equal(true);
        expect(out.subarray(-5).equals(Buffer.alloc(5, 0x5a))).to.equal(true);
        const sealed = Buffer.from(expected);
        expect(m.openInPlace!(key, nonce, sealed, aad).equals(pt), `${name} ${size}`).to.equal(true);
        // A flipped tag bit: refused, and nothing decrypted into the caller's buffer (libsodium zeroes it).
        const forged = Buffer.from(expected);
        forged[forged.length - 1]! ^= 1;
        const before = Buffer.from(forged);
        expect(() => m.openInPlace!(key, nonce, forged, aad))
          .to.throw()
          .with.property('code', 'OR_ERR_BAD_TAG');
        const body = forged.subarray(0, size);
        const untouched = body.equals(before.subarray(0, size)) || body.equals(Buffer.alloc(size));
        expect(untouched, `${name} ${size}`).to.equal(true);
      }
    }
    expect(() =>
      method!.sealInto!(
        randomBytes(32),
        randomBytes(12),
        Buffer.alloc(10),
        Buffer.alloc(0),
        Buffer.alloc(25),
        0,
      ),
    )
      .to.throw()
      .with.property('code', 'OR_ERR_BAD_LENGTH');
    expect(() => method!.openInPlace!(randomBytes(32), randomBytes(12), Buffer.alloc(15), Buffer.alloc(0)))
      .to.throw()
      .with.property('code', 'OR_ERR_BAD_TAG');
  });

  it('seals a transport envelope as one buffer (no join of ciphertext and tag)', () => {
    const registry = new CipherRegistry();
    const keys = {
      grant: { grant_id: 'grant-0001' } as never,
      role: 'initiator' as const,
      peerId: 'or' + 'a'.repeat(32),
      methods: ['chacha20-poly1305'],
      handshakeHash: randomBytes(32),
      sendKey: randomBytes(32),
      receiveKey: randomBytes(32),
    };
    const clock = { now: () => 1_700_000_000_000 };
    const sender = new TransportSession(keys, { registry, clock, policy: () => 'chacha20-poly1305' });
    const receiver = new TransportSession(
      { ...keys, sendKey: keys.receiveKey, receiveKey: keys.sendKey },
      { registry, clock, policy: () => 'chacha20-poly1305' },
    );
    const raw = sender.sealRaw(Buffer.from('hello'), Buffer.from('aad'));
    expect(raw.ct).to.be.instanceOf(Uint8Array);
    expect((raw.ct as Uint8Array).length).to.equal(5 + 16);
    expect(receiver.openRaw(raw, Buffer.from('aad')).toString()).to.equal('hello');
  });

  it('OPENRED_NO_SODIUM=1 leaves the node on node:crypto', () => {
    process.env.OPENRED_NO_SODIUM = '1';
    try {
      expect(loadSodium()).to.equal(undefined);
    } finally {
      delete process.env.OPENRED_NO_SODIUM;
    }
  });
});
