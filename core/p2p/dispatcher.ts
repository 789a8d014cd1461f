import compose from 'koa-compose';
import type { Context, Middleware as KoaMiddleware, Next } from 'koa';
import type { Layer } from '@koa/router';
import type { Logger } from 'pino';
import { OpenRedError } from '../errors.js';
import type { BoundRoute, PluginGeneration } from '../plugins/generation.js';
import type { Surface } from '../plugins/route-entry.js';
import { requestSegment } from '../plugins/route-path.js';
import { RouteTable } from './route-table.js';

const BOUND = Symbol('openred.boundRoute');

/**
 * The stable middleware in front of every plugin route. Koa composes its middleware once, so instead of
 * adding and removing plugin middleware, the dispatcher points at an immutable RouteTable and hot reload
 * swaps that pointer (one synchronous assignment). Each request:
 *   1. captures the current table and counts itself in (so a swap waits for it),
 *   2. picks candidate plugins by the first path segment, then lets their router match,
 *   3. runs the surface's kernel stages (body parsing, peer session / owner guard),
 *   4. runs plugin middleware for the surface, then the route.
 * Steps 3-4 are one pipeline composed once per table (not per request), and the matched route runs
 * directly: running the plugin's Router#routes() would match the path a second time and compose a fresh
 * chain on every request.
 */
export class Dispatcher {
  #table: RouteTable;
  readonly #log: Logger;
  readonly #stages: Record<Surface, KoaMiddleware[]> = { p2p: [], api: [] };
  #pipelines = new WeakMap<RouteTable, Partial<Record<Surface, KoaMiddleware>>>();

  constructor(log: Logger) {
    this.#log = log;
    this.#table = new RouteTable([]);
  }

  get table(): RouteTable {
    return this.#table;
  }

  /**
   * Adds a kernel stage that runs after routing and before plugin middleware (e.g. body parsing, the
   * p2p session layer). Stages are fixed at start-up, before the first request.
   */
  addStage(surface: Surface, stage: KoaMiddleware): void {
    this.#stages[surface].push(stage);
    this.#pipelines = new WeakMap();
  }

  /**
   * Makes `generations` the served set. Returns when the swap is done (immediately); generations that are no
   * longer in any live table are disposed once the requests holding them have finished.
   */
  swap(
    generations: readonly PluginGeneration[],
    onGenerationFree: (g: PluginGeneration) => void,
  ): RouteTable {
    const next = new RouteTable(generations);
    const previous = this.#table;
    this.#table = next;
    previous.retired = true;
    const release = (): void => {
      for (const g of previous.generations) {
        if (--g.holders === 0) onGenerationFree(g);
      }
    };
    if (previous.inflight === 0) release();
    else previous.onDrained = release;
    return next;
  }

  /** The Koa middleware for one surface, mounted at `/p2p` or `/api`. */
  middleware(surface: Surface): KoaMiddleware {
    const prefixLength = surface.length + 1; // "/p2p"
    return (ctx: Context, next: Next): Promise<void> => {
      const table = this.#table;
      const path = ctx.path;
      let bound: BoundRoute | undefined;
      let layer: Layer | undefined;
      let methodMismatch = false;
      const exact = table.surfaces[surface].exact.get(`${ctx.method} ${path}`);
      if (exact) {
        bound = exact.bound;
        layer = exact.layer;
      }
      const candidates = exact
        ? []
        : table.surfaces[surface].bySegment.get(requestSegment(path, prefixLength));
      if (!candidates) return next();
      for (const generation of candidates) {
        const router = generation.routers.get(surface);
        if (!router) continue;
        const match = router.match(path, ctx.method);
        if (match.route) {
          layer = match.pathAndMethod.find((l) => l.methods.length > 0);
          bound = layer && generation.bound.get(layer);
          if (bound) break;
        }
        if (match.path.length > 0) methodMismatch = true;
      }
      if (!bound || !layer) {
        if (methodMismatch) {
          throw new OpenRedError('OR_ERR_METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${path}`, 405);
        }
        return next();
      }
      ctx.params = layer.paramNames.length === 0 ? {} : layer.params(path, layer.captures(path));
      ctx.state.route = bound.state;
      ctx.state.rawBodyAllowed = bound.state.raw;
      (ctx.state as Record<symbol, unknown>)[BOUND] = bound;
      table.enter();
      let done: Promise<void>;
      try {
        done = this.#pipeline(table, surface)(ctx, noop) as Promise<void>;
      } catch (err) {
        table.leave();
        throw err;
      }
      return done.then(
        () => table.leave(),
        (err: unknown) => {
          table.leave();
          throw err;
        },
      );
    };
  }

  /** stages → the table's plugin middleware → the matched route, composed once per table and surface. */
  #pipeline(table: RouteTable, surface: Surface): KoaMiddleware {
    let byTable = this.#pipelines.get(table);
    if (!byTable) this.#pipelines.set(table, (byTable = {}));
    let fn = byTable[surface];
    if (!fn) {
      const chain = [...this.#stages[surface]];
      if (table.surfaces[surface].middlewareCount > 0) chain.push(table.surfaces[surface].middleware);
      chain.push(runBoundRoute);
      fn = byTable[surface] = compose(chain) as KoaMiddleware;
    }
    return fn;
  }

  get log(): Logger {
    return this.#log;
  }
}

function runBoundRoute(ctx: Context): Promise<void> {
  return ((ctx.state as Record<symbol, unknown>)[BOUND] as BoundRoute).run(ctx);
}

function noop(): Promise<void> {
  return Promise.resolve();
}
