import { expect } from 'chai';
import {
  base32Decode,
  base32Encode,
  hotp,
  otpauthUri,
  totp,
  verifyTotp,
  type TotpAlgorithm,
} from '../totp.js';

// RFC 6238 appendix B: the seed is the ASCII string "12345678901234567890" repeated to the hash's block size.
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890'),
  SHA256: Buffer.from('12345678901234567890123456789012'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};

const RFC6238: Array<[number, string, TotpAlgorithm]> = [
  [59, '94287082', 'SHA1'],
  [59, '46119246', 'SHA256'],
  [59, '90693936', 'SHA512'],
  [1111111109, '07081804', 'SHA1'],
  [1111111109, '68084774', 'SHA256'],
  [1111111109, '25091201', 'SHA512'],
  [1111111111, '14050471', 'SHA1'],
  [1111111111, '67062674', 'SHA256'],
  [1111111111, '99943326', 'SHA512'],
  [1234567890, '89005924', 'SHA1'],
  [1234567890, '91819424', 'SHA256'],
  [1234567890, '93441116', 'SHA512'],
  [2000000000, '69279037', 'SHA1'],
  [2000000000, '90698825', 'SHA256'],
  [2000000000, '38618901', 'SHA512'],
  [20000000000, '65353130', 'SHA1'],
  [20000000000, '77737706', 'SHA256'],
  [20000000000, '47863826', 'SHA512'],
];

describe('authentication: TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  it('matches every RFC 6238 appendix B vector (8 digits, 30 s)', () => {
    for (const [seconds, expected, algorithm] of RFC6238) {
      expect(
        totp(SEEDS[algorithm], seconds * 1000, { algorithm, digits: 8, period: 30 }),
        `${algorithm} @${seconds}`,
      ).to.equal(expected);
    }
  });

  it('matches the RFC 4226 appendix D HOTP values (SHA-1, 6 digits)', () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    expected.forEach((code, counter) => expect(hotp(SEEDS.SHA1, counter, 'SHA1', 6)).to.equal(code));
  });

  it('verifies within one step either side and returns the step; refuses further away', () => {
    const secret = SEEDS.SHA1;
    const t = 1_700_000_000_000; // ms
    const step = Math.floor(t / 30_000);
    expect(verifyTotp(secret, totp(secret, t), t)).to.equal(step);
    expect(verifyTotp(secret, totp(secret, t - 30_000), t)).to.equal(step - 1);
    expect(verifyTotp(secret, totp(secret, t + 30_000), t)).to.equal(step + 1);
    expect(verifyTotp(secret, totp(secret, t - 60_000), t)).to.equal(undefined);
    expect(verifyTotp(secret, totp(secret, t + 60_000), t)).to.equal(undefined);
  });

  it('accepts spaces in a code and refuses malformed ones', () => {
    const secret = SEEDS.SHA1;
    const t = 1_700_000_000_000;
    const code = totp(secret, t);
    expect(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, t)).to.be.a('number');
    for (const bad of ['', '12345', '1234567', 'abcdef', code + '0']) {
      expect(verifyTotp(secret, bad, t), bad).to.equal(undefined);
    }
  });

  it('writes the otpauth:// URI authenticator apps scan, with a base32 secret', () => {
    const secret = Buffer.from('12345678901234567890');
    const uri = otpauthUri({ secret, issuer: 'OpenRed', account: 'my node' });
    expect(uri).to.equal(
      'otpauth://totp/OpenRed:my%20node?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=OpenRed&algorithm=SHA1&digits=6&period=30',
    );
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).to.deep.equal(secret);
  });

  it('base32 round-trips any length', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(base32Decode(base32Encode(bytes))).to.deep.equal(bytes);
    }
    expect(() => base32Decode('not base32!')).to.throw(/invalid base32/);
  });
});
