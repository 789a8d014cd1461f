/**
 * An in-process community for integration tests: a standalone directory and N nodes on 127.0.0.1 with
 * ephemeral ports, temp data folders, inline crypto with cheap key-file parameters, and one shared clock (a
 * ManualClock, so tests move time for expiry and renewal instead of sleeping). `close()` stops everything
 * and removes the folders.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveConfig } from '../../core/config/load-config.js';
import type { OpenRedUserConfig } from '../../core/config/types.js';
import { startDirectory, type RunningDirectory } from '../../core/directory/start.js';
import type { DirectoryOptions } from '../../core/directory/options.js';
import { ManualClock, type Clock } from '../../core/kernel/clock.js';
import { createNode } from '../../core/kernel/create-node.js';
import { silentLogger } from '../../core/kernel/logger.js';
import type { OpenRedNode } from '../../core/kernel/node.js';

export const FIXTURE_PLUGINS = resolve(import.meta.dirname, '../fixtures/plugins');
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1, maxmem: 16 * 1024 * 1024 };

export interface Community {
  clock: ManualClock;
  directory: RunningDirectory;
  nodes: OpenRedNode[];
  root: string;
  /** Starts one more node (same directory). */
  addNode(overrides?: OpenRedUserConfig, name?: string): Promise<OpenRedNode>;
  /** Stops a node and starts it again on the same data folder and ports. */
  restart(node: OpenRedNode): Promise<OpenRedNode>;
  close(): Promise<void>;
}

export async function startCommunity(
  options: {
    nodes?: number;
    clock?: ManualClock;
    directory?: DirectoryOptions;
    node?: OpenRedUserConfig;
    /** Owner routes answer anonymous callers (default true; false to test owner login). */
    anonymousOwnerApi?: boolean;
  } = {},
): Promise<Community> {
  const clock = options.clock ?? new ManualClock(Date.now());
  const root = await mkdtemp(join(tmpdir(), 'openred-community-'));
  const directory = await startDirectory(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir: join(root, 'directory'),
      outbound: { allowLoopback: true },
      ...options.directory,
    },
    { clock, logger: silentLogger() },
  );
  const nodes: OpenRedNode[] = [];
  const dirs = new Map<OpenRedNode, { dataDir: string; config: OpenRedUserConfig }>();
  let count = 0;

  const build = (dataDir: string, config: OpenRedUserConfig, c: Clock): OpenRedNode =>
    createNode(resolveConfig(config, dataDir, {}), {
      clock: c,
      logger: silentLogger(),
      scrypt: TEST_SCRYPT,
      allowAnonymousOwnerApi: options.anonymousOwnerApi ?? true,
    });

  const addNode = async (
    overrides: OpenRedUserConfig = {},
    name = `node-${++count}`,
  ): Promise<OpenRedNode> => {
    const dataDir = join(root, name);
    const config: OpenRedUserConfig = {
      node: { dataDir, name },
      server: { p2p: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 } },
      directory: {
        embedded: false,
        url: directory.url,
        publicKey: directory.publicKey,
        heartbeatSeconds: 3600,
      },
      crypto: { isolation: 'inline' },
      plugins: { dirs: [FIXTURE_PLUGINS], packages: false, hotReload: false },
      log: { level: 'silent' },
      ...options.node,
      ...overrides,
    };
    const node = build(dataDir, config, clock);
    await node.start();
    // Pin the ports so a restart comes back at the same address.
    config.server = {
      ...config.server,
      p2p: { host: '127.0.0.1', port: Number(new URL(node.urls.p2p!).port) },
      api: { host: '127.0.0.1', port: Number(new URL(node.urls.api!).port) },
    };
    nodes.push(node);
    dirs.set(node, { dataDir, config });
    return node;
  };

  for (let i = 0; i < (options.nodes ?? 2); i++) await addNode();

  return {
    clock,
    directory,
    nodes,
    root,
    addNode,
    restart: async (node) => {
      const entry = dirs.get(node);
      if (!entry) throw new Error('not a node of this community');
      await node.stop();
      const again = build(entry.dataDir, entry.config, clock);
      await again.start();
      nodes[nodes.indexOf(node)] = again;
      dirs.set(again, entry);
      return again;
    },
    close: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await directory.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
