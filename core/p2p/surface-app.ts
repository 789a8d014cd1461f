import Koa from 'koa';
import type Router from '@koa/router';
import type { Logger } from 'pino';
import { errorHandler } from '../http/error-handler.js';
import { requestContext } from '../http/request-context.js';
import type { HttpLimits } from '../http/limits.js';
import type { Surface } from '../plugins/route-entry.js';
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
}): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true; // errors are logged by errorHandler, with request ids
  app.use(errorHandler(options.log));
  app.use(requestContext(options.log, options.limits.handlerTimeoutMs));
  if (options.kernelRouter) {
    const router = options.kernelRouter;
    const routes = router.routes() as unknown as Koa.Middleware;
    const allowedMethods = router.allowedMethods({ throw: false }) as unknown as Koa.Middleware;
    // Most requests are for plugins: enter the kernel router (which parses the Host header and builds a
    // middleware chain per request) only when one of its routes matches the path.
    app.use((ctx, next) =>
      router.match(ctx.path, ctx.method).path.length > 0
        ? routes(ctx, () => allowedMethods(ctx, next))
        : next(),
    );
  }
  app.use(options.dispatcher.middleware(options.surface));
  return app;
}
