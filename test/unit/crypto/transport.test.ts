import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { chacha20Poly1305, chachaImplementation } from '../../../core/crypto/ciphers/chacha20-poly1305.js';
import type { CipherVector } from '../../../core/crypto/ciphers/cipher-method.js';
import { CipherRegistry } from '../../../core/crypto/ciphers/registry.js';
import { fromB64u, toB64u } from '../../../core/crypto/encoding.js';
import { BUILTIN_POLICIES, epochOf, epochStartMs } from '../../../core/crypto/epochs.js';
import type { SessionKeys } from '../../../core/crypto/handshake.js';
import { parseEnvelope, type Envelope } from '../../../core/crypto/transport/envelope.js';
import { ReplayWindow } from '../../../core/crypto/transport/replay-window.js';
import { TransportSession, type TransportOptions } from '../../../core/crypto/transport/transport-session.js';
import { ManualClock } from '../../../core/kernel/clock.js';
import { caught } from './helpers.js';

const HOUR = 3_600_000;
const BOUNDARY = Date.UTC(2026, 0, 1, 12); // an epoch boundary for 3600-s epochs

function sessionPair(
  methods: string[] = ['aes-256-gcm', 'chacha20-poly1305'],
  extra: Partial<TransportOptions> = {},
): { a: TransportSession; b: TransportSession; ca: ManualClock; cb: ManualClock; registry: CipherRegistry } {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const grant = {
    v: 1 as const,
    grant_id: toB64u(randomBytes(16)),
    initiator: 'or' + 'a'.repeat(32),
    responder: 'or' + 'b'.repeat(32),
    issued_at: 0,
    expires_at: 1,
    epoch: 0,
    suite: '25519_ChaChaPoly_SHA256' as const,
  };
  const base = { grant, methods, handshakeHash: randomBytes(32) };
  const ka: SessionKeys = {
    ...base,
    role: 'initiator',
    peerId: grant.responder,
    sendKey: k1,
    receiveKey: k2,
  };
  const kb: SessionKeys = {
    ...base,
    role: 'responder',
    peerId: grant.initiator,
    sendKey: k2,
    receiveKey: k1,
  };
  const registry = extra.registry ?? new CipherRegistry();
  const ca = new ManualClock(BOUNDARY + 10 * 60_000);
  const cb = new ManualClock(BOUNDARY + 10 * 60_000);
  return {
    a: new TransportSession(ka, { registry, clock: ca, ...extra }),
    b: new TransportSession(kb, { registry, clock: cb, ...extra }),
    ca,
    cb,
    registry,
  };
}

const msg = (s: string) => Buffer.from(s);

describe('crypto/transport', () => {
  it('round-trips in both directions; envelopes are {e, n, ct}', () => {
    const { a, b } = sessionPair();
    const env = a.seal(msg('hello'), msg('POST /p2p/message'));
    expect(Object.keys(env).sort()).to.deep.equal(['ct', 'e', 'n']);
    expect(env.e).to.equal(epochOf(BOUNDARY + 600_000, 3600));
    expect(env.n).to.equal(0);
    expect(b.open(env, msg('POST /p2p/message')).toString()).to.equal('hello');
    expect(a.open(b.seal(msg('back'))).toString()).to.equal('back');
    expect(a.sendCounter).to.equal(1n);
  });

  it('raw envelopes (bulk bodies): parts or one buffer, same checks as JSON envelopes', async () => {
    const { a, b } = sessionPair();
    const big = randomBytes(256 * 1024);
    const r1 = a.sealRaw(big, msg('chunk 1'));
    expect(Array.isArray(r1.ct)).to.equal(true); // built-ins seal without joining body and tag
    expect(b.openRaw(r1, msg('chunk 1')).equals(big)).to.equal(true);
    expect((await caught(() => b.openRaw(r1, msg('chunk 1')))).code).to.equal('OR_ERR_REPLAY');
    const r2 = a.sealRaw(big);
    const joined = Buffer.concat(r2.ct as Buffer[]); // what a receiver reads off the socket
    const bad = Buffer.from(joined);
    bad[1000]! ^= 1;
    expect((await caught(() => b.openRaw({ ...r2, ct: bad }))).code).to.equal('OR_ERR_BAD_TAG');
    expect(b.openRaw({ ...r2, ct: joined }).equals(big)).to.equal(true);
    const r3 = a.sealRaw(msg('x'));
    const [body, tag] = r3.ct as Buffer[];
    const flipped = Buffer.from(tag!);
    flipped[0]! ^= 1;
    expect((await caught(() => b.openRaw({ ...r3, ct: [body!, flipped] }))).code).to.equal('OR_ERR_BAD_TAG');
    for (const v of [
      { e: 1, n: 1.5, ct: joined },
      { e: 1, n: -1, ct: joined },
      { e: 1, n: 2n ** 64n, ct: joined },
      { e: 1, n: '0', ct: joined },
      { e: -1, n: 0n, ct: joined },
      { e: r3.e, n: 0n, ct: 'x' },
      { e: r3.e, n: 0n, ct: Buffer.alloc(3) },
    ]) {
      expect((await caught(() => b.openRaw(v as never))).code).to.equal('OR_ERR_ENVELOPE_MALFORMED');
    }
  });

  for (const method of ['chacha20-poly1305', 'aes-256-gcm']) {
    it(`small messages (${method}): sealed into one buffer after free headroom, opened where they lie`, async () => {
      const { a, b } = sessionPair([method]);
      const pt = msg('{"b":{"text":"hello"}}');
      const aad = msg('POST /p2p/echo');
      const s1 = a.sealInto(pt, aad, 12);
      expect(s1.n).to.equal(0);
      expect(s1.buf.length).to.equal(12 + pt.length + 16);
      // The same bytes as the other forms: sealRaw's output opens it, and it opens sealRaw's.
      const body = Buffer.from(s1.buf.subarray(12));
      const opened = b.openInPlace(s1.e, s1.n, body, aad);
      expect(opened.equals(pt)).to.equal(true);
      if (method === 'chacha20-poly1305' && chachaImplementation === 'libsodium') {
        // Decrypted in place: the plaintext is a view of the sealed bytes.
        expect(opened.buffer).to.equal(body.buffer);
        expect(opened.byteOffset).to.equal(body.byteOffset);
      }
      const r2 = a.sealRaw(pt, aad);
      expect(b.openInPlace(r2.e, r2.n, Buffer.concat([r2.ct].flat()), aad).equals(pt)).to.equal(true);
      const s3 = a.sealInto(pt, aad, 0);
      expect(b.openRaw({ e: s3.e, n: BigInt(s3.n), ct: s3.buf }, aad).equals(pt)).to.equal(true);

      // Replay, tampering, a moved counter, another AAD: refused, and the window does not move.
      const copy = (x: Buffer) => Buffer.from(x);
      expect((await caught(() => b.openInPlace(s1.e, s1.n, copy(s1.buf.subarray(12)), aad))).code).to.equal(
        'OR_ERR_REPLAY',
      );
      const s4 = a.sealInto(pt, aad, 12);
      const tampered = copy(s4.buf.subarray(12));
      tampered[3]! ^= 1;
      expect((await caught(() => b.openInPlace(s4.e, s4.n, tampered, aad))).code).to.equal('OR_ERR_BAD_TAG');
      expect(
        (await caught(() => b.openInPlace(s4.e, s4.n + 1, copy(s4.buf.subarray(12)), aad))).code,
      ).to.equal('OR_ERR_BAD_TAG');
      expect(
        (await caught(() => b.openInPlace(s4.e, s4.n, copy(s4.buf.subarray(12)), msg('GET /p2p/echo')))).code,
      ).to.equal('OR_ERR_BAD_TAG');
      expect(b.openInPlace(s4.e, s4.n, copy(s4.buf.subarray(12)), aad).equals(pt)).to.equal(true);
      for (const [e, n, sealed] of [
        [-1, 0, body],
        [1.5, 0, body],
        [s4.e, -1, body],
        [s4.e, 0.5, body],
        [s4.e, 2n ** 64n, body],
        [s4.e, 9, Buffer.alloc(15)],
      ] as Array<[number, number | bigint, Buffer]>) {
        expect((await caught(() => b.openInPlace(e, n, sealed, aad))).code).to.equal(
          'OR_ERR_ENVELOPE_MALFORMED',
        );
      }
    });
  }

  it('the in-place forms count against the same counter limit', async () => {
    const { a } = sessionPair(undefined, { maxCounter: 1n });
    a.sealInto(msg('0'), msg(''), 0);
    a.seal(msg('1'));
    expect((await caught(() => a.sealInto(msg('2'), msg(''), 0))).code).to.equal('OR_ERR_NONCE_EXHAUSTED');
  });

  it('uses a different key per direction (a reflected envelope fails)', async () => {
    const { a } = sessionPair();
    const env = a.seal(msg('x'));
    expect((await caught(() => a.open(env))).code).to.equal('OR_ERR_BAD_TAG');
  });

  it('rejects replayed and duplicated envelopes, accepts reordered ones', async () => {
    const { a, b } = sessionPair();
    const envs = Array.from({ length: 6 }, (_, i) => a.seal(msg(`m${i}`)));
    for (const i of [5, 2, 0, 4, 1, 3]) expect(b.open(envs[i]).toString()).to.equal(`m${i}`);
    for (const i of [0, 3, 5]) expect((await caught(() => b.open(envs[i]))).code).to.equal('OR_ERR_REPLAY');
    expect((await caught(() => b.open({ ...envs[2]! }))).code).to.equal('OR_ERR_REPLAY');
  });

  it('rejects counters older than the window', async () => {
    const { a, b } = sessionPair(undefined, { windowSize: 64 });
    const old = a.seal(msg('old'));
    for (let i = 0; i < 64; i++) a.seal(msg('skip'));
    b.open(a.seal(msg('new')));
    expect((await caught(() => b.open(old))).code).to.equal('OR_ERR_REPLAY');
  });

  it('a forged envelope does not move the replay window', async () => {
    const { a, b } = sessionPair(undefined, { windowSize: 64 });
    const legit = a.seal(msg('legit'));
    const forged: Envelope = { ...legit, n: 1_000_000 };
    expect((await caught(() => b.open(forged))).code).to.equal('OR_ERR_BAD_TAG');
    expect(b.open(legit).toString()).to.equal('legit');
  });

  it('detects a flipped bit anywhere in ct, a changed counter, a changed epoch or aad', async () => {
    const { a, b } = sessionPair();
    const env = a.seal(msg('payload'), msg('aad'));
    const ct = fromB64u(env.ct);
    for (let i = 0; i < ct.length; i++) {
      const t = Buffer.from(ct);
      t[i]! ^= 1 << (i % 8);
      expect((await caught(() => b.open({ ...env, ct: toB64u(t) }, msg('aad')))).code).to.equal(
        'OR_ERR_BAD_TAG',
      );
    }
    expect((await caught(() => b.open({ ...env, n: 1 }, msg('aad')))).code).to.equal('OR_ERR_BAD_TAG');
    expect((await caught(() => b.open({ ...env, e: env.e + 1 }, msg('aad')))).code).to.be.oneOf([
      'OR_ERR_BAD_TAG',
      'OR_ERR_EPOCH_EXPIRED',
    ]);
    expect((await caught(() => b.open(env, msg('aae')))).code).to.equal('OR_ERR_BAD_TAG');
    expect(b.open(env, msg('aad')).toString()).to.equal('payload');
  });

  it('binds the epoch into the key: the same envelope relabelled to the next epoch fails', async () => {
    const { a, b, ca, cb } = sessionPair();
    ca.set(BOUNDARY - 5_000);
    cb.set(BOUNDARY - 5_000);
    const env = a.seal(msg('x'));
    expect((await caught(() => b.open({ ...env, e: env.e + 1 })))?.code).to.equal('OR_ERR_BAD_TAG');
  });

  it('rejects malformed envelopes', async () => {
    const { b } = sessionPair();
    const bad: unknown[] = [
      null,
      [],
      { e: 1, n: 0 },
      { e: -1, n: 0, ct: 'AAAAAAAAAAAAAAAAAAAAAA' },
      { e: 1, n: -1, ct: 'AAAAAAAAAAAAAAAAAAAAAA' },
      { e: 1, n: '01', ct: 'AAAAAAAAAAAAAAAAAAAAAA' },
      { e: 1, n: 1.5, ct: 'AAAAAAAAAAAAAAAAAAAAAA' },
      { e: 1, n: '18446744073709551616', ct: 'AAAAAAAAAAAAAAAAAAAAAA' },
      { e: 1, n: 0, ct: 'AAAA' },
      { e: 1, n: 0, ct: 'AA+A' },
      { e: 1, n: 0, ct: 'AAAAAAAAAAAAAAAAAAAAAA', x: 1 },
    ];
    for (const v of bad)
      expect((await caught(() => b.open(v))).code, JSON.stringify(v)).to.equal('OR_ERR_ENVELOPE_MALFORMED');
  });

  it('reads counters above 2^53 from decimal strings (a node sends numbers: its counters stay below)', () => {
    expect(
      parseEnvelope({ e: 1, n: Number.MAX_SAFE_INTEGER, ct: toB64u(Buffer.alloc(16)) }).counter,
    ).to.equal(2n ** 53n - 1n);
    const p = parseEnvelope({ e: 1, n: '18446744073709551615', ct: toB64u(Buffer.alloc(16)) });
    expect(p.counter).to.equal(2n ** 64n - 1n);
  });

  it('refuses to seal past the counter limit (OR_ERR_NONCE_EXHAUSTED)', async () => {
    const { a, b } = sessionPair(undefined, { maxCounter: 2n });
    for (let i = 0; i < 3; i++) b.open(a.seal(msg(`${i}`)));
    expect((await caught(() => a.seal(msg('one too many')))).code).to.equal('OR_ERR_NONCE_EXHAUSTED');
  });

  describe('epoch boundary and clock skew (grace 60 s)', () => {
    it('accepts the previous epoch inside the grace window, not after it', async () => {
      const { a, b, ca, cb } = sessionPair();
      ca.set(BOUNDARY - 10_000);
      const e1 = a.seal(msg('late'));
      const e2 = a.seal(msg('later'));
      cb.set(BOUNDARY + 30_000);
      expect(b.open(e1).toString()).to.equal('late');
      cb.set(BOUNDARY + 61_000);
      expect((await caught(() => b.open(e2))).code).to.equal('OR_ERR_EPOCH_EXPIRED');
    });

    it('accepts the next epoch from a sender whose clock runs ahead, within the grace window only', async () => {
      const { a, b, ca, cb } = sessionPair();
      ca.set(BOUNDARY + 10_000);
      const e1 = a.seal(msg('early'));
      const e2 = a.seal(msg('earlier'));
      cb.set(BOUNDARY - 30_000);
      expect(b.open(e1).toString()).to.equal('early');
      cb.set(BOUNDARY - 61_000);
      expect((await caught(() => b.open(e2))).code).to.equal('OR_ERR_EPOCH_EXPIRED');
    });

    it('never accepts an epoch two away', async () => {
      const { a, b, ca } = sessionPair();
      ca.advance(-2 * HOUR);
      expect((await caught(() => b.open(a.seal(msg('stale'))))).code).to.equal('OR_ERR_EPOCH_EXPIRED');
    });

    it('rotates keys and methods across epochs, both sides agreeing (hourly policy)', () => {
      const { a, b, ca, cb } = sessionPair(undefined, { policy: BUILTIN_POLICIES.hourly! });
      const cts = new Set<string>();
      for (let h = 0; h < 30; h++) {
        ca.set(BOUNDARY + h * HOUR + 1000);
        cb.set(BOUNDARY + h * HOUR + 1000);
        const env = a.seal(Buffer.alloc(32));
        cts.add(env.ct);
        expect(b.open(env).length).to.equal(32);
        expect(a.open(b.seal(msg('r'))).toString()).to.equal('r');
      }
      expect(cts.size).to.equal(30);
      expect(epochStartMs(epochOf(BOUNDARY, 3600), 3600)).to.equal(BOUNDARY);
    });
  });

  it('marks the session stale when a negotiated plugin method is unregistered', async () => {
    const registry = new CipherRegistry();
    const key = Buffer.alloc(32, 1);
    const nonce = Buffer.alloc(12);
    const vectors: CipherVector[] = [
      {
        key: key.toString('hex'),
        nonce: nonce.toString('hex'),
        aad: '',
        plaintext: '',
        ciphertext: chacha20Poly1305.seal(key, nonce, Buffer.alloc(0), Buffer.alloc(0)).toString('hex'),
      },
    ];
    registry.register({ ...chacha20Poly1305, id: 'p-cipher' }, { owner: 'plugin', vectors });
    let staleCalls = 0;
    const { a, b } = sessionPair(['p-cipher'], { registry, onStale: () => staleCalls++ });
    b.open(a.seal(msg('before')));
    registry.unregister('plugin');
    expect(a.stale && b.stale).to.equal(true);
    expect(staleCalls).to.equal(2);
    expect((await caught(() => a.seal(msg('after')))).code).to.equal('OR_ERR_CIPHER_UNAVAILABLE');
    a.destroy();
    expect((await caught(() => a.seal(msg('closed')))).code).to.equal('OR_ERR_SESSION_CLOSED');
  });

  describe('ReplayWindow', () => {
    it('matches a reference model on random sequences (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.bigInt({ min: 0n, max: 400n }), { maxLength: 300 }), (seq) => {
          const w = new ReplayWindow(64);
          const seen = new Set<bigint>();
          let top = -1n;
          for (const n of seq) {
            const expected = !seen.has(n) && (n > top || top - n < 64n);
            expect(w.check(n)).to.equal(expected);
            if (expected) {
              w.commit(n);
              seen.add(n);
              if (n > top) top = n;
            }
          }
        }),
        { numRuns: 200 },
      );
    });

    it('gives the same answers for numbers and bigints, across 2^53 (property)', () => {
      const base = 2n ** 53n - 150n;
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 300n }), fc.boolean()), { maxLength: 300 }),
          (seq) => {
            const w = new ReplayWindow(64);
            const seen = new Set<bigint>();
            let top = -1n;
            for (const [offset, asNumber] of seq) {
              const n = base + offset;
              // Numbers only where they are exact; the window must not care which form arrives.
              const given = asNumber && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
              const expected = !seen.has(n) && (n > top || top - n < 64n);
              expect(w.check(given), `${n}`).to.equal(expected);
              if (expected) {
                w.commit(given);
                seen.add(n);
                if (n > top) top = n;
              }
              expect(w.highest).to.equal(top);
            }
          },
        ),
        { numRuns: 200 },
      );
    });

    it('handles counters near 2^64 and big jumps', () => {
      const w = new ReplayWindow(1024);
      const hi = 2n ** 64n - 2n;
      w.commit(5n);
      w.commit(hi);
      expect(w.check(5n)).to.equal(false);
      expect(w.check(hi)).to.equal(false);
      expect(w.check(hi - 1023n)).to.equal(true);
      expect(w.check(hi - 1024n)).to.equal(false);
    });

    it('is at least 1024 wide by default in sessions', () => {
      expect(new ReplayWindow().size).to.be.at.least(1024);
    });
  });
});
