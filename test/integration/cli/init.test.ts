import { expect } from 'chai';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveNodeId } from '../../../core/crypto/identity.js';
import { killAll, runCli } from '../../helpers/process-harness.js';

describe('openred init', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-init-'));
  });
  afterEach(async () => {
    await killAll();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates encrypted keys (0600) once, and prints the same self-certifying id afterwards', async () => {
    const first = await runCli(['init', '--dir', join(dir, 'keys'), '--json']);
    expect(first.code, first.stderr).to.equal(0);
    const a = JSON.parse(first.stdout);
    expect(a.created).to.equal(true);
    expect(a.node_id).to.equal(deriveNodeId(a.keys));
    expect((await stat(join(dir, 'keys', 'node-keys.json'))).mode & 0o777).to.equal(0o600);
    const second = JSON.parse((await runCli(['init', '--dir', join(dir, 'keys'), '--json'])).stdout);
    expect(second).to.include({ created: false, node_id: a.node_id });
  });

  it('prints the embedded directory key that members pin', async () => {
    const config = join(dir, 'openred.config.ts');
    await writeFile(
      config,
      `export default ${JSON.stringify({ node: { dataDir: join(dir, 'data') }, directory: { embedded: { port: 0, host: '127.0.0.1' } } })};\n`,
    );
    const r = await runCli(['init', '--config', config]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/Embedded directory key/);
    expect(r.stdout).to.match(/[A-Za-z0-9_-]{43}/);
  });

  it('fails with one clear line on a bad config', async () => {
    const config = join(dir, 'bad.config.ts');
    await writeFile(config, `export default { crypto: { epochSeconds: 1 } };\n`);
    const r = await runCli(['init', '--config', config]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/crypto\.epochSeconds must be >= 60/);
  });
});
