/** Scenario 4 at CI size: broken peers, and slowloris (headers) on the p2p, api and directory surfaces. */
import { Cluster } from '../lib/cluster.js';
import {
  checkBrokenPeers,
  checkMidAnswer,
  checkSlowloris,
  runBrokenPeers,
  runSlowloris,
} from '../scenarios/broken-peers.js';

describe('system: slow and broken peers', function () {
  this.timeout(240_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.create('broken-ci');
  });

  after(async () => {
    await cluster?.close();
  });

  it('silent, garbage and stalling peers: coded errors within the timeout, no hang', async () => {
    const outcomes = await runBrokenPeers(cluster);
    checkBrokenPeers(outcomes);
    checkMidAnswer(outcomes);
  });

  it('slow headers on every surface are dropped; other clients keep being served', async () => {
    checkSlowloris(await runSlowloris(cluster, { connections: 50, phase: 'headers', giveUpMs: 30_000 }), 50);
  });
});
