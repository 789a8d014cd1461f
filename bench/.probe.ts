import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { rate } from './lib/measure.js';
import { aes256Gcm } from '../core/crypto/ciphers/aes-256-gcm.js';
import { CipherRegistry } from '../core/crypto/ciphers/registry.js';
import { TransportSession } from '../core/crypto/transport/transport-session.js';
import { systemClock } from '../core/kernel/clock.js';
const pt = randomBytes(1 << 20), key = randomBytes(32), nonce = randomBytes(12), E = Buffer.alloc(0);
const algo = 'aes-256-gcm' as CipherGCMTypes;
const raw = () => { const c = createCipheriv(algo, key, nonce, { authTagLength: 16 }); c.setAAD(E); const ct = c.update(pt); c.final(); const tag = c.getAuthTag(); const d = createDecipheriv(algo, key, nonce, { authTagLength: 16 }); d.setAuthTag(tag); d.setAAD(E); d.update(ct); d.final(); };
const meth = () => { const [ct, tag] = aes256Gcm.sealDetached!(key, nonce, pt, E); aes256Gcm.openDetached!(key, nonce, ct, tag, E); };
const registry = new CipherRegistry();
const k1 = randomBytes(32), k2 = randomBytes(32);
const grant = { v: 1 as const, grant_id: 'x', initiator: 'a', responder: 'b', issued_at: 0, expires_at: 1, epoch: 0, suite: '25519_ChaChaPoly_SHA256' as const };
const base = { grant, methods: ['aes-256-gcm'], handshakeHash: randomBytes(32) };
const a = new TransportSession({ ...base, role: 'initiator', peerId: 'b', sendKey: k1, receiveKey: k2 }, { registry, clock: systemClock });
const b = new TransportSession({ ...base, role: 'responder', peerId: 'a', sendKey: k2, receiveKey: k1 }, { registry, clock: systemClock });
const sess = () => b.openRaw(a.sealRaw(pt));
const r: Record<string, number[]> = { meth: [], sess: [] };
for (let i = 0; i < 12; i++) {
  const x = (await rate('r', raw, 100, 2)).opsPerSec; const m = (await rate('m', meth, 100, 2)).opsPerSec; const s = (await rate('s', sess, 100, 2)).opsPerSec; const y = (await rate('r', raw, 100, 2)).opsPerSec;
  r.meth!.push(2 * m / (x + y)); r.sess!.push(2 * s / (x + y));
}
const med = (v: number[]) => v.sort((p, q) => p - q)[v.length >> 1]!.toFixed(2);
console.log('method/raw', med(r.meth!), 'session/raw', med(r.sess!));
