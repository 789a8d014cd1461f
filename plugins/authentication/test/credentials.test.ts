import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { initialLockout, lockedFor, recordFailure, recordSuccess } from '../lockout.js';
import { hashPassword, verifyPassword } from '../password.js';
import { generateRecoveryCodes, hashRecoveryCode, matchRecoveryCode } from '../recovery-codes.js';
import { open, seal } from '../sealed.js';

describe('authentication: passwords, recovery codes, lockout, sealing', () => {
  it('scrypt hashes record their parameters and verify only the right password', async () => {
    const h = await hashPassword('pässwörd long enough', 10);
    expect(h).to.include({ algorithm: 'scrypt', N: 1024, r: 8, p: 1, keylen: 32 });
    expect(Buffer.from(h.salt, 'base64url')).to.have.length(16);
    expect(await verifyPassword('pässwörd long enough', h)).to.equal(true);
    // NFC and NFD spellings of the same text are one password.
    expect(await verifyPassword('pässwörd long enough'.normalize('NFD'), h)).to.equal(true);
    expect(await verifyPassword('passwörd long enough', h)).to.equal(false);
    const again = await hashPassword('pässwörd long enough', 10);
    expect(again.hash).not.to.equal(h.hash); // salted
  });

  it('recovery codes: distinct, 80-bit, matched case- and dash-insensitively, once', () => {
    const key = randomBytes(32);
    const codes = generateRecoveryCodes(10);
    expect(new Set(codes).size).to.equal(10);
    for (const c of codes) expect(c).to.match(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
    const stored = codes.map((c) => ({ hash: hashRecoveryCode(key, c), usedAt: null as number | null }));
    expect(matchRecoveryCode(key, codes[2]!.toUpperCase().replace(/-/g, ' '), stored)).to.equal(2);
    stored[2]!.usedAt = 1;
    expect(matchRecoveryCode(key, codes[2]!, stored)).to.equal(-1);
    expect(matchRecoveryCode(randomBytes(32), codes[3]!, stored)).to.equal(-1);
    expect(matchRecoveryCode(key, 'aaaa-bbbb-cccc-dddd', stored)).to.equal(-1);
  });

  it('lockout: locks at maxFailures, doubling up to the cap, reset by a success', () => {
    const policy = { maxFailures: 3, baseSeconds: 10, maxSeconds: 25 };
    const s = initialLockout();
    let now = 0;
    const failUntilLocked = () => {
      let seconds = 0;
      for (let i = 0; i < 3; i++) seconds = recordFailure(s, policy, now);
      return seconds;
    };
    expect(failUntilLocked()).to.equal(10);
    expect(lockedFor(s, now)).to.equal(10_000);
    now += 10_000;
    expect(lockedFor(s, now)).to.equal(0);
    expect(failUntilLocked()).to.equal(20);
    now += 20_000;
    expect(failUntilLocked()).to.equal(25); // capped
    recordSuccess(s);
    expect(s).to.deep.equal(initialLockout());
    expect(failUntilLocked()).to.equal(10);
  });

  it('sealed secrets open only with the same key and context', () => {
    const key = randomBytes(32);
    const sealed = seal(key, Buffer.from('seed'), 'ctx');
    expect(open(key, sealed, 'ctx').toString()).to.equal('seed');
    expect(() => open(key, sealed, 'other')).to.throw();
    expect(() => open(randomBytes(32), sealed, 'ctx')).to.throw();
  });
});
