import { expect } from 'chai';
import { aes256Gcm } from '../../../core/crypto/ciphers/aes-256-gcm.js';
import { CHACHA20_POLY1305_VECTORS } from '../../../core/crypto/ciphers/builtin-vectors.js';
import { chacha20Poly1305 } from '../../../core/crypto/ciphers/chacha20-poly1305.js';
import type { CipherMethod, CipherVector } from '../../../core/crypto/ciphers/cipher-method.js';
import { CipherRegistry, type CipherChange } from '../../../core/crypto/ciphers/registry.js';
import { caught } from './helpers.js';

/** A plugin method: ChaCha20-Poly1305 under another id, with a vector computed from the real thing. */
function pluginMethod(id = 'x-chacha'): { method: CipherMethod; vectors: CipherVector[] } {
  const method: CipherMethod = { ...chacha20Poly1305, id };
  const key = Buffer.alloc(32, 7);
  const nonce = Buffer.alloc(12, 1);
  const aad = Buffer.from('aad');
  const pt = Buffer.from('plugin vector');
  const vectors = [
    {
      key: key.toString('hex'),
      nonce: nonce.toString('hex'),
      aad: aad.toString('hex'),
      plaintext: pt.toString('hex'),
      ciphertext: chacha20Poly1305.seal(key, nonce, pt, aad).toString('hex'),
    },
  ];
  return { method, vectors };
}

const EMPTY_AAD_VECTOR: CipherVector[] = (() => {
  const key = Buffer.alloc(32, 9);
  const nonce = Buffer.alloc(12, 2);
  return [
    {
      key: key.toString('hex'),
      nonce: nonce.toString('hex'),
      aad: '',
      plaintext: '00112233',
      ciphertext: chacha20Poly1305
        .seal(key, nonce, Buffer.from('00112233', 'hex'), Buffer.alloc(0))
        .toString('hex'),
    },
  ];
})();

/** Encrypts the body with a keystream but computes the tag over the AAD only (an easy wiring mistake). */
const bodyUnauthenticated: CipherMethod = {
  id: 'x-aad-only-tag',
  keyLength: 32,
  nonceLength: 12,
  seal(k, n, pt, aad) {
    const n2 = Buffer.from(n);
    n2[0]! ^= 0x80;
    const stream = chacha20Poly1305.seal(k, n2, Buffer.alloc(pt.length), Buffer.alloc(0));
    const body = Buffer.from(pt.map((b, i) => b ^ stream[i]!));
    return Buffer.concat([body, chacha20Poly1305.seal(k, n, Buffer.alloc(0), aad)]);
  },
  open(k, n, ct, aad) {
    const body = ct.subarray(0, ct.length - 16);
    chacha20Poly1305.open(k, n, ct.subarray(ct.length - 16), aad);
    const n2 = Buffer.from(n);
    n2[0]! ^= 0x80;
    const stream = chacha20Poly1305.seal(k, n2, Buffer.alloc(body.length), Buffer.alloc(0));
    return Buffer.from(body.map((b, i) => b ^ stream[i]!));
  },
};

function selfVectors(m: CipherMethod): CipherVector[] {
  const key = Buffer.alloc(32, 4);
  const nonce = Buffer.alloc(12, 3);
  const pt = Buffer.from('self vector');
  const aad = Buffer.from('a');
  return [
    {
      key: key.toString('hex'),
      nonce: nonce.toString('hex'),
      aad: aad.toString('hex'),
      plaintext: pt.toString('hex'),
      ciphertext: m.seal(key, nonce, pt, aad).toString('hex'),
    },
  ];
}

describe('crypto/ciphers', () => {
  it('enables the two built-ins through the conformance gate', () => {
    const r = new CipherRegistry();
    expect(r.ids()).to.deep.equal(['aes-256-gcm', 'chacha20-poly1305']);
    expect(r.require('aes-256-gcm')).to.equal(aes256Gcm);
    expect(new CipherRegistry({ builtins: false }).ids()).to.deep.equal([]);
  });

  it('built-in methods pin 16-byte tags and 96-bit nonces', async () => {
    const key = Buffer.alloc(32);
    const ct = aes256Gcm.seal(key, Buffer.alloc(12), Buffer.from('m'), Buffer.alloc(0));
    expect(ct.length).to.equal(17);
    // A truncated (12-byte) tag must not authenticate.
    expect(
      (await caught(() => aes256Gcm.open(key, Buffer.alloc(12), ct.subarray(0, 13), Buffer.alloc(0)))).code,
    ).to.equal('OR_ERR_BAD_TAG');
    expect(() => aes256Gcm.seal(key, Buffer.alloc(16), Buffer.from('m'), Buffer.alloc(0))).to.throw();
    expect(() =>
      chacha20Poly1305.seal(Buffer.alloc(16), Buffer.alloc(12), Buffer.from('m'), Buffer.alloc(0)),
    ).to.throw();
  });

  it('registers a conforming plugin method, notifies listeners, and unregisters by owner', () => {
    const r = new CipherRegistry();
    const events: CipherChange[] = [];
    const off = r.onChange((e) => events.push(e));
    const { method, vectors } = pluginMethod();
    r.register(method, { owner: 'plugin-a', vectors });
    expect(r.ids()).to.include('x-chacha');
    expect(events).to.deep.equal([{ added: ['x-chacha'], removed: [] }]);
    expect(r.unregister('plugin-a')).to.deep.equal(['x-chacha']);
    expect(r.get('x-chacha')).to.equal(undefined);
    expect(events[1]).to.deep.equal({ added: [], removed: ['x-chacha'] });
    off();
    r.register(method, { owner: 'plugin-a', vectors });
    expect(events).to.have.length(2);
  });

  it('refuses to take over an id owned by someone else', async () => {
    const r = new CipherRegistry();
    const { vectors } = pluginMethod();
    const err = await caught(() =>
      r.register(
        { ...chacha20Poly1305 },
        { owner: 'evil', vectors: vectors.length ? CHACHA20_POLY1305_VECTORS : [] },
      ),
    );
    expect(err.code).to.equal('OR_ERR_CIPHER_CONFLICT');
    expect(r.require('chacha20-poly1305')).to.equal(chacha20Poly1305);
  });

  it('require() of a missing method is OR_ERR_CIPHER_UNAVAILABLE', async () => {
    expect((await caught(() => new CipherRegistry().require('nope'))).code).to.equal(
      'OR_ERR_CIPHER_UNAVAILABLE',
    );
  });

  describe('a plugin method that fails conformance is not enabled', () => {
    const { method: good, vectors } = pluginMethod('x-bad');
    const cases: [string, CipherMethod, CipherVector[], RegExp][] = [
      ['no vectors supplied', good, [], /no known-answer vectors/],
      [
        'a wrong known answer',
        good,
        [{ ...vectors[0]!, ciphertext: vectors[0]!.ciphertext.replace(/^../, 'ff') }],
        /vector 0/,
      ],
      [
        'tag not checked',
        {
          ...good,
          open: (k, n, ct, aad) => {
            try {
              return chacha20Poly1305.open(k, n, ct, aad);
            } catch {
              return Buffer.from(ct.subarray(0, ct.length - 16));
            }
          },
        },
        vectors,
        /flipped (ciphertext|tag) bit/,
      ],
      [
        'ciphertext body not authenticated',
        bodyUnauthenticated,
        selfVectors(bodyUnauthenticated),
        /flipped ciphertext bit/,
      ],
      [
        'only the last tag byte ignored',
        {
          ...good,
          open: (k, n, ct, aad) => {
            const fixed = Buffer.from(ct);
            fixed[fixed.length - 1] = chacha20Poly1305
              .seal(k, n, chacha20Poly1305Open(k, n, ct, aad), aad)
              .at(-1)!;
            return chacha20Poly1305.open(k, n, fixed, aad);
          },
        },
        vectors,
        /flipped tag bit/,
      ],
      [
        'associated data ignored',
        {
          ...good,
          seal: (k, n, pt) => chacha20Poly1305.seal(k, n, pt, Buffer.alloc(0)),
          open: (k, n, ct) => chacha20Poly1305.open(k, n, ct, Buffer.alloc(0)),
        },
        EMPTY_AAD_VECTOR,
        /associated-data/,
      ],
      [
        'nonce ignored',
        {
          ...good,
          seal: (k, _n, pt, aad) => chacha20Poly1305.seal(k, Buffer.alloc(12), pt, aad),
          open: (k, _n, ct, aad) => chacha20Poly1305.open(k, Buffer.alloc(12), ct, aad),
        },
        [],
        /no known-answer vectors|different nonce/,
      ],
      [
        'a detached fast path that disagrees with seal',
        {
          ...good,
          sealDetached: (k, n, pt, aad) => [
            chacha20Poly1305.seal(k, n, pt, aad).subarray(0, -16),
            Buffer.alloc(16),
          ],
          openDetached: chacha20Poly1305.openDetached!,
        },
        vectors,
        /sealDetached differs/,
      ],
      [
        'a detached open that ignores the tag',
        {
          ...good,
          sealDetached: chacha20Poly1305.sealDetached!,
          openDetached: (k, n, body, _tag, aad) => {
            const t = chacha20Poly1305.sealDetached!(k, n, Buffer.alloc(body.length), aad)[1];
            return chacha20Poly1305.openDetached!(k, n, body, t, aad) && Buffer.from(body);
          },
        },
        vectors,
        /openDetached/,
      ],
      [
        'an in-place seal that disagrees with seal',
        {
          ...good,
          sealInto: (k, n, pt, aad, out, offset) =>
            out.set(chacha20Poly1305.seal(k, n, pt, Buffer.alloc(0)), offset),
        },
        vectors,
        /sealInto differs/,
      ],
      [
        'an in-place seal that writes outside its range',
        {
          ...good,
          sealInto: (k, n, pt, aad, out, offset) => {
            out.fill(0, 0, offset);
            out.set(chacha20Poly1305.seal(k, n, pt, aad), offset);
          },
        },
        vectors,
        /sealInto differs/,
      ],
      [
        'an in-place open that ignores the tag',
        {
          ...good,
          openInPlace: (k, n, sealed, aad) => {
            const fixed = Buffer.from(sealed);
            fixed.set(
              chacha20Poly1305.seal(k, n, chacha20Poly1305Open(k, n, sealed, aad), aad).subarray(-16),
              fixed.length - 16,
            );
            return chacha20Poly1305.open(k, n, fixed, aad);
          },
        },
        vectors,
        /openInPlace accepted a flipped tag bit/,
      ],
      ['a 64-bit nonce', { ...good, nonceLength: 8 }, vectors, /nonceLength/],
      ['a bad id', { ...good, id: 'Bad Id!' }, vectors, /id must match/],
      [
        'seal throws',
        {
          ...good,
          seal: () => {
            throw new Error('boom');
          },
        },
        vectors,
        /threw/,
      ],
    ];
    for (const [name, method, vecs, why] of cases) {
      it(name, async () => {
        const r = new CipherRegistry();
        let notified = false;
        r.onChange(() => (notified = true));
        const err = await caught(() => r.register(method, { owner: 'plugin-x', vectors: vecs }));
        expect(err.code).to.equal('OR_ERR_CIPHER_CONFORMANCE');
        expect(err.message).to.match(why);
        expect(r.get(method.id)).to.equal(undefined);
        expect(notified).to.equal(false);
      });
    }
  });
});

/** Decrypts ignoring the tag's last byte (helper for the "partial tag check" plugin above). */
function chacha20Poly1305Open(k: Uint8Array, n: Uint8Array, ct: Uint8Array, aad: Uint8Array): Buffer {
  for (let b = 0; b < 256; b++) {
    const t = Buffer.from(ct);
    t[t.length - 1] = b;
    try {
      return chacha20Poly1305.open(k, n, t, aad);
    } catch {
      // try next
    }
  }
  throw new Error('cannot open');
}
