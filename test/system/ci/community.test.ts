/** Scenario 1 at CI size: 6 node processes, each talking to 3 others, messages and one file each. */
import { Cluster } from '../lib/cluster.js';
import { checkCommunity, runCommunity } from '../scenarios/community.js';

describe('system: a small community of node processes', function () {
  this.timeout(240_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.create('community-ci');
  });

  after(async () => {
    await cluster?.close();
  });

  it('6 nodes, 3 peers each: every message exactly once, every file verified', async () => {
    checkCommunity(
      await runCommunity(cluster, { nodes: 6, fanout: 3, messagesPerPeer: 10, fileBytes: 1024 * 1024 }),
    );
  });
});
