import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createTestPair, type TestCommunity, type TestNode } from '@openred/plugin-sdk/testing';
import { RateLimiter } from '../src/rate-limiter.js';

const pluginDir = fileURLToPath(new URL('..', import.meta.url));

describe('{{pluginName}}', () => {
  it('limits per key and window', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 1000, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('b')]).to.deep.equal([0, 0, 0]);
    expect(limiter.take('a')).to.equal(1000);
    now = 1000;
    expect(limiter.take('a')).to.equal(0);
  });

  describe('on nodes', () => {
    let community: TestCommunity;
    let alice: TestNode;
    let bob: TestNode;

    before(async () => {
      ({ alice, bob, ...community } = await createTestPair({
        pluginDir,
        config: { requestsPerWindow: 3, windowSeconds: 60 },
      }));
    });
    after(() => community.close());

    it('loads on both nodes', () => {
      for (const node of [alice, bob]) {
        expect(node.status()?.state, node.status()?.lastError ?? '').to.equal('active');
      }
    });
    // @if p2p
    // @if middleware

    it('answers 429 past the limit, until the window ends', async () => {
      const ping = () => alice.request(bob, 'POST', '/{{pluginName}}/ping', {});
      for (let i = 0; i < 3; i++) expect((await ping()).status).to.equal(200);
      const refused = await ping();
      expect(refused.status).to.equal(429);
      expect(refused.body).to.deep.nested.include({ 'error.code': 'OR_ERR_RATE_LIMITED' });
      community.clock.advance(60_000);
      expect((await ping()).status).to.equal(200);
    });
    // @endif
    // @endif
    // @if api

    it('shows its counts to the owner', async () => {
      const res = await bob.owner.get<{ limit: number }>('/{{pluginName}}/counts');
      expect(res.status).to.equal(200);
      expect(res.body.limit).to.equal(3);
    });
    // @endif
  });
});
