/** Scenario 2c: the isolated crypto agent of a node is killed with -9 under load. */
import { Cluster } from '../lib/cluster.js';
import { runAgentCrash } from '../scenarios/agent-crash.js';

describe('system: kill -9 of the crypto agent', function () {
  this.timeout(300_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.create('agent');
  });

  after(async () => {
    await cluster?.close();
  });

  it('requests in flight fail with a coded error; the agent restarts; later requests succeed', async function () {
    if (!(await runAgentCrash(cluster))) {
      console.log('    skipped: no sandbox for the crypto agent on this host (it runs inline)');
      this.skip();
    }
  });
});
