/** Scenario 4 in full: broken peers, and slowloris in the headers and in the body on every surface. */
import { Cluster } from '../lib/cluster.js';
import {
  checkBrokenPeers,
  checkMidAnswer,
  checkSlowloris,
  runBrokenPeers,
  runSlowloris,
  type CallOutcome,
} from '../scenarios/broken-peers.js';

describe('system: slow and broken peers (full)', function () {
  this.timeout(600_000);
  let cluster: Cluster;
  let outcomes: Record<string, CallOutcome> | undefined;

  before(async () => {
    cluster = await Cluster.create('broken');
  });

  after(async () => {
    await cluster?.close();
  });

  it('silent, garbage and stalling peers: coded errors within the timeout, no hang', async () => {
    outcomes = await runBrokenPeers(cluster);
    checkBrokenPeers(outcomes);
  });

  it('a peer that stalls or drops in the middle of its answer: coded timeout or failure', function () {
    if (!outcomes) this.skip();
    checkMidAnswer(outcomes!);
  });

  it('slow headers on every surface are dropped; other clients keep being served', async () => {
    checkSlowloris(
      await runSlowloris(cluster, { connections: 200, phase: 'headers', giveUpMs: 60_000 }),
      200,
    );
  });

  it('slow bodies on every surface are dropped; other clients keep being served', async () => {
    // The directory keeps its default request timeout (30 s).
    checkSlowloris(await runSlowloris(cluster, { connections: 200, phase: 'body', giveUpMs: 90_000 }), 200);
  });
});
