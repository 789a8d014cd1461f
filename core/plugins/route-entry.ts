import type { Context } from 'koa';
import type { HttpMethod, RouteHandler, RouteOptions } from '@openred/plugin-sdk';

export type Surface = 'p2p' | 'api';

/** A route as a plugin declared it, before it is committed to the dispatch table. */
export interface RouteEntry {
  plugin: string;
  surface: Surface;
  method: HttpMethod;
  /** Path relative to the surface prefix, e.g. `/message`. */
  path: string;
  /** First literal segment, used to pick the plugin before any regex runs. */
  segment: string;
  options: RouteOptions<unknown, unknown, unknown>;
  handler: RouteHandler;
}

/** What a route's Koa state carries, for middleware (e.g. the owner guard reads `route.public`). */
export interface RouteState {
  plugin: string;
  surface: Surface;
  method: HttpMethod;
  path: string;
  public: boolean;
  raw: boolean;
}

export function routeStateOf(ctx: Context): RouteState | undefined {
  return ctx.state.route as RouteState | undefined;
}
