import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { CipherRegistry } from '../../../core/crypto/ciphers/registry.js';
import { TransportSession } from '../../../core/crypto/transport/transport-session.js';
import {
  binaryCounter,
  binaryRequestAad,
  bytesRequestAad,
  rawResponseAad,
  openBinary,
  sealBinary,
  isSealedType,
  PREFIX_LENGTH,
  SEALED_TYPE,
  writePrefix,
} from '../../../core/p2p/sessions/wire.js';

describe('p2p wire: binary envelopes', () => {
  it('writes and reads epoch and counter across the 2^32 and 2^53 boundaries and up to 2^64 - 1', () => {
    const counters = [
      0n,
      1n,
      2n ** 32n - 1n,
      2n ** 32n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 53n + 1n,
      2n ** 64n - 1n,
    ];
    for (const n of counters) {
      for (const given of n < 2n ** 53n ? [n, Number(n)] : [n]) {
        const body = Buffer.alloc(PREFIX_LENGTH + 16, 0xee);
        writePrefix(body, 29_000_000, given);
        expect(body.readUInt32BE(0)).to.equal(29_000_000);
        expect(body.readBigUInt64BE(4), `counter ${n}`).to.equal(n); // big-endian, as documented
        // A number below 2^53 (no BigInt per message), a bigint above.
        expect(binaryCounter(body)).to.equal(n < 2n ** 53n ? Number(n) : n);
        expect(body.subarray(PREFIX_LENGTH).equals(Buffer.alloc(16, 0xee))).to.equal(true);
      }
    }
  });

  it('recognises the sealed content type with parameters or in another case, and nothing else', () => {
    expect(isSealedType(SEALED_TYPE)).to.equal(true);
    expect(isSealedType('Application/VND.openred.sealed; v=1')).to.equal(true);
    expect(isSealedType('application/octet-stream')).to.equal(false);
    expect(isSealedType(undefined)).to.equal(false);
    expect(isSealedType('')).to.equal(false);
  });

  it('seals a message as prefix || ciphertext || tag in one buffer and opens it where it lies', () => {
    const registry = new CipherRegistry();
    const clock = { now: () => 1_700_000_000_000 };
    const keys = {
      grant: { grant_id: 'grant-0001' } as never,
      role: 'initiator' as const,
      peerId: 'or' + 'a'.repeat(32),
      methods: ['aes-256-gcm', 'chacha20-poly1305'],
      handshakeHash: randomBytes(32),
      sendKey: randomBytes(32),
      receiveKey: randomBytes(32),
    };
    const sender = new TransportSession(keys, { registry, clock });
    const receiver = new TransportSession(
      { ...keys, sendKey: keys.receiveKey, receiveKey: keys.sendKey },
      { registry, clock },
    );
    const aad = Buffer.from('openred/req-bin/v1\nPOST\n/p2p/echo');
    for (let i = 0; i < 3; i++) {
      const sealed = sealBinary(sender, Buffer.from(`message ${i}`), aad);
      expect(sealed.buf.length).to.equal(PREFIX_LENGTH + 9 + 16);
      // The prefix carries the epoch and counter the transport sealed with.
      expect(sealed.buf.readUInt32BE(0)).to.equal(sealed.e);
      expect(binaryCounter(sealed.buf)).to.equal(i);
      expect(openBinary(receiver, sealed.buf, aad)!.toString()).to.equal(`message ${i}`);
    }
    expect(openBinary(receiver, Buffer.alloc(PREFIX_LENGTH + 15), aad)).to.equal(undefined);
  });

  it('builds AADs from cached parts with the documented bytes, per method, URL and label', () => {
    for (let round = 0; round < 2; round++) {
      // The second round reads the caches.
      expect(binaryRequestAad('POST', '/p2p/a').toString()).to.equal('openred/req-bin/v1\nPOST\n/p2p/a');
      expect(binaryRequestAad('PUT', '/p2p/a').toString()).to.equal('openred/req-bin/v1\nPUT\n/p2p/a');
      expect(binaryRequestAad('post', '/p2p/b?x=1').toString()).to.equal(
        'openred/req-bin/v1\nPOST\n/p2p/b?x=1',
      );
      expect(bytesRequestAad('POST', '/p2p/a').toString()).to.equal('openred/req-bytes/v1\nPOST\n/p2p/a');
      expect(rawResponseAad('POST', '/p2p/a', 0).toString()).to.equal('openred/res-raw/v1\nPOST\n/p2p/a\n0');
      expect(rawResponseAad('POST', '/p2p/a', 9_007_199_254_740_991).toString()).to.equal(
        'openred/res-raw/v1\nPOST\n/p2p/a\n9007199254740991',
      );
      expect(rawResponseAad('PATCH', '/p2p/é', 2n ** 64n - 1n).toString()).to.equal(
        'openred/res-raw/v1\nPATCH\n/p2p/é\n18446744073709551615',
      );
    }
    // Kept: the same buffer again for a route's URL. Not kept: long URLs (a peer's query strings) and odd
    // methods, built each time, with the same bytes.
    expect(binaryRequestAad('POST', '/p2p/a')).to.equal(binaryRequestAad('POST', '/p2p/a'));
    const long = `/p2p/a?q=${'x'.repeat(300)}`;
    expect(binaryRequestAad('POST', long)).to.not.equal(binaryRequestAad('POST', long));
    expect(binaryRequestAad('POST', long).toString()).to.equal(`openred/req-bin/v1\nPOST\n${long}`);
    expect(rawResponseAad('POST', long, 7).toString()).to.equal(`openred/res-raw/v1\nPOST\n${long}\n7`);
    expect(binaryRequestAad('propfind', '/p2p/a')).to.not.equal(binaryRequestAad('propfind', '/p2p/a'));
    expect(binaryRequestAad('propfind', '/p2p/a').toString()).to.equal(
      'openred/req-bin/v1\nPROPFIND\n/p2p/a',
    );
    // Bounded: many URLs do not grow the cache without limit, and answers stay right after it was emptied.
    for (let i = 0; i < 2000; i++) binaryRequestAad('GET', `/p2p/n/${i}`);
    expect(binaryRequestAad('GET', '/p2p/n/3').toString()).to.equal('openred/req-bin/v1\nGET\n/p2p/n/3');
  });
});
