import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createTestPair, type TestCommunity, type TestNode } from '@openred/plugin-sdk/testing';

// The plugin folder, loaded the way a node loads it (manifest, config schema, setup).
const pluginDir = fileURLToPath(new URL('..', import.meta.url));

describe('{{pluginName}}', () => {
  let community: TestCommunity;
  let alice: TestNode;
  let bob: TestNode;

  before(async () => {
    ({ alice, bob, ...community } = await createTestPair({ pluginDir, config: { greeting: 'hi' } }));
  });
  after(() => community.close());

  it('loads on both nodes', () => {
    for (const node of [alice, bob])
      expect(node.status()?.state, node.status()?.lastError ?? '').to.equal('active');
  });
  // @if api

  it('answers its owner', async () => {
    const res = await alice.owner.get<{ greeting: string; node: string }>('/{{pluginName}}/hello');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ greeting: 'hi', node: alice.id });
  });
  // @endif
  // @if p2p

  it('takes a greeting from a peer and stores it', async () => {
    const events = bob.events<{ from: string; text: string }>('{{pluginName}}.greeted');
    const res = await alice.request<{ reply: string }>(bob, 'POST', '/{{pluginName}}/greet', {
      text: 'hello bob',
    });
    expect(res.status).to.equal(200);
    expect(res.body.reply).to.equal(`hi, ${alice.id}`);
    expect((await events.waitFor(1))[0]).to.include({ from: alice.id, text: 'hello bob' });
    const stored = await bob.storage().read<{ received: Array<{ from: string; at: number }> }>('greetings');
    expect(stored?.received).to.have.length(1);
    expect(stored?.received[0]?.at).to.equal(community.clock.now());
  });

  it('refuses an invalid body', async () => {
    const res = await alice.request(bob, 'POST', '/{{pluginName}}/greet', { text: '' });
    expect(res.status).to.equal(400);
  });
  // @endif
});
