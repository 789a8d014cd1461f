/** Scenario 2a at CI size: the receiver of a message stream is killed with -9 once, under traffic. */
import { Cluster } from '../lib/cluster.js';
import { runNodeCrash } from '../scenarios/node-crash.js';

describe('system: kill -9 of a node under message traffic', function () {
  this.timeout(240_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.create('crash-ci');
  });

  after(async () => {
    await cluster?.close();
  });

  it('no acknowledged message lost or duplicated; outboxes resume; stores read back', async () => {
    await runNodeCrash(cluster, { victims: ['b'] });
  });
});
