import compose from 'koa-compose';
import type { Context, Middleware as KoaMiddleware } from 'koa';
import type { Middleware } from '@openred/plugin-sdk';
import type { Layer } from '@koa/router';
import type { BoundRoute, MiddlewareEntry, PluginGeneration } from '../plugins/generation.js';
import type { Surface } from '../plugins/route-entry.js';

/** A route found without running any path pattern. */
export interface ExactRoute {
  bound: BoundRoute;
  layer: Layer;
}

interface SurfaceTable {
  /** first path segment → the generations that have routes starting with it, in load order. */
  bySegment: Map<string, PluginGeneration[]>;
  /**
   * `${METHOD} ${path}` → the route, for literal paths (no parameters) that no earlier-declared route would
   * also match, so looking here first picks exactly what matching in declaration order would pick.
   */
  exact: Map<string, ExactRoute>;
  /** Every plugin middleware for this surface, composed once, ordered by (order, registration). */
  middleware: KoaMiddleware;
  middlewareCount: number;
}

let nextTableVersion = 1;

/**
 * An immutable snapshot of what is served: the active generation of every plugin, indexed for dispatch.
 * A request captures one table for its whole life, so a swap never changes the code under a running request.
 * `inflight` counts those requests; when a retired table drains, its generations lose a holder.
 */
export class RouteTable {
  readonly version = nextTableVersion++;
  readonly generations: readonly PluginGeneration[];
  readonly surfaces: Record<Surface, SurfaceTable>;
  inflight = 0;
  retired = false;
  onDrained: (() => void) | undefined;

  constructor(generations: readonly PluginGeneration[]) {
    this.generations = generations;
    this.surfaces = { p2p: buildSurface(generations, 'p2p'), api: buildSurface(generations, 'api') };
    for (const g of generations) g.holders++;
  }

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    if (--this.inflight === 0 && this.retired) this.onDrained?.();
  }
}

function buildSurface(generations: readonly PluginGeneration[], surface: Surface): SurfaceTable {
  const bySegment = new Map<string, PluginGeneration[]>();
  for (const g of generations) {
    for (const segment of new Set(g.routes.filter((r) => r.surface === surface).map((r) => r.segment))) {
      const list = bySegment.get(segment) ?? [];
      list.push(g);
      bySegment.set(segment, list);
    }
  }
  const entries: MiddlewareEntry[] = generations
    .flatMap((g) => g.middleware)
    .filter((m) => m.options.scope === surface || m.options.scope === 'both')
    .sort((a, b) => a.options.order - b.options.order || a.seq - b.seq);
  const fns = entries.map((m) => m.fn as unknown as KoaMiddleware);
  const middleware: KoaMiddleware =
    fns.length === 0 ? (_ctx: Context, next) => next() : (compose(fns) as KoaMiddleware);
  return { bySegment, exact: exactRoutes(generations, surface), middleware, middlewareCount: entries.length };
}

const LITERAL_PATH = /^[A-Za-z0-9._~/-]+$/;

function exactRoutes(generations: readonly PluginGeneration[], surface: Surface): Map<string, ExactRoute> {
  const exact = new Map<string, ExactRoute>();
  const earlier = new Map<string, Layer[]>(); // per first segment, the layers declared before, in order
  for (const g of generations) {
    const router = g.routers.get(surface);
    if (!router) continue;
    for (const layer of router.stack) {
      const bound = g.bound.get(layer);
      if (!bound) continue;
      const seen = earlier.get(bound.entry.segment) ?? [];
      const path = String(layer.path);
      const shadowed = seen.some((l) => l.match(path) && l.methods.some((m) => layer.methods.includes(m)));
      if (layer.paramNames.length === 0 && LITERAL_PATH.test(path) && !shadowed) {
        for (const method of layer.methods) {
          const key = `${method} ${path}`;
          if (!exact.has(key)) exact.set(key, { bound, layer });
        }
      }
      seen.push(layer);
      earlier.set(bound.entry.segment, seen);
    }
  }
  return exact;
}

export type { Middleware };
