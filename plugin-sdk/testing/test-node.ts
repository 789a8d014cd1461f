/**
 * In-process nodes for plugin tests: a standalone directory and N nodes on 127.0.0.1 with ephemeral ports,
 * temp data folders, inline crypto with cheap key-file parameters and one shared ManualClock. No child
 * processes; `close()` stops everything and removes the folders.
 */
import { access, mkdtemp, readFile, readdir, realpath, rm, symlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import {
  ManualClock,
  createNode,
  resolveConfig,
  silentLogger,
  startDirectory,
  type OpenRedNode,
  type OpenRedUserConfig,
  type RunningDirectory,
} from '@openred/core';
import type { PluginDefinition } from '../define-plugin.js';
import type { PeerRequestOptions, PeerResponse } from '../peers.js';
import type { HttpMethod } from '../routes.js';
import { captureEvents, type CapturedEvents } from './event-capture.js';
import { writeInlinePlugin } from './inline-plugin.js';
import { OwnerClient } from './owner-client.js';

/** Key-file scrypt cost for tests (production keeps N = 2^15). */
const TEST_SCRYPT = { N: 1024, r: 8, p: 1, maxmem: 16 * 1024 * 1024 };

export interface TestNodeOptions {
  /** The plugin under test, as a definition object (`import plugin from '../src/index.js'`). */
  plugin?: PluginDefinition;
  /** ...or as a plugin folder (one with a package.json that has an `openred` field). */
  pluginDir?: string;
  /** More plugin folders to load beside it (e.g. one it `dependsOn`). */
  extraPluginDirs?: string[];
  /** The plugin's configuration, as it would appear under `modules.<name>` in openred.config.ts. */
  config?: Record<string, unknown>;
  /** Overrides of the node configuration. */
  node?: OpenRedUserConfig;
  /** The clock every node and the directory read; defaults to a ManualClock at the current time. */
  clock?: ManualClock;
  /** Watch the plugin folders and hot-reload on change (default false: call `reload()` instead). */
  hotReload?: boolean;
  /**
   * Let owner calls through without credentials (default true). Set false to test the owner login of an
   * authentication module loaded beside the plugin; then log in with `ownerLogin`.
   */
  anonymousOwner?: boolean;
  /**
   * Runs once per node after it starts; return an `Authorization` header value and every `t.owner` call of
   * that node sends it.
   */
  ownerLogin?: (owner: OwnerClient, node: OpenRedNode) => Promise<string | undefined>;
}

/** What a plugin's storage holds on disk, read back for assertions. */
export interface StorageInspector {
  /** The plugin's folder: `<dataDir>/plugins/<name>/`. */
  readonly dir: string;
  /** A collection's document as last committed, or undefined if it was never written. */
  read<T = unknown>(collection: string): Promise<T | undefined>;
  /** Names of the collections on disk. */
  list(): Promise<string[]>;
}

export interface TestNode {
  readonly node: OpenRedNode;
  /** This node's id (what peers address it by). */
  readonly id: string;
  readonly clock: ManualClock;
  /** The node's owner API (`/api`), called over HTTP as the owner. */
  readonly owner: OwnerClient;
  /** The plugin under test's name. */
  readonly pluginName: string;
  /**
   * Calls a p2p route on `target` as this node: discovery, tokens, handshake and an end-to-end encrypted
   * request through a real session. The handler sees `req.peer === this.id`.
   * @example
   * const res = await pair.alice.request(pair.bob, 'POST', '/hello', { text: 'hi' });
   */
  request<T = unknown>(
    target: TestNode | string,
    method: HttpMethod,
    path: string,
    body?: unknown,
    options?: PeerRequestOptions,
  ): Promise<PeerResponse<T>>;
  /** Reads a plugin's storage on disk (default: the plugin under test). */
  storage(plugin?: string): StorageInspector;
  /** Records every payload of `event` on this node's event bus from now on. */
  events<T = unknown>(event: string): CapturedEvents<T>;
  /** The kernel's status of a plugin (state, lastError, routes, reloads). */
  status(plugin?: string): ReturnType<OpenRedNode['host']['list']>[number] | undefined;
  /** Loads the plugin again from disk (what a file change does under hot reload). */
  reload(plugin?: string): Promise<void>;
}

export interface TestCommunity {
  readonly nodes: TestNode[];
  readonly clock: ManualClock;
  readonly directory: RunningDirectory;
  /** Stops every node and the directory, then removes the temp folders. */
  close(): Promise<void>;
}

async function pluginNameOf(dir: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    openred?: { name?: string };
  };
  if (!pkg.openred?.name) throw new Error(`${dir}/package.json has no "openred": {"name": ...} field`);
  return pkg.openred.name;
}

/**
 * The plugin loader resolves a plugin's imports from where it sits; the kit links plugin folders into a temp
 * folder, so that folder gets a `node_modules` link to the one the plugin's own imports resolve from.
 */
async function nodeModulesFor(dir: string): Promise<string | undefined> {
  for (const start of [await realpath(dir), import.meta.dirname]) {
    for (let d = start; ; d = dirname(d)) {
      const candidate = join(d, 'node_modules');
      const ok = await access(join(candidate, '@openred', 'plugin-sdk')).then(
        () => true,
        () => false,
      );
      if (ok) return candidate;
      if (dirname(d) === d) break;
    }
  }
  return undefined;
}

/** Starts a directory and `count` nodes, each loading the plugin under test. */
export async function createTestCommunity(
  count: number,
  options: TestNodeOptions = {},
): Promise<TestCommunity> {
  if (!options.plugin === !options.pluginDir) throw new Error('pass exactly one of `plugin` or `pluginDir`');
  const clock = options.clock ?? new ManualClock(Date.now());
  const root = await mkdtemp(join(tmpdir(), 'openred-test-'));
  const cleanups: Array<() => unknown> = [];
  const pluginsDir = join(root, 'plugins');
  await mkdir(pluginsDir);
  let pluginName: string;
  if (options.plugin) {
    pluginName = options.plugin.name;
    cleanups.push(await writeInlinePlugin(pluginsDir, options.plugin));
  } else {
    const dir = resolve(options.pluginDir!);
    pluginName = await pluginNameOf(dir);
    await symlink(dir, join(pluginsDir, basename(dir)), 'dir');
  }
  for (const extra of options.extraPluginDirs ?? []) {
    await symlink(resolve(extra), join(pluginsDir, basename(extra)), 'dir');
  }
  const linked = options.pluginDir ?? options.extraPluginDirs?.[0];
  const modules = linked ? await nodeModulesFor(linked) : undefined;
  if (modules) await symlink(modules, join(root, 'node_modules'), 'dir');

  const directory = await startDirectory(
    { port: 0, host: '127.0.0.1', dataDir: join(root, 'directory'), outbound: { allowLoopback: true } },
    { clock, logger: silentLogger() },
  );
  const nodes: TestNode[] = [];
  const running: OpenRedNode[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(running.map((n) => n.stop()));
    await directory.stop().catch(() => undefined);
    for (const fn of cleanups) fn();
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const name = `node-${i + 1}`;
      const dataDir = join(root, name);
      const base: OpenRedUserConfig = {
        node: { dataDir, name },
        server: { p2p: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 } },
        directory: {
          embedded: false,
          url: directory.url,
          publicKey: directory.publicKey,
          heartbeatSeconds: 3600,
        },
        crypto: { isolation: 'inline' },
        plugins: { dirs: [pluginsDir], packages: false, hotReload: options.hotReload ?? false },
        modules: { [pluginName]: { ...options.config } },
        log: { level: 'silent' },
      };
      const user = { ...base, ...options.node, modules: { ...base.modules, ...options.node?.modules } };
      const node = createNode(resolveConfig(user as OpenRedUserConfig, dataDir, {}), {
        clock,
        logger: silentLogger(),
        scrypt: TEST_SCRYPT,
        allowAnonymousOwnerApi: options.anonymousOwner ?? true,
      });
      await node.start();
      running.push(node);
      const wrapped = wrap(node, clock, pluginName);
      if (options.ownerLogin) wrapped.owner.authorize(await options.ownerLogin(wrapped.owner, node));
      nodes.push(wrapped);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes, clock, directory, close };
}

function wrap(node: OpenRedNode, clock: ManualClock, pluginName: string): TestNode {
  const owner = new OwnerClient(node.urls.api!);
  return {
    node,
    id: node.id,
    clock,
    owner,
    pluginName,
    request: (target, method, path, body, options) =>
      node.peers.request(typeof target === 'string' ? target : target.id, method, path, body, options),
    storage: (plugin = pluginName) => {
      const dir = join(node.config.node.dataDir, 'plugins', plugin);
      return {
        dir,
        read: async <T>(collection: string) => {
          try {
            return JSON.parse(await readFile(join(dir, `${collection}.json`), 'utf8')) as T;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
            throw err;
          }
        },
        list: async () => {
          const entries = await readdir(dir).catch(() => [] as string[]);
          return entries.filter((e) => e.endsWith('.json')).map((e) => e.slice(0, -5));
        },
      };
    },
    events: (event) => captureEvents(node.events, event),
    status: (plugin = pluginName) => node.host.list().find((p) => p.name === plugin),
    reload: (plugin = pluginName) => node.host.reload(plugin),
  };
}

/**
 * One node with the plugin under test. Close it in `after()`.
 * @example
 * const t = await createTestNode({ pluginDir: new URL('..', import.meta.url).pathname });
 * const res = await t.owner.get('/hello/notes');
 * await t.close();
 */
export async function createTestNode(options: TestNodeOptions = {}): Promise<TestNode & TestCommunity> {
  const community = await createTestCommunity(1, options);
  return Object.assign(Object.create(null) as object, community.nodes[0]!, community);
}

/**
 * Two nodes with the plugin under test, registered in one directory so they can reach each other.
 * @example
 * const { alice, bob, close } = await createTestPair({ plugin });
 * const res = await alice.request(bob, 'POST', '/hello', { text: 'hi' });
 */
export async function createTestPair(
  options: TestNodeOptions = {},
): Promise<TestCommunity & { alice: TestNode; bob: TestNode }> {
  const community = await createTestCommunity(2, options);
  return { ...community, alice: community.nodes[0]!, bob: community.nodes[1]! };
}
