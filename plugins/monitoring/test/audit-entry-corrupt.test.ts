/**
 * A damaged audit line or head fails with the coded OR_ERR_AUDIT_CORRUPT (found by the parser fuzz suite:
 * plain Errors, and Node's own decipher error for a bad tag, escaped uncoded).
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { isOpenRedError } from '../../../core/errors.js';
import { openHead, openLine, sealLine } from '../audit/entry.js';

const codeOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return isOpenRedError(err) ? err.code : err;
  }
  return 'no error';
};

describe('monitoring audit: damaged records', () => {
  const key = randomBytes(32);
  const line = sealLine(key, {
    v: 1,
    seq: 1,
    ts: 1,
    event: 'e',
    source: 'kernel',
    data: {},
    prev: 'p',
    hash: 'h',
    sig: 's',
  });

  for (const [what, text] of [
    ['empty', ''],
    ['not base64url', 'a+b/'],
    ['too short', 'AAAA'],
    ['a flipped bit', (line[0] === 'A' ? 'B' : 'A') + line.slice(1)],
  ] as const) {
    it(`${what}: OR_ERR_AUDIT_CORRUPT from openLine and openHead`, () => {
      expect(codeOf(() => openLine(key, text))).to.equal('OR_ERR_AUDIT_CORRUPT');
      expect(codeOf(() => openHead(key, text))).to.equal('OR_ERR_AUDIT_CORRUPT');
    });
  }

  it('an intact line still opens', () => {
    expect(openLine(key, line).event).to.equal('e');
  });
});
