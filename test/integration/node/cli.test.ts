import { expect } from 'chai';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpRequest, markerPlugin, testDirectoryKey, Workspace } from '../../helpers/node-harness.js';
import { killAll, runCli, startCli } from '../../helpers/process-harness.js';

describe('openred CLI (real processes)', function () {
  this.timeout(60_000);
  let ws: Workspace;

  const configText = (extra = '') => `import { defineConfig } from '@openred/core/config';
export default defineConfig({
  node: { dataDir: './data' },
  server: { p2p: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 } },
  directory: { embedded: false, publicKey: '${testDirectoryKey}' },
  crypto: { isolation: 'inline' },
  plugins: { dirs: ['./plugins'], packages: false, hotReload: false },
  log: { level: 'error' },
  ${extra}
});
`;

  before(async () => {
    ws = await Workspace.create();
    await ws.writePlugin('hello', markerPlugin('hello', 'from the cli'));
    await writeFile(ws.configFile, configText());
  });

  afterEach(async () => {
    await killAll();
  });

  after(async () => {
    await ws?.cleanup();
  });

  it('`openred start --json` serves, and `openred plugins --json` lists what it loaded; SIGTERM exits 0', async () => {
    const { process: p, info } = await startCli(ws.configFile, {
      env: { OPENRED_PASSPHRASE: 'cli-test-passphrase' },
    });
    expect(info.node_id).to.match(/^or[a-z2-7]{32}$/);
    expect(info.p2p).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await httpRequest(`${info.api}/api/hello`);
    expect(r.json).to.deep.equal({ plugin: 'hello', marker: 'from the cli' });

    const listed = await runCli(['plugins', '--api', info.api, '--json']);
    expect(listed.code).to.equal(0);
    const data = JSON.parse(listed.stdout) as {
      plugins: Array<{ name: string; state: string; version: string }>;
    };
    expect(data.plugins).to.have.length(1);
    expect(data.plugins[0]).to.include({ name: 'hello', state: 'active', version: '1.0.0' });
    const human = await runCli(['plugins', '--api', info.api]);
    expect(human.stdout).to.match(/hello\s+1\.0\.0\s+active/);

    const exit = await p.stop('SIGTERM');
    expect(exit).to.deep.equal({ code: 0, signal: null });
  });

  it('an invalid config exits non-zero and prints every problem with its path', async () => {
    const file = join(ws.dir, 'invalid.config.ts');
    await writeFile(
      file,
      configText(`crypto: { isolation: 'inline', epochSeconds: 5 }, modlues: {},`).replace(
        "  crypto: { isolation: 'inline' },\n",
        '',
      ),
    );
    const r = await runCli(['start', '--config', file]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('crypto.epochSeconds must be >= 60');
    expect(r.stderr).to.contain('modlues is not allowed');
  });

  it('a config file that does not compile exits non-zero naming the file', async () => {
    const file = join(ws.dir, 'broken.config.ts');
    await writeFile(file, 'export default { server: ;\n');
    const r = await runCli(['start', '--config', file]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(file);
  });

  it('a port in use exits non-zero with a hint', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as net.AddressInfo).port;
      const r = await runCli(['start', '--config', ws.configFile], {
        env: { OPENRED_PORT: String(port), OPENRED_PASSPHRASE: 'cli-test-passphrase' },
      });
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain('EADDRINUSE').and.to.contain('OPENRED_PORT');
    } finally {
      blocker.close();
    }
  });

  it('`openred plugins` against a node that is not running fails clearly', async () => {
    const r = await runCli(['plugins', '--api', 'http://127.0.0.1:9', '--json']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/cannot reach the node/);
  });

  it('has --help for the program and for each command', async () => {
    const [main, start, plugins] = await Promise.all([
      runCli(['--help']),
      runCli(['start', '--help']),
      runCli(['plugins', '--help']),
    ]);
    expect(main.code).to.equal(0);
    expect(main.stdout).to.contain('start').and.to.contain('plugins');
    expect(start.code).to.equal(0);
    expect(start.stdout).to.contain('--config').and.to.contain('--json');
    expect(plugins.code).to.equal(0);
    expect(plugins.stdout).to.contain('--api');
  });
});
