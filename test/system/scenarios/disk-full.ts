/**
 * Scenario 2d, disk full: node f keeps its data folder on a small tmpfs, which is filled up while f sends,
 * receives and downloads. Every write that cannot happen must be refused with a clear code (the sender of a
 * message keeps it queued, the owner gets OR_ERR_OUTBOX_STORAGE, a download stops `interrupted` with
 * OR_ERR_DISK_FULL), nothing acknowledged may be lost, and once space is freed everything resumes: queued
 * messages arrive exactly once, the download completes with the right hash, and after `kill -9` the stores
 * read back intact.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { pollUntil } from '../../helpers/node-harness.js';
import { errorCode } from '../lib/api.js';
import type { Cluster } from '../lib/cluster.js';
import { report } from '../lib/report.js';
import type { SmallDisk } from '../lib/small-disk.js';
import {
  fileSha256,
  sendMessages,
  shareRandomFile,
  startDownload,
  tally,
  waitDownloadSettled,
  waitOutboxesDrained,
  type DownloadView,
  type Sent,
} from '../lib/traffic.js';

const MiB = 1024 * 1024;

interface Queued {
  messages: Array<{ attempts: number; last_error: string | null }>;
}

export async function runDiskFull(cluster: Cluster, disk: SmallDisk): Promise<void> {
  const f = await cluster.addNode('f', {
    dataDir: join(disk.dir, 'f'),
    // Slow downloads, so the disk can fill in the middle of one.
    modules: { 'file-sharing': { maxBytesPerSecond: 512 * 1024 } },
  });
  const s = await cluster.addNode('s');
  const byId = new Map([f, s].map((n) => [n.id, n]));
  const sent: Sent[] = [];
  sent.push(...(await sendMessages(s, f, 10, 'before')).acked);
  sent.push(...(await sendMessages(f, s, 10, 'before')).acked);
  await waitOutboxesDrained([s, f], 30_000);

  // A download running when the disk fills up.
  const shared = await shareRandomFile(s, f, 4 * MiB, 'big.bin');
  const target = join(disk.dir, 'downloads');
  const started = await startDownload(f, shared.link, target);
  await pollUntil(
    async () => (await f.call<DownloadView>('GET', `/api/files/downloads/${started.id}`)).json.bytes >= MiB,
    { what: 'a part of the download', timeoutMs: 30_000, intervalMs: 50 },
  );
  disk.fill();
  const interrupted = await waitDownloadSettled(f, started.id, 60_000);

  // The owner of the full node is told its message was not taken.
  const refusedSend = await f.call('POST', '/api/messages', { to: s.id, body: 'no room' });
  // A peer's messages wait in its outbox with the receiver's reason.
  sent.push(...(await sendMessages(s, f, 20, 'while-full')).acked);
  const waiting = await pollUntil(
    async () => {
      const q = (await s.call<Queued>('GET', `/api/outbox?state=queued&peer=${f.id}`)).json.messages;
      return q.length === 20 && q.every((m) => m.attempts >= 1) && q;
    },
    { what: 'failed delivery rounds to the full node', timeoutMs: 30_000, intervalMs: 100 },
  );
  // A new download is refused before it starts.
  const second = await shareRandomFile(s, f, MiB, 'small.bin');
  const refusedDownload = await f.call('POST', '/api/files/download', { link: second.link, path: target });
  const status = await f.call('GET', '/api/node/status');

  disk.free();
  const t0 = performance.now();
  await waitOutboxesDrained([s, f], 60_000);
  const resumed = await startDownload(f, shared.link, target);
  const done = await waitDownloadSettled(f, resumed.id, 60_000);
  const recoverMs = Math.round(performance.now() - t0);
  sent.push(...(await sendMessages(f, s, 5, 'after')).acked);
  await waitOutboxesDrained([f], 30_000);
  const live = await tally(sent, byId);

  // Nothing half-written: a crash now, and the stores read back the same.
  await f.kill9();
  await f.start();
  const reread = await tally(sent, byId);
  const hash = done.state === 'done' ? await fileSha256(done.target) : undefined;
  report('disk-full', {
    ownerSend: { status: refusedSend.status, code: errorCode(refusedSend.json) },
    peerDeliveries: { queued: waiting.length, lastError: waiting[0]?.last_error },
    runningDownload: { state: interrupted.state, code: interrupted.error?.code, bytes: interrupted.bytes },
    newDownload: { status: refusedDownload.status, code: errorCode(refusedDownload.json) },
    nodeStatusWhileFull: status.status,
    afterFreeing: {
      recoverMs,
      download: done.state,
      resumedFrom: done.resumed_from,
      hashOk: hash === shared.sha256,
    },
    messages: {
      acked: live.sent,
      delivered: live.delivered,
      missing: live.missing.length,
      duplicates: live.duplicates.length,
    },
    afterKill9: { delivered: reread.delivered, missing: reread.missing.length },
  });
  expect(errorCode(refusedSend.json)).to.equal('OR_ERR_OUTBOX_STORAGE');
  expect(refusedSend.status).to.equal(503);
  expect(
    waiting.every((m) => m.last_error === 'OR_ERR_INBOX_STORAGE'),
    JSON.stringify(waiting[0]),
  ).to.equal(true);
  expect(interrupted.state).to.equal('interrupted');
  expect(interrupted.error?.code).to.equal('OR_ERR_DISK_FULL');
  expect(errorCode(refusedDownload.json)).to.equal('OR_ERR_DISK_FULL');
  expect(status.status).to.equal(200);
  expect(done.state, JSON.stringify(done.error)).to.equal('done');
  expect(done.resumed_from).to.be.greaterThan(0);
  expect(hash).to.equal(shared.sha256);
  expect(live.missing).to.deep.equal([]);
  expect(live.duplicates).to.deep.equal([]);
  expect(reread.missing).to.deep.equal([]);
  expect(reread.duplicates).to.deep.equal([]);
}
