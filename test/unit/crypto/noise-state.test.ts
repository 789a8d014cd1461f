import { expect } from 'chai';
import { CipherState } from '../../../core/crypto/noise/cipher-state.js';
import { HandshakeState, type HandshakeOptions } from '../../../core/crypto/noise/handshake-state.js';
import { generateDhKeyPair, noiseCipher } from '../../../core/crypto/noise/primitives.js';
import { caught } from './helpers.js';

function pair(extra: Partial<HandshakeOptions> = {}): [HandshakeState, HandshakeState] {
  const a = generateDhKeyPair();
  const b = generateDhKeyPair();
  const psk = Buffer.alloc(32, 5);
  const base = {
    pattern: 'KKpsk0' as const,
    suite: '25519_ChaChaPoly_SHA256' as const,
    prologue: Buffer.from('p'),
    psk,
  };
  return [
    new HandshakeState({ ...base, initiator: true, s: a, rs: b.publicKey, ...extra }),
    new HandshakeState({ ...base, initiator: false, s: b, rs: a.publicKey, ...extra }),
  ];
}

describe('crypto/noise: state machine', () => {
  it('runs KKpsk0 to completion with matching keys and hashes', () => {
    const [i, r] = pair();
    expect(i.status).to.equal('write');
    expect(r.status).to.equal('read');
    r.readMessage(i.writeMessage(Buffer.from('hi')));
    expect(i.readMessage(r.writeMessage()).length).to.equal(0);
    expect(i.isComplete && r.isComplete).to.equal(true);
    expect(i.handshakeHash.equals(r.handshakeHash)).to.equal(true);
    const [ik1, ik2] = i.splitKeys();
    const [rk1, rk2] = r.splitKeys();
    expect(ik1.equals(rk1) && ik2.equals(rk2) && !ik1.equals(ik2)).to.equal(true);
  });

  it('refuses out-of-turn and premature operations with OR_ERR_NOISE_STATE', async () => {
    const [i, r] = pair();
    expect((await caught(() => r.writeMessage())).code).to.equal('OR_ERR_NOISE_STATE');
    expect((await caught(() => i.readMessage(Buffer.alloc(64)))).code).to.equal('OR_ERR_NOISE_STATE');
    expect((await caught(() => i.splitKeys())).code).to.equal('OR_ERR_NOISE_STATE');
    r.readMessage(i.writeMessage());
    expect((await caught(() => i.writeMessage())).code).to.equal('OR_ERR_NOISE_STATE');
    i.readMessage(r.writeMessage());
    expect((await caught(() => i.readMessage(Buffer.alloc(64)))).code).to.equal('OR_ERR_NOISE_STATE');
    expect((await caught(() => r.writeMessage())).code).to.equal('OR_ERR_NOISE_STATE');
  });

  it('requires the psk and static keys the pattern needs', async () => {
    const s = generateDhKeyPair();
    const base = { suite: '25519_ChaChaPoly_SHA256' as const, prologue: Buffer.alloc(0), initiator: true };
    const noPsk = await caught(() => new HandshakeState({ ...base, pattern: 'KKpsk0', s, rs: s.publicKey }));
    expect(noPsk.code).to.equal('OR_ERR_NOISE_STATE');
    const shortPsk = await caught(
      () => new HandshakeState({ ...base, pattern: 'KKpsk0', s, rs: s.publicKey, psk: Buffer.alloc(16) }),
    );
    expect(shortPsk.code).to.equal('OR_ERR_NOISE_STATE');
    expect((await caught(() => new HandshakeState({ ...base, pattern: 'KK', s }))).code).to.equal(
      'OR_ERR_NOISE_STATE',
    );
    const pskOnKK = await caught(
      () => new HandshakeState({ ...base, pattern: 'KK', s, rs: s.publicKey, psk: Buffer.alloc(32) }),
    );
    expect(pskOnKK.code).to.equal('OR_ERR_NOISE_STATE');
  });

  it('a failed read kills the handshake for good', async () => {
    const [i, r] = pair();
    const m1 = i.writeMessage();
    const bad = Buffer.from(m1);
    bad[bad.length - 1]! ^= 1;
    expect((await caught(() => r.readMessage(bad))).code).to.equal('OR_ERR_HANDSHAKE');
    expect(r.status).to.equal('failed');
    expect((await caught(() => r.readMessage(m1))).code).to.equal('OR_ERR_NOISE_STATE');
  });

  it('rejects truncated and oversized messages', async () => {
    const [, r1] = pair();
    expect((await caught(() => r1.readMessage(Buffer.alloc(10)))).code).to.equal('OR_ERR_HANDSHAKE');
    const [, r2] = pair();
    expect((await caught(() => r2.readMessage(Buffer.alloc(65536)))).code).to.equal('OR_ERR_HANDSHAKE');
  });

  it('refuses a low-order ephemeral key (all-zero DH)', async () => {
    const [, r] = pair();
    const msg = Buffer.concat([Buffer.alloc(32), Buffer.alloc(16)]); // e = 0 (a low-order point)
    expect((await caught(() => r.readMessage(msg))).code).to.equal('OR_ERR_HANDSHAKE');
  });

  describe('CipherState', () => {
    const c = noiseCipher('25519_AESGCM_SHA256');

    it('is the identity before a key is set', () => {
      const cs = new CipherState(c);
      expect(cs.encryptWithAd(Buffer.alloc(0), Buffer.from('x')).toString()).to.equal('x');
    });

    it('uses nonce 2^64-2 last and then reports OR_ERR_NONCE_EXHAUSTED', async () => {
      const a = new CipherState(c, Buffer.alloc(32, 1));
      const b = new CipherState(c, Buffer.alloc(32, 1));
      a.setNonce(2n ** 64n - 2n);
      b.setNonce(2n ** 64n - 2n);
      const ct = a.encryptWithAd(Buffer.alloc(0), Buffer.from('last'));
      expect(b.decryptWithAd(Buffer.alloc(0), ct).toString()).to.equal('last');
      expect((await caught(() => a.encryptWithAd(Buffer.alloc(0), Buffer.from('x')))).code).to.equal(
        'OR_ERR_NONCE_EXHAUSTED',
      );
      expect((await caught(() => b.decryptWithAd(Buffer.alloc(0), ct))).code).to.equal(
        'OR_ERR_NONCE_EXHAUSTED',
      );
    });

    it('does not advance the nonce on a failed decryption', async () => {
      const a = new CipherState(c, Buffer.alloc(32, 2));
      const b = new CipherState(c, Buffer.alloc(32, 2));
      const ct = a.encryptWithAd(Buffer.from('ad'), Buffer.from('m'));
      expect((await caught(() => b.decryptWithAd(Buffer.from('other'), ct))).code).to.equal('OR_ERR_BAD_TAG');
      expect(b.nonce).to.equal(0n);
      expect(b.decryptWithAd(Buffer.from('ad'), ct).toString()).to.equal('m');
    });

    it('rekey changes the key deterministically on both sides', () => {
      const a = new CipherState(c, Buffer.alloc(32, 3));
      const b = new CipherState(c, Buffer.alloc(32, 3));
      a.rekey();
      const ct = a.encryptWithAd(Buffer.alloc(0), Buffer.from('r'));
      expect(() => b.decryptWithAd(Buffer.alloc(0), ct)).to.throw();
      const b2 = new CipherState(c, Buffer.alloc(32, 3));
      b2.rekey();
      expect(b2.decryptWithAd(Buffer.alloc(0), ct).toString()).to.equal('r');
    });
  });
});
