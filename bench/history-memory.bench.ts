/**
 * Heap held by the messaging module's inbox and outbox as the history grows: messages are stored through the
 * kernel's real storage (files in a temp folder), and after each step the heap is measured after a forced
 * garbage collection. The baseline is the heap of the same process with both stores open and empty; the
 * figure that matters is growth per 10,000 messages, which should be about zero (only the shards in use and
 * the `openShards` most recent stay in memory; see docs/modules/messaging.md "Storage").
 * Run: `npm run bench -- history-memory` (about 2 minutes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginStorageRoot } from '../core/storage/plugin-storage.js';
import { Inbox } from '../plugins/messaging/inbox.js';
import { Outbox } from '../plugins/messaging/outbox.js';
import { printTable } from './lib/measure.js';

const STEPS = 4;
const PER_STEP = 10_000; // per sender: 5 senders, so 50,000 received per step
const SENDERS = [...Array(5).keys()].map((i) => 'or' + String(i).repeat(32));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run through `npm run bench` (it passes --expose-gc)');

const heapMb = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

const dir = await mkdtemp(join(tmpdir(), 'openred-bench-history-'));
try {
  const storage = new PluginStorageRoot(dir).forPlugin('messaging');
  const inbox = await Inbox.open(storage, { shardSize: 250, maxInbox: () => 1e9, openShards: 32 });
  const outbox = await Outbox.open(storage, { shardSize: 250, openShards: 32 });
  const body = 'x'.repeat(256);
  const baseline = heapMb();
  const rows = [{ received: 0, sent: 0, 'heap MB': baseline.toFixed(1), 'over baseline MB': '0.0' }];
  let seq = 0;
  for (let step = 1; step <= STEPS; step++) {
    for (let i = 0; i < PER_STEP; i++) {
      seq++;
      const m = { id: `m-${seq}`, stream: 's1', seq, body, sent_at: 1, content_type: 'text/plain' };
      await Promise.all(SENDERS.map((from) => inbox.receive(from, m, seq)));
      const sent = await outbox.add(SENDERS[i % SENDERS.length]!, body, 'text/plain', seq, 1e9);
      await outbox.settle([sent], 'delivered', seq);
    }
    const heap = heapMb();
    rows.push({
      received: step * PER_STEP * SENDERS.length,
      sent: step * PER_STEP,
      'heap MB': heap.toFixed(1),
      'over baseline MB': (heap - baseline).toFixed(1),
    });
  }
  printTable('Messaging history vs heap (256 B bodies, shards of 250, openShards 32)', rows);
  const first = Number(rows[1]!['heap MB']);
  const last = Number(rows.at(-1)!['heap MB']);
  const perTenK = ((last - first) / ((STEPS - 1) * PER_STEP * (SENDERS.length + 1))) * 10_000;
  console.log(`\ngrowth after the first step: ${perTenK.toFixed(2)} MB per 10,000 messages stored`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
