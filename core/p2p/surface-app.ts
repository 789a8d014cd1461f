import Koa from 'koa';
import type Router from '@koa/router';
import type { Logger } from 'pino';
import { errorHandler } from '../http/error-handler.js';
import { requestContext } from '../http/request-context.js';
import type { HttpLimits } from '../http/limits.js';
import type { Surface } from '../plugins/route-entry.js';
import { requestSegment } from '../plugins/route-path.js';
import type { Dispatcher } from './dispatcher.js';

/**
 * The Koa app of one surface. A request goes: error handler → request context (id, timeout, log) →
 * kernel routes (handshake, token receipt, node status) → dispatcher (plugin selection, body parsing and
 * surface guards as dispatcher stages, plugin middleware, route). Anything unmatched is a JSON 404.
 */
export function createSurfaceApp(options: {
  surface: Surface;
  dispatcher: Dispatcher;
  kernelRouter?: Router;
  limits: HttpLimits;
  log: Logger;
  /** Runs before any kernel route (the owner surface's access rule; plugin routes get it as a stage). */
  kernelGuard?: Koa.Middleware;
  /** Told about every request as it starts (request observers). */
  onRequest?: (ctx: Koa.Context, startedAt: number) => void;
  /** Requests outside the surface prefix this surface also answers (`GET /metrics` on the owner surface). */
  rootRoutes?: ReadonlyMap<string, Koa.Middleware>;
}): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true; // errors are logged by errorHandler, with request ids
  app.use(errorHandler(options.log));
  app.use(
    requestContext(
      options.log,
      options.limits.handlerTimeoutMs,
      options.onRequest,
      options.surface !== 'p2p',
    ),
  );
  if (options.rootRoutes) {
    const rootRoutes = options.rootRoutes;
    app.use((ctx, next) => {
      const handler = ctx.method === 'GET' ? rootRoutes.get(ctx.path) : undefined;
      return handler ? handler(ctx, next) : next();
    });
  }
  if (options.kernelRouter) {
    const router = options.kernelRouter;
    const routes = router.routes() as unknown as Koa.Middleware;
    const allowedMethods = router.allowedMethods({ throw: false }) as unknown as Koa.Middleware;
    const mayMatch = kernelSegmentFilter(router, options.surface);
    const guard = options.kernelGuard;
    const enter = (ctx: Koa.Context, next: Koa.Next) => routes(ctx, () => allowedMethods(ctx, next));
    // Most requests are for plugins: enter the kernel router (which parses the Host header and builds a
    // middleware chain per request) only when one of its routes matches the path.
    app.use((ctx, next) =>
      mayMatch(ctx.path) && router.match(ctx.path, ctx.method).path.length > 0
        ? guard
          ? guard(ctx, () => enter(ctx, next))
          : enter(ctx, next)
        : next(),
    );
  }
  app.use(options.dispatcher.middleware(options.surface));
  return app;
}

/**
 * A cheap first check before matching the kernel router: the first path segments its routes start with
 * (`/api/node/...` -> `node`). Routes can be added until the node starts, so the set is rebuilt when the
 * router grows; a kernel route whose first segment is not literal turns the filter off.
 */
function kernelSegmentFilter(router: Router, surface: Surface): (path: string) => boolean {
  const prefix = `/${surface}/`;
  let indexed = -1;
  let segments: Set<string> | undefined;
  return (path) => {
    if (router.stack.length !== indexed) {
      indexed = router.stack.length;
      segments = new Set();
      for (const layer of router.stack) {
        const first = String(layer.path).slice(prefix.length).split('/')[0] ?? '';
        if (!String(layer.path).startsWith(prefix) || !/^[A-Za-z0-9._~-]+$/.test(first)) {
          segments = undefined;
          break;
        }
        segments.add(first);
      }
    }
    if (!segments) return true;
    return path.startsWith(prefix) && segments.has(requestSegment(path, prefix.length - 1));
  };
}
