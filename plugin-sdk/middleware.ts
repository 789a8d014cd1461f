import type { Context, Next } from 'koa';

/** A Koa middleware. It runs after session/owner checks and before the route handler. */
export type Middleware = (ctx: Context, next: Next) => unknown;

export interface MiddlewareOptions {
  /** Which surface it wraps: peer routes (`p2p`), owner routes (`api`), or both. */
  scope: 'p2p' | 'api' | 'both';
  /** Lower runs first (outermost). Ties keep registration order. Default 100. */
  order?: number;
  /** A name for logs and `openred plugins`. */
  name?: string;
}

export interface MiddlewareRegistrar {
  /**
   * Adds a middleware around every route of a surface, including other plugins' routes.
   * @example
   * ctx.middleware.use(async (koa, next) => { koa.set('X-Served-By', 'me'); await next(); }, { scope: 'p2p' });
   */
  use(middleware: Middleware, options: MiddlewareOptions): void;
}
