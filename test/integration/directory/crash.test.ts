/**
 * `kill -9` a lowdb directory while it is taking registrations: every file must still parse and every
 * registration the directory acknowledged (answered 200) must be there after a restart.
 */
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { ManualClock } from '../../../core/kernel/clock.js';
import { LowdbStore } from '../../../core/directory/store/lowdb-store.js';
import { spawnDirectory } from './directory-process.js';
import { startFakeNode, type FakeNode } from './fake-node.js';

describe('lowdb directory killed with SIGKILL during writes', function () {
  this.timeout(60_000);
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'openred-crash-'));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  for (const afterMs of [150, 400]) {
    it(`keeps every acknowledged registration (kill after ${afterMs} ms of load)`, async () => {
      const dataDir = join(tmp, `run-${afterMs}`);
      await writeFile(
        join(tmp, 'options.json'),
        JSON.stringify({
          lowdbShards: 4,
          rateLimits: { perAddress: { perSecond: 1e6, burst: 1e6 }, perNode: { perSecond: 1e6, burst: 1e6 } },
        }),
      );
      const proc = await spawnDirectory([
        '--data',
        dataDir,
        '--allow-loopback',
        '--options',
        join(tmp, 'options.json'),
      ]);
      const nodes: FakeNode[] = [];
      for (let i = 0; i < 16; i++) nodes.push(await startFakeNode({ noServer: true }));
      const acked = new Map<string, number>();
      const agent = new Agent({ connections: 16 });
      let stop = false;
      const worker = async (n: FakeNode) => {
        while (!stop) {
          const body = n.registration();
          try {
            const res = await request(`${proc.url}/api/v3/nodes/register`, {
              method: 'POST',
              dispatcher: agent,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
            await res.body.dump();
            if (res.statusCode === 200) acked.set(n.nodeId, Math.max(acked.get(n.nodeId) ?? 0, body.ts));
          } catch {
            return; // the process is gone
          }
        }
      };
      const load = Promise.all(nodes.map(worker));
      await new Promise((r) => setTimeout(r, afterMs));
      await proc.kill();
      stop = true;
      await load;
      await agent.close();
      expect(acked.size).to.be.greaterThan(0);

      for (const f of await readdir(join(dataDir, 'nodes'))) {
        if (f.endsWith('.json')) JSON.parse(await readFile(join(dataDir, 'nodes', f), 'utf8'));
      }
      const store = await LowdbStore.open({
        dataDir,
        shards: 4,
        retentionSeconds: 86400,
        clock: new ManualClock(Date.now()),
      });
      try {
        for (const [id, ts] of acked) {
          const rec = await store.getNode(id);
          expect(rec, id).to.not.equal(null);
          expect(rec!.ts).to.be.at.least(ts);
        }
      } finally {
        await store.close();
      }
    });
  }
});
