/**
 * Shared by the scaffolder's end-to-end test and its benchmark: a temp workspace whose `node_modules` links to
 * the repository's (so generated plugins resolve `@openred/plugin-sdk` as an installed package would), the real
 * CLI run as a child process, and a node watching the workspace's `plugins/` folder with hot reload on.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createNode, resolveConfig, silentLogger, startDirectory, type OpenRedNode } from '@openred/core';
import type { RunningDirectory } from '@openred/core';

export const REPO = resolve(import.meta.dirname, '../../..');
export const CLI = join(REPO, 'create-openred-plugin', 'index.js');
export const MOCHA = join(REPO, 'node_modules', 'mocha', 'bin', 'mocha.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`), capturing its output. */
export function run(cmd: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** `create-openred-plugin ...args` in `cwd`. */
export function create(args: string[], cwd: string): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], cwd);
}

export interface Workspace {
  root: string;
  plugins: string;
  close(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'openred-scaffold-'));
  await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  const plugins = join(root, 'plugins');
  await mkdir(plugins);
  return { root, plugins, close: () => rm(root, { recursive: true, force: true }) };
}

export interface WatchingNode {
  node: OpenRedNode;
  directory: RunningDirectory;
  /** GET an owner route; undefined while it does not answer 200. */
  get<T>(path: string): Promise<T | undefined>;
  close(): Promise<void>;
}

/** A node with a standalone directory, hot-reloading plugins from `pluginsDir`. */
export async function watchingNode(root: string, pluginsDir: string): Promise<WatchingNode> {
  const directory = await startDirectory(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir: join(root, '.data', 'directory'),
      outbound: { allowLoopback: true },
    },
    { logger: silentLogger() },
  );
  const dataDir = join(root, '.data', 'node');
  const node = createNode(
    resolveConfig(
      {
        node: { dataDir, name: 'dev' },
        server: { p2p: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 } },
        directory: {
          embedded: false,
          url: directory.url,
          publicKey: directory.publicKey,
          heartbeatSeconds: 3600,
        },
        crypto: { isolation: 'inline' },
        plugins: { dirs: [pluginsDir], packages: false, hotReload: true },
        log: { level: 'silent' },
      },
      dataDir,
      {},
    ),
    {
      logger: silentLogger(),
      scrypt: { N: 1024, r: 8, p: 1, maxmem: 16 * 1024 * 1024 },
      allowAnonymousOwnerApi: true,
    },
  );
  await node.start();
  return {
    node,
    directory,
    get: async <T>(path: string) => {
      const res = await fetch(`${node.urls.api}/api${path}`, { signal: AbortSignal.timeout(5_000) });
      return res.status === 200 ? ((await res.json()) as T) : undefined;
    },
    close: async () => {
      await node.stop();
      await directory.stop();
    },
  };
}

/** Polls `probe` every 20 ms until it yields a value; throws after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
