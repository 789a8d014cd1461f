import Router, { type Layer } from '@koa/router';
import type { Context } from 'koa';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { CipherMethod, CipherVector, Middleware, MiddlewareOptions } from '@openred/plugin-sdk';
import { PluginError } from '../errors.js';
import { toKoaRoute } from '../p2p/route-handler.js';
import type { RouteEntry, RouteState, Surface } from './route-entry.js';

/** A declared route as the dispatcher runs it: its route state (shared by its requests) and its handler. */
export interface BoundRoute {
  entry: RouteEntry;
  state: Readonly<RouteState>;
  run(ctx: Context): Promise<void>;
}

export interface MiddlewareEntry {
  plugin: string;
  generation: number;
  fn: Middleware;
  options: Required<Pick<MiddlewareOptions, 'scope' | 'order'>> & { name: string };
  seq: number;
}

export interface CipherEntry {
  method: CipherMethod;
  vectors: CipherVector[];
}

let nextGenerationId = 1;
let nextSeq = 1;

/**
 * One loaded version of one plugin: everything its setup() declared, staged here and invisible to requests
 * until the host commits it into a new dispatch table. Old generations stay alive while any request still
 * holds a table that contains them; then their disposers run (reverse order) and the child container is
 * disposed.
 */
export class PluginGeneration {
  readonly id = nextGenerationId++;
  readonly routes: RouteEntry[] = [];
  readonly middleware: MiddlewareEntry[] = [];
  readonly ciphers: CipherEntry[] = [];
  readonly provided = new Map<string, unknown>();
  readonly disposers: Array<() => unknown> = [];
  /** One router per surface, used only to match; the dispatcher runs the matched route itself. */
  readonly routers = new Map<Surface, Router>();
  /** Router layer → the route it stands for. */
  readonly bound = new Map<Layer, BoundRoute>();
  /** How many live dispatch tables include this generation. */
  holders = 0;
  retired = false;
  #disposed = false;
  #sealed = false;

  constructor(
    readonly plugin: string,
    readonly version: string,
    readonly container: DependencyContainer,
  ) {}

  /** Declarations are only accepted while setup() runs. */
  assertOpen(what: string): void {
    if (this.#sealed) {
      throw new PluginError(this.plugin, `${what} after setup() finished: declare everything inside setup()`);
    }
  }

  addRoute(entry: RouteEntry): void {
    this.assertOpen('route registered');
    const clash = this.routes.find(
      (r) => r.surface === entry.surface && r.method === entry.method && r.path === entry.path,
    );
    if (clash) {
      throw new PluginError(
        this.plugin,
        `route ${entry.method} ${entry.path} declared twice`,
        'OR_ERR_ROUTE_CONFLICT',
      );
    }
    this.routes.push(entry);
  }

  addMiddleware(fn: Middleware, options: MiddlewareOptions): void {
    this.assertOpen('middleware registered');
    if (typeof fn !== 'function') throw new PluginError(this.plugin, 'middleware must be a function');
    if (!['p2p', 'api', 'both'].includes(options?.scope)) {
      throw new PluginError(this.plugin, `middleware scope must be p2p, api or both`);
    }
    this.middleware.push({
      plugin: this.plugin,
      generation: this.id,
      fn,
      options: {
        scope: options.scope,
        order: options.order ?? 100,
        name: options.name ?? fn.name ?? 'anonymous',
      },
      seq: nextSeq++,
    });
  }

  /** Freezes declarations and builds one router per surface (prefix `/p2p` or `/api`). */
  seal(log: Logger): void {
    this.#sealed = true;
    for (const surface of ['p2p', 'api'] as const) {
      const entries = this.routes.filter((r) => r.surface === surface);
      if (entries.length === 0) continue;
      const router = new Router({ prefix: `/${surface}` });
      for (const entry of entries) {
        const run = toKoaRoute(entry, log);
        const layer = router.register(entry.path, [entry.method], run) as Layer;
        const state: RouteState = Object.freeze({
          plugin: this.plugin,
          surface,
          method: entry.method,
          path: String(layer.path),
          public: entry.options.public === true,
          raw: entry.options.raw === true,
        });
        this.bound.set(layer, { entry, state, run });
      }
      this.routers.set(surface, router);
    }
  }

  /** Runs teardown functions (reverse order) and disposes the child container. Never throws. */
  async dispose(log: Logger): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const fn of [...this.disposers].reverse()) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err, plugin: this.plugin, generation: this.id }, 'plugin teardown failed');
      }
    }
    try {
      await this.container.dispose();
    } catch (err) {
      log.warn({ err, plugin: this.plugin }, 'plugin container dispose failed');
    }
  }

  get disposed(): boolean {
    return this.#disposed;
  }
}
