/** Scenario 2b: the directory process is killed with -9 and restarted, once with its table lost. */
import { Cluster } from '../lib/cluster.js';
import { runDirectoryCrash } from '../scenarios/directory-crash.js';

describe('system: kill -9 of the directory', function () {
  this.timeout(300_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.create('directory');
  });

  after(async () => {
    await cluster?.close();
  });

  it('sessions carry on; nodes register again; first contacts work again', async () => {
    await runDirectoryCrash(cluster);
  });
});
