// tsyringe needs the Reflect metadata polyfill before it loads; importing it here keeps every embedder safe.
import 'reflect-metadata';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import Router from '@koa/router';
import { container as globalContainer, type DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import {
  METRICS_ENDPOINT_SERVICE,
  NODE_SIGNER_SERVICE,
  type NodeSigner,
  type KernelHealth,
  type MetricsEndpoint,
  type PeerClient,
} from '@openred/plugin-sdk';
import type Koa from 'koa';
import type { OpenRedConfig } from '../config/types.js';
import { loadConfigFile } from '../config/load-config.js';
import { NotFoundError, OpenRedError, isOpenRedError } from '../errors.js';
import { chachaImplementation } from '../crypto/ciphers/chacha20-poly1305.js';
import { deriveNodeId } from '../crypto/identity.js';
import { jsonBody } from '../http/json-body.js';
import { closeServer, createHttpServer, listen } from '../http/server.js';
import { Dispatcher } from '../p2p/dispatcher.js';
import { createSurfaceApp } from '../p2p/surface-app.js';
import { SEALED_TYPE } from '../p2p/sessions/wire.js';
import { PluginHost, type CipherSink } from '../plugins/plugin-host.js';
import { PluginWatcher } from '../plugins/plugin-watcher.js';
import { PluginStorageRoot } from '../storage/plugin-storage.js';
import { systemClock, type Clock } from './clock.js';
import { EventBus } from './event-bus.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger } from './logger.js';
import type { NodeCrypto } from './node-crypto.js';
import { ANONYMOUS_OWNER_ENV, anonymousOwnerFromEnv, ownerGate } from './owner-gate.js';
import { pluginSigningInput, verifyPluginSignature } from './plugin-signatures.js';
import { registerPluginSwitch } from './plugin-switch.js';
import { RequestObserverSet } from './request-observers.js';
import { ServiceRegistry } from './service-registry.js';
import { Tokens } from './tokens.js';

const VERSION = '3.0.0';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface NodeOptions {
  config: OpenRedConfig;
  /** The file the config came from; watched for live changes when hot reload is on. */
  configFile?: string;
  clock?: Clock;
  logger?: Logger;
  /** The crypto engine (identity, signing, handshakes). */
  crypto: NodeCrypto;
  /** Ciphers plugins register go here (the crypto engine's registry). */
  ciphers?: CipherSink & { check?: PluginHostCipherCheck };
  peers?: PeerClient;
  /** Extra services started with the node (directory, token manager...), in dependency order. */
  extraServices?: Array<(node: OpenRedNode) => Array<import('./lifecycle.js').Service>>;
  container?: DependencyContainer;
  /**
   * Serve owner (`/api`) routes to callers without credentials. Off by default: with the authentication
   * module the owner must log in, without it the owner API refuses everything but public routes. Defaults
   * to the environment's OPENRED_ALLOW_ANONYMOUS_OWNER_API=1 (trusted single-user hosts, test harnesses).
   */
  allowAnonymousOwnerApi?: boolean;
}

type PluginHostCipherCheck = (method: unknown, vectors: unknown[]) => void;

/**
 * One running OpenRed node: the kernel services in a child DI container, two HTTP surfaces (peers on
 * /p2p, owner on /api), the plugin host and the watcher. `start()` brings them up in dependency order;
 * `stop()` stops accepting, drains in-flight requests, tears plugins down, flushes storage, stops crypto.
 */
export class OpenRedNode {
  readonly container: DependencyContainer;
  readonly config: OpenRedConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly services = new ServiceRegistry();
  readonly dispatcher: Dispatcher;
  readonly host: PluginHost;
  readonly storage: PluginStorageRoot;
  readonly crypto: NodeCrypto;
  readonly lifecycle: Lifecycle;
  readonly p2pRouter = new Router({ prefix: '/p2p' });
  readonly apiRouter = new Router({ prefix: '/api' });
  readonly startedAt: number;
  /** Per-request callbacks (`kernel.requests`, used by the monitoring module). */
  readonly requestObservers: RequestObserverSet;
  /** The operator's opt-out from owner login (see NodeOptions.allowAnonymousOwnerApi). */
  readonly allowAnonymousOwnerApi: boolean;
  /** Set when this node runs the community's directory itself. */
  embeddedDirectory: import('../directory/start.js').RunningDirectory | undefined;
  /** The node's client of its directory, once presence has started. */
  directoryClient: import('../directory/client.js').DirectoryClient | undefined;
  presence: import('../directory/presence-reporter.js').PresenceReporter | undefined;
  /** The node's connection tokens (set by the session layer once started). */
  tokens: import('../tokens/token-manager.js').TokenManager | undefined;
  /** Live peer sessions (set by the session layer). */
  sessions: import('../p2p/sessions/session-table.js').SessionTable | undefined;
  #servers: { p2p?: Server; api?: Server } = {};
  #urls: { p2p?: string; api?: string } = {};
  #watcher?: PluginWatcher;
  readonly #options: NodeOptions;
  readonly #peers: PeerClient;

  constructor(options: NodeOptions) {
    this.#options = options;
    this.#peers = options.peers ?? unavailablePeers();
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? createLogger({ level: options.config.log.level });
    this.crypto = options.crypto;
    this.container = (options.container ?? globalContainer).createChildContainer();
    this.events = new EventBus(this.log);
    this.dispatcher = new Dispatcher(this.log);
    this.storage = new PluginStorageRoot(this.config.node.dataDir);
    this.lifecycle = new Lifecycle(this.log);
    this.startedAt = this.clock.now();
    this.requestObservers = new RequestObserverSet(this.log);
    this.allowAnonymousOwnerApi = options.allowAnonymousOwnerApi ?? anonymousOwnerFromEnv();
    const ciphers: CipherSink = options.ciphers ?? { register: () => undefined, unregister: () => undefined };
    this.host = new PluginHost({
      dispatcher: this.dispatcher,
      ciphers,
      log: this.log,
      nodeModules: [join(repoRoot, 'node_modules'), join(process.cwd(), 'node_modules')],
      container: this.container,
      runtime: {
        log: this.log,
        clock: this.clock,
        events: this.events,
        services: this.services,
        storage: this.storage,
        peers: this.#peers,
        node: {
          get id() {
            return options.crypto.nodeId;
          },
          get publicKeys() {
            return options.crypto.publicKeys;
          },
          dataDir: this.config.node.dataDir,
        },
        checkCipher: (method, vectors) => options.ciphers?.check?.(method, vectors),
        deriveKey: (label) => options.crypto.deriveKey(label),
      },
      onEvent: (event, detail) => this.events.emit(event, detail),
    });
    this.container.register(Tokens.Config, { useValue: this.config });
    this.container.register(Tokens.ConfigFile, { useValue: options.configFile });
    this.container.register(Tokens.Clock, { useValue: this.clock });
    this.container.register(Tokens.Logger, { useValue: this.log });
    this.container.register(Tokens.Lifecycle, { useValue: this.lifecycle });
    this.container.register(Tokens.EventBus, { useValue: this.events });
    this.container.register(Tokens.ServiceRegistry, { useValue: this.services });
    this.services.provide('kernel', 'kernel.status', () => this.status());
    this.services.provide('kernel', 'kernel.plugins', () => this.host.list());
    this.services.provide('kernel', 'kernel.requests', this.requestObservers);
    this.services.provide('kernel', 'kernel.health', () => this.health());
    this.services.provide('kernel', NODE_SIGNER_SERVICE, {
      sign: async (purpose, data) => Buffer.from(await this.crypto.sign(pluginSigningInput(purpose, data))),
      verify: verifyPluginSignature,
      idOf: (keys) => {
        try {
          return deriveNodeId(keys);
        } catch {
          return undefined;
        }
      },
    } satisfies NodeSigner);
    this.#registerKernelRoutes();
    this.#registerServices();
  }

  /** The peer client (`ctx.peers` of every plugin). */
  get peers(): PeerClient {
    return this.#peers;
  }

  get id(): string {
    return this.crypto.nodeId;
  }

  get urls(): { p2p?: string; api?: string } {
    return { ...this.#urls };
  }

  /** The URL peers use to reach this node (config `node.publicUrl`, else the bound p2p address). */
  get publicUrl(): string {
    return this.config.node.publicUrl ?? this.#urls.p2p ?? '';
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  #registerServices(): void {
    const { config } = this;
    // The owner surface's access rule comes first, so an anonymous caller is refused before its body is read.
    const guard = ownerGate({ services: this.services, allowAnonymous: this.allowAnonymousOwnerApi });
    this.dispatcher.addStage('api', guard);
    // Then JSON bodies on both surfaces (size, content type, depth). Later stages (the p2p session layer) are
    // added by the services below, in order.
    for (const surface of ['p2p', 'api'] as const) {
      this.dispatcher.addStage(
        surface,
        jsonBody({
          maxBytes: config.server.limits.maxBodyBytes,
          maxDepth: config.server.limits.maxJsonDepth,
          ...(surface === 'p2p' ? { rawTypes: [SEALED_TYPE] } : {}),
        }),
      );
    }
    this.lifecycle.add({ name: 'crypto', start: () => this.crypto.start(), stop: () => this.crypto.stop() });
    this.lifecycle.add({
      name: 'storage',
      start: async () => undefined,
      stop: () => this.storage.flush(),
    });
    this.lifecycle.add({
      name: 'plugins',
      dependsOn: ['crypto', 'storage'],
      start: () => this.host.start(config),
      stop: () => this.host.stop(),
    });
    this.lifecycle.add({
      name: 'http',
      dependsOn: ['plugins'],
      start: async () => {
        for (const surface of ['p2p', 'api'] as const) {
          const app = createSurfaceApp({
            surface,
            dispatcher: this.dispatcher,
            kernelRouter: surface === 'p2p' ? this.p2pRouter : this.apiRouter,
            limits: config.server.limits,
            log: this.log,
            onRequest: (ctx, startedAt) => {
              if (this.requestObservers.active) this.requestObservers.track(surface, ctx, startedAt);
            },
            ...(surface === 'api'
              ? { kernelGuard: guard as Koa.Middleware, rootRoutes: new Map([['/metrics', this.#metrics]]) }
              : {}),
          });
          const server = createHttpServer(app, config.server.limits);
          const { host, port } = config.server[surface];
          const address = await listen(server, port, host).catch((err: NodeJS.ErrnoException) => {
            throw new OpenRedError(
              'OR_ERR_LISTEN',
              `cannot listen on ${host}:${port} for ${surface}: ${err.code ?? err.message}` +
                (err.code === 'EADDRINUSE' ? ' (port in use: set OPENRED_PORT / OPENRED_API_PORT)' : ''),
            );
          });
          this.#servers[surface] = server;
          this.#urls[surface] = `http://${formatHost(address.address)}:${address.port}`;
        }
        this.log.info({ node: this.id, p2p: this.#urls.p2p, api: this.#urls.api }, 'node listening');
        if (this.allowAnonymousOwnerApi) {
          this.log.warn(
            { env: ANONYMOUS_OWNER_ENV },
            'the owner API answers callers without credentials (anonymous owner access is allowed)',
          );
        }
      },
      // Stop accepting first; in-flight requests finish (bounded) before plugins are torn down.
      stop: async () => {
        await Promise.all(
          Object.values(this.#servers).map((s) => closeServer(s!, config.server.limits.handlerTimeoutMs)),
        );
        this.#servers = {};
      },
    });
    for (const factory of this.#options.extraServices ?? []) {
      for (const service of factory(this)) this.lifecycle.add(service);
    }
    if (config.plugins.hotReload) {
      this.lifecycle.add({
        name: 'watcher',
        dependsOn: ['http'],
        start: async () => {
          this.#watcher = new PluginWatcher(
            { pluginDirs: config.plugins.dirs, configFile: this.#options.configFile },
            {
              pluginChanged: (name) => void this.host.reload(name),
              pluginsRescan: () => void this.host.rescan(),
              configChanged: () => void this.#reloadConfig(),
              pluginForPath: (p) => this.host.pluginForPath(p),
            },
            this.log,
          );
          await this.#watcher.start();
        },
        stop: async () => this.#watcher?.stop(),
      });
    }
  }

  /** Config edits apply live to modules; other sections (ports, keys) need a restart, which is logged. */
  async #reloadConfig(): Promise<void> {
    const file = this.#options.configFile;
    if (!file) return;
    try {
      const { config } = await loadConfigFile(file);
      const changed = Object.keys(config).filter(
        (k) =>
          k !== 'modules' &&
          JSON.stringify(config[k as keyof OpenRedConfig]) !==
            JSON.stringify(this.config[k as keyof OpenRedConfig]),
      );
      if (changed.length > 0) {
        this.log.warn(
          { file, sections: changed },
          'config sections other than modules changed: restart the node to apply them',
        );
      }
      this.config.modules = config.modules;
      await this.host.applyConfig(this.config);
      this.events.emit('config.changed', { file });
      this.log.info({ file }, 'config reloaded');
    } catch (err) {
      const problems = isOpenRedError(err) && Array.isArray(err.details) ? err.details : [String(err)];
      this.log.error({ file, problems }, 'config change rejected; keeping the previous config');
    }
  }

  #registerKernelRoutes(): void {
    this.apiRouter.get('/node/status', (ctx) => {
      ctx.body = this.status();
    });
    this.apiRouter.get('/node/plugins', (ctx) => {
      ctx.body = { plugins: this.host.list(), invalid: this.host.invalid };
    });
    registerPluginSwitch(this.apiRouter, this);
  }

  /** `GET /metrics` on the owner surface: answered by the plugin that provides `http.metrics`. */
  readonly #metrics = (ctx: Koa.Context): Promise<void> => {
    if (!this.services.has(METRICS_ENDPOINT_SERVICE)) {
      throw new NotFoundError('no module serves /metrics (enable the monitoring module)');
    }
    return this.services.get<MetricsEndpoint>(METRICS_ENDPOINT_SERVICE)(ctx);
  };

  /** Live checks of the kernel's components (`kernel.health`): crypto engine, directory, tokens, sessions. */
  async health(): Promise<KernelHealth> {
    const timed = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          fn(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('no answer within 2000 ms')), 2000);
          }),
        ]);
        return { ok: true, latencyMs: performance.now() - t0, error: null };
      } catch (err) {
        return { ok: false, latencyMs: null, error: (err as Error).message ?? String(err) };
      } finally {
        clearTimeout(timer);
      }
    };
    const client = this.directoryClient;
    const [crypto, directory] = await Promise.all([
      timed(() => this.crypto.sign(pluginSigningInput('kernel/health', Buffer.alloc(0)))),
      client ? timed(() => client.health()) : Promise.resolve(undefined),
    ]);
    return {
      crypto: { ...crypto, isolation: this.crypto.isolation },
      directory: {
        configured: Boolean(this.config.directory.url || this.config.directory.embedded),
        url: this.config.directory.url ?? null,
        embedded: this.embeddedDirectory !== undefined,
        registered: this.presence?.state.registered ?? false,
        reachable: directory ? directory.ok : null,
        latencyMs: directory?.latencyMs ?? null,
        error: directory?.error ?? this.presence?.state.lastError?.message ?? null,
      },
      tokens: { ok: this.tokens !== undefined, held: this.tokens ? this.tokens.tokens().length : null },
      sessions: { open: this.sessions?.size ?? 0 },
    };
  }

  status(): Record<string, unknown> {
    const plugins = this.host.list();
    return {
      node_id: this.id,
      version: VERSION,
      name: this.config.node.name ?? null,
      urls: this.urls,
      public_url: this.publicUrl,
      crypto: { isolation: this.crypto.isolation, chacha20_poly1305: chachaImplementation },
      directory: {
        url: this.config.directory.url ?? null,
        embedded: this.embeddedDirectory !== undefined,
        fingerprint: this.embeddedDirectory?.fingerprint ?? null,
        registered: this.presence?.state.registered ?? false,
        last_error: this.presence?.state.lastError ?? null,
      },
      uptime_ms: this.clock.now() - this.startedAt,
      plugins: {
        active: plugins.filter((p) => p.state === 'active').length,
        failed: plugins.filter((p) => p.state === 'failed').map((p) => p.name),
      },
    };
  }
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function unavailablePeers(): PeerClient {
  const fail = (): never => {
    throw new OpenRedError('OR_ERR_PEERS_UNAVAILABLE', 'peer sessions are not available on this node', 503);
  };
  return { request: async () => fail(), connect: async () => fail(), sessions: () => [] };
}
