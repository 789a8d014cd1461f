/**
 * Scenario 2d: a node's data folder runs out of space (a small tmpfs), then space comes back. Skipped where
 * a tmpfs cannot be mounted (it needs root and mount permission).
 */
import { join } from 'node:path';
import { Cluster } from '../lib/cluster.js';
import { SmallDisk } from '../lib/small-disk.js';
import { runDiskFull } from '../scenarios/disk-full.js';

describe('system: disk full on a node', function () {
  this.timeout(300_000);
  let cluster: Cluster;
  let disk: SmallDisk | undefined;

  before(async function () {
    cluster = await Cluster.create('disk');
    const mounted = SmallDisk.mount(join(cluster.root, 'disk'), 24 * 1024 * 1024);
    if (typeof mounted === 'string') {
      console.log(`    skipped: ${mounted}`);
      await cluster.close();
      this.skip();
    }
    disk = mounted as SmallDisk;
  });

  after(async () => {
    // Processes first (they hold files on the mount), then the mount, then the folders.
    if (cluster) await Promise.all([...cluster.nodes.values()].map((n) => n.stop().catch(() => undefined)));
    disk?.unmount();
    await cluster?.close();
  });

  it('clear errors while full, nothing lost, everything resumes once space is freed', async () => {
    await runDiskFull(cluster, disk!);
  });
});
