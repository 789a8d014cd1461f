import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDirectoryKey } from '../../../core/crypto/directory-key.js';
import { FIXTURE_PLUGINS } from '../../helpers/community.js';
import { killAll, runCli, startCli, type StartedNode } from '../../helpers/process-harness.js';
import { freePort } from '../../helpers/free-port.js';

async function writeConfig(dir: string, name: string, extra: Record<string, unknown>): Promise<string> {
  const file = join(dir, `${name}.config.ts`);
  const config = {
    node: { name, dataDir: join(dir, name) },
    server: {
      p2p: { host: '127.0.0.1', port: await freePort() },
      api: { host: '127.0.0.1', port: await freePort() },
    },
    plugins: { dirs: [FIXTURE_PLUGINS], packages: false, hotReload: false },
    ...extra,
  };
  await writeFile(file, `export default ${JSON.stringify(config, null, 2)};\n`);
  return file;
}

async function api(node: StartedNode, method: string, path: string, body?: unknown) {
  const res = await fetch(node.info.api + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('three node processes and a directory on 127.0.0.1', function () {
  this.timeout(60_000);
  let dir: string;
  const nodes: StartedNode[] = [];
  const configs: string[] = [];
  let env: NodeJS.ProcessEnv;
  let threeEnv: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-procs-'));
    const dirPort = await freePort();
    configs.push(
      await writeConfig(dir, 'one', {
        directory: { embedded: { host: '127.0.0.1', port: dirPort, allowLoopback: true } },
      }),
    );
    nodes.push(await startCli(configs[0]!));
    // The others join with only the directory's URL and key (given through the environment).
    const key = loadOrCreateDirectoryKey(join(dir, 'one', 'directory'));
    env = { OPENRED_DIRECTORY_URL: `http://127.0.0.1:${dirPort}`, OPENRED_DIRECTORY_KEY: key.publicKey };
    configs.push(await writeConfig(dir, 'two', { directory: { embedded: false } }));
    nodes.push(await startCli(configs.at(-1)!, { env }));
    // Node three runs ChaCha20-Poly1305 on node:crypto and accepts only that method, so its sessions with two
    // (on libsodium) prove the two implementations interoperate on the wire.
    configs.push(
      await writeConfig(dir, 'three', {
        directory: { embedded: false },
        crypto: { methods: ['chacha20-poly1305'] },
      }),
    );
    threeEnv = { ...env, OPENRED_NO_SODIUM: '1' };
    nodes.push(await startCli(configs.at(-1)!, { env: threeEnv }));
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.process.stop().catch(() => undefined)));
    await killAll();
    await rm(dir, { recursive: true, force: true });
  });

  it('two fresh nodes connect with one command and exchange encrypted requests', async () => {
    const [, two, three] = nodes as [StartedNode, StartedNode, StartedNode];
    const connect = await runCli(['connect', three.info.node_id, '--api', two.info.api, '--json']);
    expect(connect.code, connect.stderr).to.equal(0);
    expect(JSON.parse(connect.stdout).peer).to.equal(three.info.node_id);
    const peers = await runCli(['peers', '--api', two.info.api, '--json']);
    expect(JSON.parse(peers.stdout).sessions.map((s: { peer: string }) => s.peer)).to.include(
      three.info.node_id,
    );
    const sent = await api(two, 'POST', '/api/echo/send', { peer: three.info.node_id, n: 1 });
    expect(sent.status).to.equal(200);
    expect((sent.json.body as { peer: string }).peer).to.equal(two.info.node_id);
    const status = await runCli(['status', '--api', three.info.api, '--json']);
    const s = JSON.parse(status.stdout);
    expect(s.directory.registered).to.equal(true);
    expect(['bwrap', 'netns+permission', 'inline']).to.include(s.crypto.isolation);
    // The exchange above went between the two ChaCha20-Poly1305 implementations, both ways.
    expect(s.crypto.chacha20_poly1305).to.equal('node:crypto');
    const twoStatus = JSON.parse((await runCli(['status', '--api', two.info.api, '--json'])).stdout);
    expect(twoStatus.crypto.chacha20_poly1305).to.equal('libsodium');
    const session = JSON.parse(peers.stdout).sessions.find(
      (x: { peer: string }) => x.peer === three.info.node_id,
    ) as { method: string };
    expect(session.method).to.equal('chacha20-poly1305');
  });

  it('survives a kill -9 of the peer: after restart the next request re-handshakes transparently', async () => {
    const [, two, three] = nodes as [StartedNode, StartedNode, StartedNode];
    await three.process.stop('SIGKILL');
    const down = await api(two, 'POST', '/api/echo/send', { peer: three.info.node_id, n: 2 });
    expect(down.status).to.be.within(500, 504); // a clear upstream error, not a hang
    expect((down.json.error as { code: string }).code).to.match(/^OR_ERR_/);
    nodes[2] = await startCli(configs[2]!, { env: threeEnv });
    expect(nodes[2].info.node_id).to.equal(three.info.node_id); // same keys after restart
    const again = await api(two, 'POST', '/api/echo/send', { peer: three.info.node_id, n: 3 });
    expect(again.status, JSON.stringify(again.json)).to.equal(200);
  });

  it('an unknown peer id gives a clear error', async () => {
    const [, two] = nodes as [StartedNode, StartedNode];
    const r = await runCli(['connect', 'or' + 'a'.repeat(32), '--api', two.info.api]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/openred: OR_ERR_/);
  });
});
