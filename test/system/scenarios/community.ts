/**
 * Scenario 1, a community at work: N node processes and a directory process. Node i talks to the next
 * `fanout` nodes (a ring with chords), sends each of them `messagesPerPeer` messages and shares one file with
 * its first neighbour, which downloads it. Everything acknowledged must arrive exactly once, every file must
 * hash to what was shared.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import type { Cluster, SystemNode } from '../lib/cluster.js';
import {
  fileSha256,
  sendMessages,
  shareRandomFile,
  startDownload,
  tally,
  waitDownloadSettled,
  waitOutboxesDrained,
  type Sent,
  type Tally,
} from '../lib/traffic.js';
import { report } from '../lib/report.js';

export interface CommunityOptions {
  nodes: number;
  fanout: number;
  messagesPerPeer: number;
  fileBytes: number;
}

export interface CommunityResult extends Tally {
  nodes: number;
  links: number;
  files: number;
  filesVerified: number;
  startMs: number;
  trafficMs: number;
}

export async function runCommunity(cluster: Cluster, o: CommunityOptions): Promise<CommunityResult> {
  const t0 = performance.now();
  const names = Array.from({ length: o.nodes }, (_, i) => `n${String(i).padStart(2, '0')}`);
  const nodes = await cluster.addNodes(names);
  const startMs = performance.now() - t0;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const neighbours = (i: number): SystemNode[] =>
    Array.from({ length: o.fanout }, (_, k) => nodes[(i + k + 1) % nodes.length]!);

  const t1 = performance.now();
  // Messages: every node sends to its neighbours concurrently (each sender's own calls in order).
  const sent: Sent[] = [];
  await Promise.all(
    nodes.map(async (from, i) => {
      for (const to of neighbours(i)) {
        const { acked, refused } = await sendMessages(from, to, o.messagesPerPeer, 'community');
        expect(refused, `${from.name} -> ${to.name}`).to.deep.equal([]);
        sent.push(...acked);
      }
    }),
  );
  // Files: one per node, to its first neighbour, all downloads at once.
  const shared = await Promise.all(
    nodes.map((from, i) => shareRandomFile(from, neighbours(i)[0]!, o.fileBytes, `from-${from.name}.bin`)),
  );
  const downloads = await Promise.all(
    nodes.map(async (from, i) => {
      const to = neighbours(i)[0]!;
      const d = await startDownload(to, shared[i]!.link, join(cluster.root, 'downloads', to.name));
      return { to, d, expected: shared[i]!.sha256 };
    }),
  );
  await waitOutboxesDrained(nodes, 120_000);
  let filesVerified = 0;
  for (const { to, d, expected } of downloads) {
    const done = await waitDownloadSettled(to, d.id, 120_000);
    expect(done.state, JSON.stringify(done.error)).to.equal('done');
    if ((await fileSha256(done.target)) === expected) filesVerified++;
  }
  const trafficMs = performance.now() - t1;
  const t = await tally(sent, byId);
  return {
    ...t,
    nodes: o.nodes,
    links: o.nodes * o.fanout,
    files: shared.length,
    filesVerified,
    startMs: Math.round(startMs),
    trafficMs: Math.round(trafficMs),
  };
}

export function checkCommunity(r: CommunityResult): void {
  report('community', { ...r, missing: r.missing.length, duplicates: r.duplicates.length });
  expect(r.missing, 'messages lost').to.deep.equal([]);
  expect(r.duplicates, 'messages delivered twice').to.deep.equal([]);
  expect(r.delivered).to.equal(r.sent);
  expect(r.filesVerified).to.equal(r.files);
}
