/** Scenario 1 at full size: 20 node processes and a directory, each node talking to 5 others. */
import { Cluster } from '../lib/cluster.js';
import { checkCommunity, runCommunity } from '../scenarios/community.js';

describe('system: a community of 20 node processes', function () {
  this.timeout(900_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.create('community');
  });

  after(async () => {
    await cluster?.close();
  });

  it('20 nodes, 5 peers each: every message exactly once, every file verified', async () => {
    checkCommunity(
      await runCommunity(cluster, { nodes: 20, fanout: 5, messagesPerPeer: 20, fileBytes: 2 * 1024 * 1024 }),
    );
  });
});
