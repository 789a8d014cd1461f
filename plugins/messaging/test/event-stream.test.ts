import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createTestPair } from '@openred/plugin-sdk/testing';

const pluginDir = fileURLToPath(new URL('..', import.meta.url));

describe('messaging: live events for the owner (Server-Sent Events)', function () {
  this.timeout(30_000);

  it('streams message.received to the receiver and message.delivered to the sender', async () => {
    const { alice, bob, close } = await createTestPair({ pluginDir, config: { tickMs: 20 } });
    const aborts: AbortController[] = [];
    const follow = async (base: string) => {
      const abort = new AbortController();
      aborts.push(abort);
      const res = await fetch(`${base}/api/messages/events`, {
        headers: { accept: 'text/event-stream' },
        signal: abort.signal,
      });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      return async (event: string): Promise<Record<string, unknown>> => {
        for (;;) {
          const frame = text.split('\n\n').find((f) => f.startsWith(`event: ${event}\n`));
          if (frame) return JSON.parse(frame.split('\ndata: ')[1]!) as Record<string, unknown>;
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before ${event}`);
          text += value;
        }
      };
    };
    try {
      const received = await follow(bob.node.urls.api!);
      const delivered = await follow(alice.node.urls.api!);
      const sent = await alice.owner.post<{ id: string }>('/messages', { to: bob.id, body: 'live' });
      expect(sent.status).to.equal(201);
      expect(await received('message.received')).to.include({
        id: sent.body.id,
        from: alice.id,
        body: 'live',
      });
      expect(await delivered('message.delivered')).to.include({ id: sent.body.id, to: bob.id });
      // A plain GET does not wait for a stream that never ends.
      expect((await alice.owner.get('/messages/events')).status).to.equal(406);
    } finally {
      aborts.forEach((a) => a.abort());
      await close();
    }
  });
});
