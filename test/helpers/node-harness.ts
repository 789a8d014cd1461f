/**
 * In-process nodes for integration tests: a temp workspace (plugins folder, data folder, optional config
 * file), a node on ephemeral loopback ports, a small HTTP client, and bounded polling. Everything a test
 * creates is removed by `cleanup()`.
 */
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, resolveConfig } from '../../core/config/load-config.js';
import type { OpenRedUserConfig } from '../../core/config/types.js';
import { createNode } from '../../core/kernel/create-node.js';
import type { OpenRedNode } from '../../core/kernel/node.js';
import type { Clock } from '../../core/kernel/clock.js';
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A directory public key for nodes that never talk to a directory. */
export const testDirectoryKey = (
  generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as { x: string }
).x;

/** Key-file scrypt cost for tests (production keeps N = 2^15). */
const TEST_SCRYPT = { N: 2 ** 10, r: 8, p: 1, maxmem: 32 * 1024 * 1024 };

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as-is. */
  body?: string | Buffer;
  /** Sent as JSON with content-type application/json. */
  json?: unknown;
  agent?: http.Agent;
  timeoutMs?: number;
}

/** One HTTP request with node:http (no connection pooling unless an agent is given). */
export function httpRequest(url: string, options: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  if (body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(body));
  return new Promise((resolvePromise, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Calls `probe` every `intervalMs` until it returns something other than undefined/false, for at most
 * `timeoutMs`; then fails naming `what` and the last value seen.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}; last: ${String(last)}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}

export interface PluginSpec {
  /** Source of index.ts. */
  source: string;
  /** package.json content (object, or raw text for broken manifests). Default: a valid manifest. */
  manifest?: Record<string, unknown> | string;
  /** More files, relative to the plugin folder. */
  files?: Record<string, string>;
}

/** A temp folder holding plugins, data and (optionally) a config file. */
export class Workspace {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Workspace> {
    const dir = await mkdtemp(join(tmpdir(), 'openred-test-'));
    // Plugins and config files import '@openred/plugin-sdk' / '@openred/core': make them resolvable.
    await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await mkdir(join(dir, 'plugins'), { recursive: true });
    return new Workspace(dir);
  }

  get pluginsDir(): string {
    return join(this.dir, 'plugins');
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get configFile(): string {
    return join(this.dir, 'openred.config.ts');
  }

  pluginDir(name: string): string {
    return join(this.pluginsDir, name);
  }

  async writePlugin(name: string, spec: PluginSpec | string): Promise<void> {
    const s = typeof spec === 'string' ? { source: spec } : spec;
    const dir = this.pluginDir(name);
    await mkdir(dir, { recursive: true });
    const manifest = s.manifest ?? {
      name: `openred-test-${name}`,
      version: '1.0.0',
      type: 'module',
      openred: { name, entry: './index.ts' },
    };
    await writeFile(
      join(dir, 'package.json'),
      typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2),
    );
    await this.writeFileAtomic(join(dir, 'index.ts'), s.source);
    for (const [rel, text] of Object.entries(s.files ?? {})) {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), text);
    }
  }

  /** Replaces a plugin's index.ts in one rename, as editors that save atomically do. */
  async editPlugin(name: string, source: string): Promise<void> {
    await this.writeFileAtomic(join(this.pluginDir(name), 'index.ts'), source);
  }

  /** Writes `openred.config.ts` exporting `config` (an object literal, no imports). */
  async writeConfig(config: OpenRedUserConfig): Promise<void> {
    await this.writeFileAtomic(this.configFile, `export default ${JSON.stringify(config, null, 2)};\n`);
  }

  async writeFileAtomic(file: string, text: string): Promise<void> {
    const tmp = join(dirname(file), `.${Date.now()}-${Math.random().toString(36).slice(2)}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, file);
  }

  /** Minimal config for a node on ephemeral loopback ports using this workspace's folders. */
  baseConfig(extra: OpenRedUserConfig = {}): OpenRedUserConfig {
    return mergeConfig(
      {
        node: { dataDir: this.dataDir },
        server: { p2p: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 } },
        // No directory to reach: a pinned key and no URL means no presence service.
        directory: { embedded: false, publicKey: testDirectoryKey },
        crypto: { isolation: 'inline' },
        plugins: { dirs: [this.pluginsDir], packages: false, hotReload: false },
        log: { level: 'silent' },
      },
      extra,
    );
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface TestNode {
  node: OpenRedNode;
  p2p: string;
  api: string;
  /** `surface` picks the base URL; `path` is the full path (`/p2p/...` or `/api/...`). */
  request(surface: 'p2p' | 'api', path: string, options?: RequestOptions): Promise<HttpResult>;
  /** GET /api/node/plugins. */
  plugins(): Promise<{
    plugins: Array<Record<string, unknown> & { name: string; state: string; lastError: string | null }>;
    invalid: Array<{ dir: string; error: string }>;
  }>;
  stop(): Promise<void>;
}

/**
 * Starts a node in this process. With `fromFile`, the config is written to the workspace's
 * openred.config.ts and loaded from there (so the watcher also follows it). Owner routes answer anonymous
 * callers unless `anonymousOwnerApi: false` (tests of the authentication module turn enforcement on).
 */
export async function startNode(
  ws: Workspace,
  options: {
    config?: OpenRedUserConfig;
    fromFile?: boolean;
    clock?: Clock;
    logger?: Logger;
    anonymousOwnerApi?: boolean;
  } = {},
): Promise<TestNode> {
  const user = ws.baseConfig(options.config);
  let loaded;
  if (options.fromFile) {
    await ws.writeConfig(user);
    loaded = await loadConfigFile(ws.configFile, {});
  } else {
    loaded = resolveConfig(user, ws.dir, {});
  }
  const node = createNode(loaded, {
    clock: options.clock,
    logger: options.logger,
    passphrase: 'openred-test-passphrase',
    scrypt: TEST_SCRYPT,
    allowAnonymousOwnerApi: options.anonymousOwnerApi ?? true,
  });
  await node.start();
  const p2p = node.urls.p2p!;
  const api = node.urls.api!;
  let stopped = false;
  return {
    node,
    p2p,
    api,
    request: (surface, path, opts) => httpRequest((surface === 'p2p' ? p2p : api) + path, opts),
    plugins: async () => (await httpRequest(`${api}/api/node/plugins`)).json as never,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await node.stop();
    },
  };
}

/** A pino logger that keeps its lines (parsed) in memory, for tests that wait on a log event. */
export function captureLogger(level = 'warn'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level }, stream), lines };
}

function mergeConfig(a: OpenRedUserConfig, b: OpenRedUserConfig): OpenRedUserConfig {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      isPlainObject(prev) && isPlainObject(v)
        ? mergeConfig(prev as OpenRedUserConfig, v as OpenRedUserConfig)
        : v;
  }
  return out as OpenRedUserConfig;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** index.ts of a plugin that answers GET /api/<name> and POST /p2p/<name> with `{plugin, marker}`. */
export function markerPlugin(name: string, marker: string | number, extraSetup = ''): string {
  return `import { definePlugin } from '@openred/plugin-sdk';
export default definePlugin({
  name: ${JSON.stringify(name)},
  version: '1.0.0',
  setup(ctx) {
    ctx.api.get('/${name}', () => ({ plugin: ${JSON.stringify(name)}, marker: ${JSON.stringify(marker)} }));
    ctx.p2p.post('/${name}', () => ({ plugin: ${JSON.stringify(name)}, marker: ${JSON.stringify(marker)} }));
    ${extraSetup}
  },
});
`;
}
