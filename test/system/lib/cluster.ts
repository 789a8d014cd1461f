/**
 * A community of real processes on 127.0.0.1 for the system tests: one standalone directory process and any
 * number of `openred start` node processes, each with its own temp data folder and pinned ports (so a node
 * or the directory restarted after `kill -9` comes back at the same address). `close()` ends every process
 * it started and removes the temp folder.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/node-harness.js';
import { freePort } from '../../helpers/free-port.js';
import {
  killAll,
  spawnCli,
  startCli,
  type CliProcess,
  type StartedNode,
} from '../../helpers/process-harness.js';
import { callApi, type ApiAnswer } from './api.js';

export const REPO_PLUGINS = join(repoRoot, 'plugins');
/** The probe plugin: raw peer requests with a timeout, for the timeout and broken-peer scenarios. */
export const SYSTEM_PLUGINS = join(repoRoot, 'test', 'system', 'plugins');

/** Module settings tuned for tests: fast retry ticks and short backoff so recovery is quick. */
export const FAST_MODULES = {
  authentication: { enabled: false },
  monitoring: { enabled: false },
  console: { enabled: false },
  messaging: { tickMs: 50, requestTimeoutMs: 5000, retry: { baseMs: 200, maxMs: 1500 } },
  'file-sharing': { maxRetries: 6, retryBaseMs: 100, chunkTimeoutMs: 5000 },
};

export interface NodeSpec {
  /** 'inline' by default: half the processes and memory; 'process' forks the isolated crypto agent. */
  isolation?: 'inline' | 'process';
  /** Advertised p2p URL (e.g. a fault proxy in front of the node). */
  publicUrl?: string;
  /** Data folder (default: `<cluster root>/<name>`), e.g. a small tmpfs for the disk-full scenario. */
  dataDir?: string;
  limits?: Record<string, number>;
  modules?: Record<string, Record<string, unknown>>;
  heartbeatSeconds?: number;
}

/** One node process; survives kill/restart cycles with the same id, data folder and ports. */
export class SystemNode {
  current: StartedNode | undefined;

  constructor(
    readonly name: string,
    readonly configFile: string,
    readonly dataDir: string,
    readonly p2pPort: number,
    readonly apiPort: number,
  ) {}

  get id(): string {
    return this.#started().info.node_id;
  }

  get api(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get p2p(): string {
    return `http://127.0.0.1:${this.p2pPort}`;
  }

  get pid(): number {
    return this.#started().process.child.pid!;
  }

  get process(): CliProcess {
    return this.#started().process;
  }

  get alive(): boolean {
    return this.current?.process.alive ?? false;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    this.current = await startCli(this.configFile, { timeoutMs });
  }

  /** `kill -9`: nothing is flushed, nothing is closed cleanly. */
  async kill9(): Promise<void> {
    await this.current?.process.stop('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.current?.process.alive) await this.current.process.stop('SIGTERM', 30_000);
  }

  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs?: number,
  ): Promise<ApiAnswer<T>> {
    return callApi<T>(this.api, method, path, body, timeoutMs);
  }

  #started(): StartedNode {
    if (!this.current) throw new Error(`node ${this.name} was never started`);
    return this.current;
  }
}

/** The standalone directory process (`openred directory start`). */
export class DirectoryProcess {
  process: CliProcess | undefined;
  publicKey = '';

  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly optionsFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.process!.child.pid!;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const p = spawnCli([
      'directory',
      'start',
      '--port',
      String(this.port),
      '--host',
      '127.0.0.1',
      '--data',
      this.dataDir,
      '--options',
      this.optionsFile,
      '--allow-loopback',
      '--log-level',
      'error',
      '--json',
    ]);
    this.process = p;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = p.stdout.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        this.publicKey = (JSON.parse(line) as { public_key: string }).public_key;
        return;
      }
      if (!p.alive) throw new Error(`directory exited early: ${p.stderr}`);
      if (performance.now() > deadline) {
        await p.stop('SIGKILL');
        throw new Error(`directory did not start in time: ${p.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async kill9(): Promise<void> {
    await this.process?.stop('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.process?.alive) await this.process.stop('SIGTERM');
  }
}

export interface ClusterOptions {
  /** Directory options (see docs/directory.md); merged over the test defaults below. */
  directory?: Record<string, unknown>;
}

export class Cluster {
  readonly nodes = new Map<string, SystemNode>();
  /** Run by close() after the processes are gone (proxies, fake peers, mounts). */
  readonly #cleanups: Array<() => Promise<void> | void> = [];

  private constructor(
    readonly root: string,
    readonly directory: DirectoryProcess,
  ) {}

  /** A temp root and a running directory. */
  static async create(prefix: string, options: ClusterOptions = {}): Promise<Cluster> {
    const root = await mkdtemp(join(tmpdir(), `openred-system-${prefix}-`));
    const optionsFile = join(root, 'directory-options.json');
    // Every node of the test shares one source address (127.0.0.1): the per-address limit is sized for a
    // community behind many addresses, so it is raised here; the per-node limits stay at their defaults.
    const directoryOptions = {
      rateLimits: { perAddress: { perSecond: 2000, burst: 4000 } },
      ...options.directory,
    };
    await writeFile(optionsFile, JSON.stringify(directoryOptions, null, 2));
    const directory = new DirectoryProcess(await freePort(), join(root, 'directory'), optionsFile);
    const cluster = new Cluster(root, directory);
    try {
      await directory.start();
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** Registers something for close() to release once the processes are stopped. */
  defer(cleanup: () => Promise<void> | void): void {
    this.#cleanups.push(cleanup);
  }

  node(name: string): SystemNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Writes the node's config (ports pinned) and starts it. */
  async addNode(name: string, spec: NodeSpec = {}, start = true): Promise<SystemNode> {
    const dataDir = spec.dataDir ?? join(this.root, name);
    const p2pPort = await freePort();
    const apiPort = await freePort();
    const modules: Record<string, Record<string, unknown>> = structuredClone(FAST_MODULES);
    for (const [m, settings] of Object.entries(spec.modules ?? {})) {
      modules[m] = { ...modules[m], ...settings };
    }
    const config = {
      node: { name, dataDir, ...(spec.publicUrl ? { publicUrl: spec.publicUrl } : {}) },
      server: {
        p2p: { host: '127.0.0.1', port: p2pPort },
        api: { host: '127.0.0.1', port: apiPort },
        ...(spec.limits ? { limits: spec.limits } : {}),
      },
      directory: {
        embedded: false,
        url: this.directory.url,
        publicKey: this.directory.publicKey,
        heartbeatSeconds: spec.heartbeatSeconds ?? 30,
      },
      crypto: { isolation: spec.isolation ?? 'inline' },
      plugins: { dirs: [REPO_PLUGINS, SYSTEM_PLUGINS], packages: false, hotReload: false },
      modules,
      log: { level: 'error' },
    };
    const configFile = join(this.root, `${name}.config.ts`);
    await writeFile(configFile, `export default ${JSON.stringify(config, null, 2)};\n`);
    const node = new SystemNode(name, configFile, dataDir, p2pPort, apiPort);
    this.nodes.set(name, node);
    if (start) await node.start();
    return node;
  }

  /** Starts `names` with at most `parallel` processes booting at once (2 cores: booting is CPU-bound). */
  async addNodes(names: string[], spec: NodeSpec = {}, parallel = 4): Promise<SystemNode[]> {
    const out: SystemNode[] = [];
    for (let i = 0; i < names.length; i += parallel) {
      out.push(...(await Promise.all(names.slice(i, i + parallel).map((n) => this.addNode(n, spec)))));
    }
    return out;
  }

  /** Stops every process (SIGTERM, then SIGKILL for stragglers) and removes the temp root. */
  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.stop().catch(() => undefined)));
    await this.directory.stop().catch(() => undefined);
    await killAll();
    for (const cleanup of this.#cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    await rm(this.root, { recursive: true, force: true });
  }
}
