import compose from 'koa-compose';
import type { Context, Middleware as KoaMiddleware, Next } from 'koa';
import type Router from '@koa/router';
import type { Logger } from 'pino';
import { OpenRedError } from '../errors.js';
import type { PluginGeneration } from '../plugins/generation.js';
import type { RouteState, Surface } from '../plugins/route-entry.js';
import { requestSegment } from '../plugins/route-path.js';
import { RouteTable } from './route-table.js';

type RouterMatch = ReturnType<Router['match']>;

/**
 * The stable middleware in front of every plugin route. Koa composes its middleware once, so instead of
 * adding and removing plugin middleware, the dispatcher points at an immutable RouteTable and hot reload
 * swaps that pointer (one synchronous assignment). Each request:
 *   1. captures the current table and counts itself in (so a swap waits for it),
 *   2. picks candidate plugins by the first path segment, then lets their router match,
 *   3. runs the surface's kernel stages (body parsing, peer session / owner guard),
 *   4. runs plugin middleware for the surface, then the route.
 */
export class Dispatcher {
  #table: RouteTable;
  readonly #log: Logger;
  readonly #stages: Record<Surface, KoaMiddleware[]> = { p2p: [], api: [] };
  readonly #composedStages: Partial<Record<Surface, KoaMiddleware>> = {};

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
    delete this.#composedStages[surface];
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
    return async (ctx: Context, next: Next): Promise<void> => {
      const table = this.#table;
      const candidates = table.surfaces[surface].bySegment.get(requestSegment(ctx.path, prefixLength));
      if (!candidates) return next();
      let found: { generation: PluginGeneration; match: RouterMatch } | undefined;
      let methodMismatch = false;
      for (const generation of candidates) {
        const router = generation.routers.get(surface);
        if (!router) continue;
        const match = router.match(ctx.path, ctx.method);
        if (match.route) {
          found = { generation, match };
          break;
        }
        if (match.path.length > 0) methodMismatch = true;
      }
      if (!found) {
        if (methodMismatch) {
          throw new OpenRedError(
            'OR_ERR_METHOD_NOT_ALLOWED',
            `${ctx.method} is not allowed on ${ctx.path}`,
            405,
          );
        }
        return next();
      }
      const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
      const layer = found.match.pathAndMethod.find((l) => l.methods.includes(method));
      const entry = layer ? found.generation.entryByKey.get(`${method} ${layer.path}`) : undefined;
      const state: RouteState = {
        plugin: found.generation.plugin,
        surface,
        method: method as RouteState['method'],
        path: typeof layer?.path === 'string' ? layer.path : ctx.path,
        public: entry?.options.public === true,
        raw: entry?.options.raw === true,
      };
      ctx.state.route = state;
      ctx.state.rawBodyAllowed = state.raw;
      table.enter();
      try {
        await this.#stagesFor(surface)(ctx, async () => {
          await table.surfaces[surface].middleware(ctx, async () => {
            await found.generation.routerMiddleware.get(surface)!(ctx, async () => undefined);
          });
        });
      } finally {
        table.leave();
      }
    };
  }

  #stagesFor(surface: Surface): KoaMiddleware {
    return (this.#composedStages[surface] ??= compose(this.#stages[surface]) as KoaMiddleware);
  }

  get log(): Logger {
    return this.#log;
  }
}
