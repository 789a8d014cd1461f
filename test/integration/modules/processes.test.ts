/**
 * The modules on real node processes driven through the real CLI: a directory host (D), a sender/sharer (A) and
 * a receiver/downloader (B), all on 127.0.0.1. Crashes are `kill -9`.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDirectoryKey } from '../../../core/crypto/directory-key.js';
import { httpRequest, pollUntil } from '../../helpers/node-harness.js';
import {
  cliPath,
  killAll,
  runCli,
  spawnCli,
  startCli,
  type StartedNode,
} from '../../helpers/process-harness.js';
import { PLUGINS } from './helpers.js';
import { freePort } from '../../helpers/free-port.js';

const MiB = 1024 * 1024;
const OWNER_ENV = { OPENRED_ALLOW_ANONYMOUS_OWNER_API: '1' };

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function api<T = Record<string, unknown>>(
  n: StartedNode,
  method: string,
  path: string,
  body?: unknown,
) {
  const r = await httpRequest(n.info.api + path, { method, json: body, timeoutMs: 20_000 });
  return { status: r.status, json: r.json as T };
}

interface Msg {
  id: string;
  seq: number;
  body: string;
  state: string;
  attempts: number;
}

describe('modules on real node processes (CLI, kill -9)', function () {
  this.timeout(120_000);
  let dir: string;
  const configs: Record<string, string> = {};
  const nodes: Record<string, StartedNode> = {};
  let env: NodeJS.ProcessEnv;

  const cli = (node: string, ...args: string[]) =>
    runCli([...args, '--api', nodes[node]!.info.api], { timeoutMs: 60_000 });
  const start = async (name: string) =>
    (nodes[name] = await startCli(configs[name]!, { env, timeoutMs: 30_000 }));
  const kill9 = async (name: string) => void (await nodes[name]!.process.stop('SIGKILL'));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-modules-'));
    const dirPort = await freePort();
    const modules = {
      authentication: { enabled: false },
      monitoring: { enabled: false },
      messaging: { tickMs: 50, retry: { baseMs: 200, maxMs: 800 } },
      'file-sharing': { maxRetries: 3, retryBaseMs: 100, maxBytesPerSecond: 16 * MiB },
    };
    for (const name of ['d', 'a', 'b']) {
      const file = join(dir, `${name}.config.ts`);
      const config = {
        node: { name, dataDir: join(dir, name) },
        server: {
          p2p: { host: '127.0.0.1', port: await freePort() },
          api: { host: '127.0.0.1', port: await freePort() },
        },
        directory:
          name === 'd'
            ? { embedded: { host: '127.0.0.1', port: dirPort, allowLoopback: true } }
            : { embedded: false },
        crypto: { isolation: 'inline' },
        plugins: { dirs: [PLUGINS], packages: false, hotReload: false },
        modules,
        log: { level: 'warn' },
      };
      await writeFile(file, `export default ${JSON.stringify(config, null, 2)};\n`);
      configs[name] = file;
    }
    env = { ...OWNER_ENV };
    await start('d');
    const key = loadOrCreateDirectoryKey(join(dir, 'd', 'directory'));
    env = {
      ...OWNER_ENV,
      OPENRED_DIRECTORY_URL: `http://127.0.0.1:${dirPort}`,
      OPENRED_DIRECTORY_KEY: key.publicKey,
    };
    await Promise.all([start('a'), start('b')]);
  });

  after(async () => {
    await Promise.all(Object.values(nodes).map((n) => n.process.stop().catch(() => undefined)));
    await killAll();
    await rm(dir, { recursive: true, force: true });
  });

  const inboxOf = async (name: string, from: string) =>
    JSON.parse((await cli(name, 'inbox', '--peer', from, '--json')).stdout).messages as Msg[];

  it('message round trip with the CLI', async () => {
    const sent = await cli(
      'a',
      'send',
      nodes.b!.info.node_id,
      'hello',
      'from',
      'a',
      '--wait',
      '20',
      '--json',
    );
    expect(sent.code, sent.stderr).to.equal(0);
    expect(JSON.parse(sent.stdout)).to.include({ state: 'delivered', body: 'hello from a' });
    const got = await inboxOf('b', nodes.a!.info.node_id);
    expect(got.map((m) => m.body)).to.deep.equal(['hello from a']);
    // The text from standard input.
    const piped = spawn(
      process.execPath,
      [cliPath, 'send', nodes.b!.info.node_id, '-', '--wait', '20', '--json', '--api', nodes.a!.info.api],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, OPENRED_LOG_LEVEL: 'error' },
      },
    );
    let pipedOut = '';
    piped.stdout.on('data', (d: Buffer) => (pipedOut += d.toString()));
    piped.stdin.end('line one\nline two\n');
    const [code] = (await once(piped, 'exit')) as [number];
    expect(code).to.equal(0);
    expect(JSON.parse(pipedOut)).to.include({ state: 'delivered', body: 'line one\nline two\n' });
    const human = await cli('b', 'inbox');
    expect(human.stdout).to.include('hello from a').and.include('[new]');
    const bad = await cli('a', 'send', 'nobody', 'x');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/^openred: OR_ERR_VALIDATION/);
  });

  it('peer offline for a while, then back: all delivered once, in order', async () => {
    await nodes.b!.process.stop('SIGTERM');
    const bodies = Array.from({ length: 12 }, (_, i) => `while away ${i}`);
    for (const text of bodies) {
      const r = await api(nodes.a!, 'POST', '/api/messages', { to: nodes.b!.info.node_id, body: text });
      expect(r.status).to.equal(201);
    }
    await pollUntil(
      async () => {
        const q = (await api<{ messages: Msg[] }>(nodes.a!, 'GET', '/api/outbox?state=queued')).json.messages;
        return q.length === 12 && q.every((m) => m.attempts >= 2);
      },
      { what: 'failed rounds while the peer is down', timeoutMs: 20_000, intervalMs: 100 },
    );
    await start('b');
    await pollUntil(
      async () =>
        (await api<{ messages: Msg[] }>(nodes.a!, 'GET', '/api/outbox?state=queued')).json.messages.length ===
        0,
      { what: 'the queue to drain', timeoutMs: 30_000, intervalMs: 100 },
    );
    const got = (await inboxOf('b', nodes.a!.info.node_id)).filter((m) => m.body.startsWith('while away'));
    expect(got.map((m) => m.body)).to.deep.equal(bodies);
  });

  it('sender kill -9 right after accepting: after restart the outbox resumes, exactly once, in order', async () => {
    const bodies = Array.from({ length: 40 }, (_, i) => `burst ${i}`);
    for (const text of bodies) {
      const r = await api(nodes.a!, 'POST', '/api/messages', { to: nodes.b!.info.node_id, body: text });
      expect(r.status).to.equal(201); // accepted = in the outbox on disk
    }
    await kill9('a'); // some delivered, some in flight, some not yet sent
    await start('a');
    await pollUntil(
      async () => {
        const got = (await inboxOf('b', nodes.a!.info.node_id)).filter((m) => m.body.startsWith('burst'));
        return got.length >= bodies.length && got;
      },
      { what: 'every message after the restart', timeoutMs: 30_000, intervalMs: 200 },
    );
    const got = (await inboxOf('b', nodes.a!.info.node_id)).filter((m) => m.body.startsWith('burst'));
    expect(got.map((m) => m.body)).to.deep.equal(bodies);
    const outbox = JSON.parse((await cli('a', 'outbox', '--state', 'queued', '--json')).stdout).messages;
    expect(outbox).to.deep.equal([]);
  });

  it('50 MiB file: interrupted by kill -9 of the sharer, resumed, hash verified', async () => {
    const src = join(dir, 'a', 'share', 'big.bin');
    await mkdir(join(dir, 'a', 'share'), { recursive: true });
    await writeFile(src, randomBytes(50 * MiB));
    const expected = await fileSha256(src);
    const shared = await runCli([
      'share',
      src,
      '--to',
      nodes.b!.info.node_id,
      '--expires',
      '1h',
      '--json',
      '--api',
      nodes.a!.info.api,
    ]);
    expect(shared.code, shared.stderr).to.equal(0);
    const link = JSON.parse(shared.stdout).link as string;
    const out = join(dir, 'downloads');
    await mkdir(out);

    const first = spawnCli(['download', link, '-o', out, '--json', '--api', nodes.b!.info.api]);
    await pollUntil(
      async () => {
        const ds = (
          await api<{ downloads: Array<{ bytes: number }> }>(nodes.b!, 'GET', '/api/files/downloads')
        ).json.downloads;
        return (ds[0]?.bytes ?? 0) >= 12 * MiB;
      },
      { what: 'a part of the file', timeoutMs: 30_000, intervalMs: 50 },
    );
    await kill9('a');
    const exit = await first.exited;
    expect(exit.code).to.equal(1);
    expect(first.stderr).to.match(/OR_ERR_PEER_\w+: .*run the same command again to resume/);
    const files = await readdir(out);
    expect(files).to.not.include('big.bin');
    expect(files.filter((f) => f.endsWith('.part'))).to.have.length(1);

    await start('a');
    const second = await runCli(['download', link, '-o', out, '--json', '--api', nodes.b!.info.api], {
      timeoutMs: 60_000,
    });
    expect(second.code, second.stderr).to.equal(0);
    const done = JSON.parse(second.stdout);
    expect(done.state).to.equal('done');
    expect(done.resumed_from).to.be.at.least(12 * MiB);
    expect(await fileSha256(join(out, 'big.bin'))).to.equal(expected);
    expect(await readdir(out)).to.deep.equal(['big.bin']);
    // The link allowed one download: the resumed transfer did not use another.
    const shares = JSON.parse((await cli('a', 'shares', '--json')).stdout).shares;
    expect(shares.find((s: { link: string }) => s.link === link)).to.include({
      downloads: 1,
      state: 'exhausted',
    });
  });

  it('traversal, another node using the link, and expiry are refused with clear errors', async () => {
    const share = join(dir, 'a', 'share');
    const to = nodes.b!.info.node_id;
    await writeFile(join(share, 'note.txt'), 'hello');
    await symlink(join(dir, 'a.config.ts'), join(share, 'escape'));
    const outside = await cli('a', 'share', join(dir, 'a.config.ts'), '--to', to);
    expect(outside.stderr).to.match(/^openred: OR_ERR_PATH_OUTSIDE_SHARE/);
    for (const [path, code] of [
      ['escape', 'OR_ERR_PATH_OUTSIDE_SHARE'],
      ['../a.config.ts', 'OR_ERR_PATH_TRAVERSAL'],
      ['/etc/passwd', 'OR_ERR_PATH_ABSOLUTE'],
    ]) {
      const r = await api<{ error: { code: string } }>(nodes.a!, 'POST', '/api/files/share', { path, to });
      expect(r.json.error.code, path).to.equal(code);
    }

    const s = (
      await api<{ link: string; expires_at: number }>(nodes.a!, 'POST', '/api/files/share', {
        path: 'note.txt',
        to,
        expires_in_ms: 1000,
      })
    ).json;
    const stranger = await cli('d', 'download', s.link, '-o', dir);
    expect(stranger.stderr).to.match(/^openred: OR_ERR_LINK_NOT_FOR_YOU/);
    // The lifetime is measured by the sharer's clock (the system clock of its process).
    await pollUntil(() => Date.now() > s.expires_at + 50, { what: 'expiry', timeoutMs: 5000 });
    const late = await cli('b', 'download', s.link, '-o', dir);
    expect(late.code).to.equal(1);
    expect(late.stderr).to.match(/^openred: OR_ERR_LINK_EXPIRED/);
  });
});
