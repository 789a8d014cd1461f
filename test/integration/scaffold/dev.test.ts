import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO, create, until, workspace, type Workspace } from './harness.js';

interface DevInfo {
  directory: { url: string };
  nodes: Array<{ name: string; node_id: string; p2p: string; api: string; data: string }>;
}

/** `openred dev` as a user runs it: one process, a directory and N nodes, hot-reloading plugins/. */
describe('openred dev', function () {
  this.timeout(60_000);
  let ws: Workspace;
  let child: ChildProcess;
  let info: DevInfo;
  let exited: Promise<number | null>;

  before(async () => {
    ws = await workspace();
    child = spawn(
      process.execPath,
      [
        join(REPO, 'core/bin/openred.js'),
        'dev',
        '--nodes',
        '2',
        '--port',
        '0',
        '--json',
        '--config',
        'none.ts',
      ],
      { cwd: ws.root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    exited = new Promise((done) => child.on('exit', (code) => done(code)));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    info = await until(
      async () => {
        const line = out.split('\n').find((l) => l.startsWith('{"directory"'));
        return line ? (JSON.parse(line) as DevInfo) : undefined;
      },
      'the dev community to print its nodes',
      30_000,
    );
  });
  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await ws.close();
  });

  it('starts a directory and the nodes, each with its own data folder', async () => {
    expect(info.nodes).to.have.length(2);
    expect(new Set(info.nodes.map((n) => n.data)).size).to.equal(2);
    for (const n of info.nodes) {
      expect(n.data.startsWith(join(ws.root, '.data', 'dev'))).to.equal(true);
      const status = (await (await fetch(`${n.api}/api/node/status`)).json()) as { node_id: string };
      expect(status.node_id).to.equal(n.node_id);
    }
  });

  it('connects its nodes to each other', async () => {
    const [a, b] = info.nodes;
    const res = await fetch(`${a!.api}/api/peers/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node_id: b!.node_id }),
    });
    expect(res.status).to.equal(200);
  });

  it('hot-loads a scaffolded plugin on every node', async () => {
    const made = await create(['devhello', '--yes', '--dir', join(ws.plugins, 'devhello')], ws.root);
    expect(made.code, made.stderr).to.equal(0);
    for (const n of info.nodes) {
      const hello = await until(async () => {
        const res = await fetch(`${n.api}/api/devhello/hello`);
        return res.status === 200 ? ((await res.json()) as { node: string }) : undefined;
      }, `devhello on ${n.name}`);
      expect(hello.node).to.equal(n.node_id);
    }
  });

  it('serves an edit to the plugin on every node', async () => {
    const entry = join(ws.plugins, 'devhello', 'src', 'index.ts');
    await writeFile(entry, (await readFile(entry, 'utf8')).replace("default: 'hello'", "default: 'howdy'"));
    for (const n of info.nodes) {
      await until(async () => {
        const res = await fetch(`${n.api}/api/devhello/hello`);
        const body = res.status === 200 ? ((await res.json()) as { greeting: string }) : undefined;
        return body?.greeting === 'howdy' ? true : undefined;
      }, `the edit on ${n.name}`);
    }
  });

  it('stops everything on Ctrl-C', async () => {
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code).to.equal(0);
    const refused = await fetch(`${info.nodes[0]!.api}/api/node/status`).then(
      () => false,
      () => true,
    );
    expect(refused).to.equal(true);
  });
});
