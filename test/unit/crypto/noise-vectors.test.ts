import { expect } from 'chai';
import { HandshakeState } from '../../../core/crypto/noise/handshake-state.js';
import type { PatternName } from '../../../core/crypto/noise/patterns.js';
import { dhKeyPairFromPrivate } from '../../../core/crypto/noise/primitives.js';
import type { NoiseSuite } from '../../../core/crypto/tokens/grant.js';
import { hex, readVectors } from './helpers.js';

interface NoiseVector {
  protocol_name: string;
  init_prologue: string;
  init_psks?: string[];
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  resp_prologue: string;
  resp_psks?: string[];
  resp_static?: string;
  resp_ephemeral: string;
  resp_remote_static?: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

const { vectors } = readVectors<{ vectors: NoiseVector[] }>('noise-25519-sha256.json');

describe('crypto/noise: cacophony test vectors', () => {
  it('covers NN, KK and KKpsk0 for both suites', () => {
    const names = vectors.map((v) => v.protocol_name).sort();
    for (const p of ['KK', 'KKpsk0']) {
      for (const c of ['ChaChaPoly', 'AESGCM']) expect(names).to.include(`Noise_${p}_25519_${c}_SHA256`);
    }
    expect(names).to.include('Noise_NN_25519_ChaChaPoly_SHA256');
  });

  for (const v of vectors) {
    it(`reproduces ${v.protocol_name}: every ciphertext and the handshake hash`, () => {
      const m = /^Noise_(NN|KK|KKpsk0)_(25519_(?:ChaChaPoly|AESGCM)_SHA256)$/.exec(v.protocol_name)!;
      const pattern = m[1] as PatternName;
      const suite = m[2] as NoiseSuite;
      const psk = v.init_psks?.[0];
      const init = new HandshakeState({
        pattern,
        suite,
        initiator: true,
        prologue: hex(v.init_prologue),
        e: dhKeyPairFromPrivate(hex(v.init_ephemeral)),
        ...(v.init_static ? { s: dhKeyPairFromPrivate(hex(v.init_static)) } : {}),
        ...(v.init_remote_static ? { rs: hex(v.init_remote_static) } : {}),
        ...(psk ? { psk: hex(psk) } : {}),
      });
      const resp = new HandshakeState({
        pattern,
        suite,
        initiator: false,
        prologue: hex(v.resp_prologue),
        e: dhKeyPairFromPrivate(hex(v.resp_ephemeral)),
        ...(v.resp_static ? { s: dhKeyPairFromPrivate(hex(v.resp_static)) } : {}),
        ...(v.resp_remote_static ? { rs: hex(v.resp_remote_static) } : {}),
        ...(v.resp_psks?.[0] ? { psk: hex(v.resp_psks[0]) } : {}),
      });
      expect(init.protocolName).to.equal(v.protocol_name);

      // Handshake messages alternate initiator/responder; so do the transport messages after it.
      const hsCount = 2;
      for (let i = 0; i < hsCount; i++) {
        const [w, r] = i % 2 === 0 ? [init, resp] : [resp, init];
        const msg = v.messages[i]!;
        const ct = w.writeMessage(hex(msg.payload));
        expect(ct.toString('hex'), `message ${i}`).to.equal(msg.ciphertext);
        expect(r.readMessage(ct).toString('hex')).to.equal(msg.payload);
      }
      expect(init.isComplete && resp.isComplete).to.equal(true);
      expect(init.handshakeHash.toString('hex')).to.equal(v.handshake_hash);
      expect(resp.handshakeHash.toString('hex')).to.equal(v.handshake_hash);

      const i2r = init.split();
      const r2i = resp.split();
      for (let i = hsCount; i < v.messages.length; i++) {
        const msg = v.messages[i]!;
        const [send, recv] = i % 2 === 0 ? [i2r.send, r2i.receive] : [r2i.send, i2r.receive];
        const ct = send.encryptWithAd(Buffer.alloc(0), hex(msg.payload));
        expect(ct.toString('hex'), `transport message ${i}`).to.equal(msg.ciphertext);
        expect(recv.decryptWithAd(Buffer.alloc(0), ct).toString('hex')).to.equal(msg.payload);
      }
    });
  }
});
