/**
 * Idle memory of one node, as the modules benchmark starts it (inline crypto; authentication, monitoring and
 * console off; a fresh config file, so its compilation is included):
 *
 *   node --import tsx bench/lib/idle-probe.ts
 *
 * Prints VmRSS / RssAnon / RssFile 3 s after the node is listening (`ISOLATION=process` runs the crypto agent
 * as a separate process, the default of a real node). `NODE_ARGS="..."` passes flags to the node
 * (e.g. `--heapsnapshot-signal=SIGUSR2` with `SNAP=1` writes a heap snapshot into the current folder);
 * `SMAPS=1` lists the largest mappings (V8 pages, malloc arenas, the node binary).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDirectory } from '../../core/directory/start.js';
import { silentLogger } from '../../core/kernel/logger.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'openred-idle-probe-'));
const directory = await startDirectory(
  { port: 0, host: '127.0.0.1', dataDir: join(dir, 'directory'), outbound: { allowLoopback: true } },
  { logger: silentLogger() },
);
try {
  const config = join(dir, 'n.config.ts');
  writeFileSync(
    config,
    `export default ${JSON.stringify({
      node: { name: 'n', dataDir: join(dir, 'n') },
      server: { p2p: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 } },
      directory: { embedded: false },
      crypto: { isolation: process.env.ISOLATION ?? 'inline' },
      plugins: { dirs: [join(root, 'plugins')], packages: false, hotReload: false },
      modules: {
        authentication: { enabled: false },
        monitoring: { enabled: false },
        console: { enabled: false },
      },
      log: { level: 'error' },
    })};\n`,
  );
  const args = (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...args, join(root, 'core/bin/openred.js'), 'start', '--config', config, '--json'],
    {
      env: {
        ...process.env,
        OPENRED_ALLOW_ANONYMOUS_OWNER_API: '1',
        OPENRED_DIRECTORY_URL: directory.url,
        OPENRED_DIRECTORY_KEY: directory.publicKey,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => d.includes('{') && ok());
    child.once('exit', (code) => fail(new Error(`the node exited ${code}`)));
  });
  const status = () =>
    readFileSync(`/proc/${child.pid}/status`, 'utf8')
      .split('\n')
      .filter((l) => /^(VmRSS|VmHWM|RssAnon|RssFile)/.test(l))
      .map((l) => l.replace(/\s+/g, ' '))
      .join(', ');
  await new Promise((r) => setTimeout(r, 3000));
  console.log(`idle: ${status()}`);
  if (process.env.SMAPS) {
    const regions: Array<[number, string]> = [];
    let head = '';
    for (const line of readFileSync(`/proc/${child.pid}/smaps`, 'utf8').split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) head = line;
      else if (line.startsWith('Rss:')) regions.push([Number(line.split(/\s+/)[1]), head]);
    }
    regions.sort((x, y) => y[0] - x[0]);
    for (const [kb, h] of regions.slice(0, 20)) console.log(`${kb} kB  ${h}`);
  }
  if (process.env.SNAP) {
    child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 8000));
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
} finally {
  await directory.stop();
  rmSync(dir, { recursive: true, force: true });
}
