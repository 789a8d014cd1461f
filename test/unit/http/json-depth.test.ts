import { expect } from 'chai';
import { exceedsJsonDepth } from '../../../core/http/json-depth.js';

describe('http/json-depth', () => {
  it('counts objects and arrays together', () => {
    expect(exceedsJsonDepth('{"a":[{"b":[]}]}', 4)).to.equal(false);
    expect(exceedsJsonDepth('{"a":[{"b":[]}]}', 3)).to.equal(true);
    expect(exceedsJsonDepth('[]', 1)).to.equal(false);
    expect(exceedsJsonDepth('1', 0)).to.equal(false);
  });

  it('measures the deepest point, not the number of brackets', () => {
    const wide = '[' + Array.from({ length: 1000 }, () => '[]').join(',') + ']';
    expect(exceedsJsonDepth(wide, 2)).to.equal(false);
  });

  it('ignores brackets inside strings', () => {
    expect(exceedsJsonDepth('{"a":"[[[[[[{{{{{{"}', 1)).to.equal(false);
    expect(exceedsJsonDepth('["]]]]", [1]]', 1)).to.equal(true);
  });

  it('handles escaped quotes and backslashes inside strings', () => {
    // The string is  x"[[[  : the escaped quote does not end it.
    expect(exceedsJsonDepth('{"a":"x\\"[[["}', 1)).to.equal(false);
    // The string is  x\  : the escaped backslash does not escape the closing quote, so [[ counts.
    expect(exceedsJsonDepth('{"a":"x\\\\","b":[[1]]}', 2)).to.equal(true);
    expect(exceedsJsonDepth('{"a":"x\\\\","b":[[1]]}', 3)).to.equal(false);
    expect(exceedsJsonDepth('["\\u005b\\u005b"]', 1)).to.equal(false);
  });

  it('stops early on a million-deep document (no parse, no recursion)', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const t0 = performance.now();
    expect(exceedsJsonDepth(deep, 32)).to.equal(true);
    expect(performance.now() - t0).to.be.lessThan(50);
  });
});
