import { expect } from 'chai';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import { startCommunity, type Community } from '../../helpers/community.js';

/**
 * The responder of a session learns its peer's address while the directory is up, so an established
 * session works in both directions after the directory goes down (the directory only brokers first contact).
 */
describe('sessions outlive the directory in both directions', function () {
  this.timeout(30_000);
  let c: Community;

  before(async () => {
    c = await startCommunity({ nodes: 2 });
  });
  after(async () => c?.close());

  it('the responder reaches the initiator on the existing session with the directory stopped', async () => {
    const [a, b] = c.nodes as [OpenRedNode, OpenRedNode];
    await a.peers.connect(b.id);
    // The address lookup runs in the background once the session is established.
    const deadline = Date.now() + 5000;
    while (!b.sessions!.current(a.id)?.peerUrl && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await c.directory.stop();
    const r = await b.peers.request<{ peer: string }>(a.id, 'POST', '/echo', { n: 1 });
    expect(r.status).to.equal(200);
    expect(r.body.peer).to.equal(b.id);
  });
});
