import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfigFile } from '@openred/core';
import { REPO } from './harness.js';
// The example's own plugin test runs as part of this suite.
import '../../../examples/community-node/plugins/welcome/test/welcome.test.js';

describe('examples/community-node', () => {
  it('has a valid config that enables the chosen modules and finds its plugin', async () => {
    const { config } = await loadConfigFile(join(REPO, 'examples/community-node/openred.config.ts'));
    expect(config.modules.welcome).to.include({ keep: 50 });
    expect(config.modules.monitoring?.enabled).to.equal(false);
    expect(config.plugins.dirs).to.deep.equal([
      join(REPO, 'examples/community-node/plugins'),
      join(REPO, 'plugins'),
    ]);
    for (const dir of config.plugins.dirs) expect(existsSync(dir), dir).to.equal(true);
  });
});
