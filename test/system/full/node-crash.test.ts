/** Scenario 2a in full: every node of the ring is killed with -9 in turn (sender and receiver roles). */
import { Cluster } from '../lib/cluster.js';
import { runNodeCrash } from '../scenarios/node-crash.js';

describe('system: kill -9 of each node in turn under message traffic', function () {
  this.timeout(600_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.create('crash');
  });

  after(async () => {
    await cluster?.close();
  });

  it('no acknowledged message lost or duplicated; outboxes resume; stores read back', async () => {
    // Each node is both a sender and a receiver in the ring; a random extra round repeats one of them.
    const extra = ['a', 'b', 'c'][Math.floor(Math.random() * 3)]!;
    await runNodeCrash(cluster, { victims: ['a', 'b', 'c', extra] });
  });
});
