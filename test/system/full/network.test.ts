/** Scenario 3 in full: cuts under message traffic, timeouts, and a file transfer through cuts. */
import { Cluster } from '../lib/cluster.js';
import { runFileThroughCuts, runMessagesThroughCuts, runRequestTimeouts } from '../scenarios/network.js';

describe('system: network faults between node processes (full)', function () {
  this.timeout(600_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.create('network');
  });

  after(async () => {
    await cluster?.close();
  });

  it('messages arrive exactly once through connection cuts', async () => {
    await runMessagesThroughCuts(cluster, { cuts: 20, choppyMs: 15_000 });
  });

  it('slow, silent and refusing peers: coded timeouts and errors, no hang; recovery after', async () => {
    await runRequestTimeouts(cluster);
  });

  it('a file transfer survives a cut, and resumes after the line was down; hashes verified', async () => {
    await runFileThroughCuts(cluster);
  });
});
