import { expect } from 'chai';
import { fromB64u, isB64u, toB64u, toBase32 } from '../../../core/crypto/encoding.js';
import { caught } from './helpers.js';

describe('crypto/encoding', () => {
  it('round-trips base64url', () => {
    for (let n = 0; n < 40; n++) {
      const b = Buffer.alloc(n, n * 7 + 1);
      expect(fromB64u(toB64u(b)).equals(b)).to.equal(true);
    }
  });

  it('rejects characters outside the base64url alphabet', async () => {
    for (const bad of ['ab+c', 'ab/c', 'abc=', 'ab c', 'ab\nc', 'abcd==', 'é']) {
      expect((await caught(() => fromB64u(bad))).code).to.equal('OR_ERR_BAD_ENCODING');
    }
  });

  it('rejects impossible lengths and non-canonical trailing bits', async () => {
    expect((await caught(() => fromB64u('abcde'))).code).to.equal('OR_ERR_BAD_ENCODING');
    // 'AB' decodes to one byte 0x00 with a non-zero unused bit; the canonical spelling is 'AA'.
    expect(fromB64u('AA').length).to.equal(1);
    expect((await caught(() => fromB64u('AB'))).code).to.equal('OR_ERR_BAD_ENCODING');
  });

  it('enforces the expected length', async () => {
    const s = toB64u(Buffer.alloc(32));
    expect(fromB64u(s, 32).length).to.equal(32);
    expect((await caught(() => fromB64u(s, 31))).code).to.equal('OR_ERR_BAD_ENCODING');
    expect(isB64u(s, 32)).to.equal(true);
    expect(isB64u(s, 33)).to.equal(false);
    expect(isB64u(42)).to.equal(false);
  });

  it('encodes RFC 4648 base32 test vectors (lowercase, no padding)', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['f', 'my'],
      ['fo', 'mzxq'],
      ['foo', 'mzxw6'],
      ['foob', 'mzxw6yq'],
      ['fooba', 'mzxw6ytb'],
      ['foobar', 'mzxw6ytboi'],
    ];
    for (const [i, o] of cases) expect(toBase32(Buffer.from(i))).to.equal(o);
  });
});
