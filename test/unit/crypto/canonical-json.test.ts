import { expect } from 'chai';
import { canonicalBytes, canonicalJson } from '../../../core/crypto/canonical-json.js';
import { caught } from './helpers.js';

describe('crypto/canonical-json', () => {
  it('sorts keys and drops whitespace (RFC 8785)', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1, y: 2 } })).to.equal(
      '{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}}',
    );
  });

  it('serializes numbers the ECMAScript way (RFC 8785 appendix B samples)', () => {
    // The RFC's sample input is written with more digits than a double holds, on purpose.
    // eslint-disable-next-line no-loss-of-precision
    expect(canonicalJson([1e21, 1e-7, -0, 0.000001, 333333333.33333329, 4.5])).to.equal(
      '[1e+21,1e-7,0,0.000001,333333333.3333333,4.5]',
    );
  });

  it('sorts keys by UTF-16 code units', () => {
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4, '\u00f6': 5 })).to.equal(
      '{"\\r":2,"1":4,"\u00f6":5,"\u20ac":1,"\ud83d\ude00":3}',
    );
  });

  it('rejects undefined anywhere, non-finite numbers, bigint, functions, cycles and exotic objects', async () => {
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    const bad: unknown[] = [
      undefined,
      { a: undefined },
      [1, undefined],
      NaN,
      { x: Infinity },
      -Infinity,
      10n,
      () => 1,
      cyc,
      new Map(),
      Symbol('s'),
    ];
    for (const v of bad) {
      const err = await caught(() => canonicalJson(v));
      expect(err.code, String(typeof v)).to.equal('OR_ERR_VALIDATION');
    }
  });

  it('gives UTF-8 bytes', () => {
    expect(canonicalBytes({ k: '\u00e9' }).equals(Buffer.from('{"k":"\u00e9"}', 'utf8'))).to.equal(true);
  });
});
