/** Scenario 3 at CI size: messages through connection cuts, and peer requests that time out. */
import { Cluster } from '../lib/cluster.js';
import { runMessagesThroughCuts, runRequestTimeouts } from '../scenarios/network.js';

describe('system: network faults between node processes', function () {
  this.timeout(240_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.create('network-ci');
  });

  after(async () => {
    await cluster?.close();
  });

  it('messages arrive exactly once through connection cuts', async () => {
    await runMessagesThroughCuts(cluster, { cuts: 5, choppyMs: 3000 });
  });

  it('slow, silent and refusing peers: coded timeouts and errors, no hang; recovery after', async () => {
    await runRequestTimeouts(cluster);
  });
});
