/**
 * Scenario 4, slow and broken peers. A peer's advertised address is taken over by something that misbehaves
 * (through the fault proxy's `respond` and `blackhole` modes): it never answers, answers bytes that are not
 * HTTP, answers HTTP that is not a sealed answer, or stops in the middle of its answer. Every call must end
 * within its timeout with a coded error. Then slowloris clients hold many connections to a node's p2p and
 * api surfaces and to the directory, sending their requests a byte at a time: the servers must drop them
 * within their timeouts while serving everyone else.
 */
import { expect } from 'chai';
import { callApi, errorCode } from '../lib/api.js';
import type { Cluster, SystemNode } from '../lib/cluster.js';
import { garbageBytes, garbageHttp, hangAfterHeaders } from '../lib/fake-peer.js';
import type { FaultProxy } from '../lib/fault-proxy.js';
import { addProxiedNode } from '../lib/proxied-node.js';
import { report } from '../lib/report.js';
import { slowloris, type SlowlorisResult } from '../lib/slowloris.js';

export interface CallOutcome {
  status: number;
  code: string | undefined;
  ms: number;
}

async function probe(from: SystemNode, to: SystemNode, timeoutMs: number): Promise<CallOutcome> {
  const t0 = performance.now();
  const r = await from.call('POST', '/api/probe/request', { peer: to.id, timeout_ms: timeoutMs }, 60_000);
  return { status: r.status, code: errorCode(r.json), ms: Math.round(performance.now() - t0) };
}

/** Each misbehaviour in turn on an established session; the peer is healthy again between them. */
export async function runBrokenPeers(cluster: Cluster): Promise<Record<string, CallOutcome>> {
  const { node: a } = await addProxiedNode(cluster, 'bp-a');
  const { node: b, proxy } = await addProxiedNode(cluster, 'bp-b');
  const { node: c, proxy: silentFromStart } = await addProxiedNode(cluster, 'bp-c');
  expect((await probe(a, b, 5000)).status).to.equal(200);

  const misbehave = async (setup: (p: FaultProxy) => void): Promise<CallOutcome> => {
    proxy.cutAll(); // pooled connections go: the next request meets the fake peer
    setup(proxy);
    const outcome = await probe(a, b, 1500);
    proxy.heal();
    proxy.cutAll();
    return outcome;
  };
  const outcomes: Record<string, CallOutcome> = {
    silent: await misbehave((p) => (p.mode = 'blackhole')),
    notHttp: await misbehave((p) => {
      p.mode = 'respond';
      p.responder = garbageBytes;
    }),
    unsealedHttp: await misbehave((p) => {
      p.mode = 'respond';
      p.responder = garbageHttp;
    }),
    stallsMidAnswer: await misbehave((p) => {
      p.mode = 'respond';
      p.responder = hangAfterHeaders;
    }),
    cutMidAnswer: await misbehave((p) => {
      p.mode = 'respond';
      p.responder = (socket) => {
        hangAfterHeaders(socket);
        socket.once('data', () => setTimeout(() => socket.resetAndDestroy(), 100));
      };
    }),
  };
  // The healthy peer is reachable again.
  outcomes.healthyAfter = await probe(a, b, 5000);
  // First contact with a peer that never answers: the directory cannot deliver its token.
  silentFromStart.mode = 'blackhole';
  outcomes.firstContactSilent = await probe(a, c, 5000);
  report('broken-peers', outcomes);
  return outcomes;
}

export function checkBrokenPeers(o: Record<string, CallOutcome>): void {
  const codes = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.code]));
  expect(codes).to.deep.include({
    silent: 'OR_ERR_PEER_TIMEOUT',
    notHttp: 'OR_ERR_PEER_FAILED',
    unsealedHttp: 'OR_ERR_PEER_ANSWER',
  });
  expect(o.healthyAfter!.status).to.equal(200);
  // The directory's token push fails after its retries; the node names the peer, not the directory.
  expect(o.firstContactSilent!.code).to.equal('OR_ERR_PEER_UNREACHABLE');
  expect(o.firstContactSilent!.status).to.equal(502);
}

/** A peer that stops or drops in the middle of its answer (after the status line and headers). */
export function checkMidAnswer(o: Record<string, CallOutcome>): void {
  const codes = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.code]));
  expect(codes).to.deep.include({
    stallsMidAnswer: 'OR_ERR_PEER_TIMEOUT',
    cutMidAnswer: 'OR_ERR_PEER_FAILED',
  });
}

export interface SlowlorisOutcome {
  p2p: SlowlorisResult;
  api: SlowlorisResult;
  directory: SlowlorisResult;
  servedMeanwhile: { api: number; p2p: number; directory: number; failed: number };
}

/**
 * Slowloris on all three surfaces at once, while a normal client keeps calling each of them. The node's
 * limits are lowered (`limits` of the node spec) so the scenario is quick; the directory keeps its defaults.
 */
export async function runSlowloris(
  cluster: Cluster,
  o: { connections: number; phase: 'headers' | 'body'; giveUpMs: number },
): Promise<SlowlorisOutcome> {
  const limits = { headersTimeoutMs: 2000, requestTimeoutMs: 4000 };
  const [x, y] = await cluster.addNodes([`sl-x-${o.phase}`, `sl-y-${o.phase}`], { limits });
  expect((await probe(y!, x!, 5000)).status).to.equal(200);
  const served = { api: 0, p2p: 0, directory: 0, failed: 0 };
  let attacking = true;
  const client = (async () => {
    while (attacking) {
      const results = await Promise.allSettled([
        x!.call('GET', '/api/node/status', undefined, 5000),
        probe(y!, x!, 5000),
        callApi(cluster.directory.url, 'GET', '/api/v3/health', undefined, 5000),
      ]);
      const [api, p2p, dir] = results;
      if (api.status === 'fulfilled' && api.value.status === 200) served.api++;
      else served.failed++;
      if (p2p.status === 'fulfilled' && p2p.value.status === 200) served.p2p++;
      else served.failed++;
      if (dir.status === 'fulfilled' && dir.value.status < 500) served.directory++;
      else served.failed++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const common = { connections: o.connections, phase: o.phase, dripMs: 500, giveUpMs: o.giveUpMs };
  const [p2p, api, directory] = await Promise.all([
    slowloris({ ...common, port: x!.p2pPort, path: '/p2p/probe/ping' }),
    slowloris({ ...common, port: x!.apiPort, path: '/api/probe/request' }),
    slowloris({ ...common, port: cluster.directory.port, path: '/api/v3/nodes/register' }),
  ]);
  attacking = false;
  await client;
  const outcome = { p2p, api, directory, servedMeanwhile: served };
  report(`slowloris-${o.phase}`, {
    connectionsPerSurface: o.connections,
    p2p: summary(p2p),
    api: summary(api),
    directory: summary(directory),
    servedMeanwhile: served,
  });
  return outcome;
}

function summary(r: SlowlorisResult) {
  const sorted = [...r.dropped].sort((a, b) => a - b);
  return {
    dropped: r.dropped.length,
    stillOpen: r.stillOpen,
    droppedAfterMs: { min: sorted[0], max: sorted.at(-1) },
  };
}

export function checkSlowloris(o: SlowlorisOutcome, connections: number): void {
  for (const surface of ['p2p', 'api', 'directory'] as const) {
    expect(o[surface].stillOpen, `${surface}: slow connections still open`).to.equal(0);
    expect(o[surface].dropped.length, surface).to.equal(connections);
  }
  expect(o.servedMeanwhile.failed, 'normal requests failed during the attack').to.equal(0);
  expect(o.servedMeanwhile.api).to.be.greaterThan(0);
  expect(o.servedMeanwhile.p2p).to.be.greaterThan(0);
  expect(o.servedMeanwhile.directory).to.be.greaterThan(0);
}
