import { expect } from 'chai';
import { generateNodeKeys, deriveNodeId } from '../../../core/crypto/identity.js';
import { signEd25519 } from '../../../core/crypto/signatures.js';
import { canonicalJson } from '../../../core/crypto/canonical-json.js';
import {
  discoverPayload,
  signPayload,
  verifyPayload,
  withinSkew,
  withoutSig,
} from '../../../core/directory/signing.js';

describe('directory signing scheme', () => {
  const keys = generateNodeKeys();
  const id = deriveNodeId(keys.publicKeys);
  const sign = async (data: Uint8Array) => signEd25519(keys.ed25519Private, data);

  it('signs the canonical JSON of the body without sig (key order does not matter)', async () => {
    const body = { ts: 5, node_id: id, api_url: 'https://a.example', keys: keys.publicKeys, suites: ['x'] };
    const sig = await signPayload(sign, body);
    const reordered = {
      suites: ['x'],
      keys: keys.publicKeys,
      api_url: 'https://a.example',
      node_id: id,
      ts: 5,
      sig,
    };
    expect(verifyPayload(keys.publicKeys.ed25519, withoutSig(reordered), sig)).to.equal(true);
    expect(verifyPayload(keys.publicKeys.ed25519, { ...withoutSig(reordered), ts: 6 }, sig)).to.equal(false);
    expect(verifyPayload(generateNodeKeys().publicKeys.ed25519, withoutSig(reordered), sig)).to.equal(false);
    expect(verifyPayload(keys.publicKeys.ed25519, withoutSig(reordered), 'not-a-signature')).to.equal(false);
  });

  it('discover signatures cover method, API path, query, ts and node', async () => {
    const payload = discoverPayload({ status: 'active', limit: '10' }, 1234, id);
    expect(canonicalJson(payload)).to.equal(
      `{"method":"GET","node":"${id}","path":"/api/v3/nodes/discover","query":{"limit":"10","status":"active"},"ts":1234}`,
    );
    const sig = await signPayload(sign, payload);
    expect(
      verifyPayload(
        keys.publicKeys.ed25519,
        discoverPayload({ status: 'active', limit: '10' }, 1234, id),
        sig,
      ),
    ).to.equal(true);
    expect(
      verifyPayload(
        keys.publicKeys.ed25519,
        discoverPayload({ status: 'active', limit: '11' }, 1234, id),
        sig,
      ),
    ).to.equal(false);
    expect(
      verifyPayload(
        keys.publicKeys.ed25519,
        discoverPayload({ status: 'active', limit: '10' }, 1235, id),
        sig,
      ),
    ).to.equal(false);
  });

  it('withoutSig leaves the input alone', () => {
    const body = { a: 1, sig: 'x' };
    expect(withoutSig(body)).to.deep.equal({ a: 1 });
    expect(body).to.deep.equal({ a: 1, sig: 'x' });
  });

  it('skew is symmetric and inclusive', () => {
    expect(withinSkew(1000, 61_000, 60)).to.equal(true);
    expect(withinSkew(999, 61_000, 60)).to.equal(false);
    expect(withinSkew(121_000, 61_000, 60)).to.equal(true);
    expect(withinSkew(121_001, 61_000, 60)).to.equal(false);
  });
});

describe('rate-limit address keys', () => {
  it('groups IPv6 by /64 and unwraps IPv4-mapped addresses', async () => {
    const { addressKey } = await import('../../../core/directory/service.js');
    expect(addressKey('203.0.113.7')).to.equal('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).to.equal('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).to.equal(addressKey('2001:db8:1:2:bbbb::2'));
    expect(addressKey('2001:db8:1:2::1')).to.not.equal(addressKey('2001:db8:1:3::1'));
    expect(addressKey('')).to.equal('unknown');
  });
});
