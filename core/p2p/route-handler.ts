import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { RouteRequest } from '@openred/plugin-sdk';
import { assertValid } from '../http/validation.js';
import type { RouteEntry } from '../plugins/route-entry.js';

/**
 * Wraps a plugin's handler as a Koa route: validates params, query and body against the route's schemas,
 * calls the handler with a typed request, and turns its return value into the response. The surface's
 * guards (peer session, owner check) have already run when this is reached.
 */
export function toKoaRoute(entry: RouteEntry, log: Logger) {
  const { options, handler } = entry;
  const pluginLog = log.child({ plugin: entry.plugin });
  return async function pluginRoute(ctx: Context): Promise<void> {
    const params = options.params
      ? assertValid(options.params, ctx.params ?? {}, 'params')
      : (ctx.params ?? {});
    const query = options.query ? assertValid(options.query, { ...ctx.query }, 'query') : ctx.query;
    const body = options.body ? assertValid(options.body, ctx.request.body, 'body') : ctx.request.body;
    let status: number | undefined;
    const req: RouteRequest = {
      body,
      params,
      query,
      peer: ctx.state.peer as string | undefined,
      headers: ctx.headers,
      requestId: ctx.state.requestId as string,
      log: ctx.state.log ? (ctx.state.log as Logger).child({ plugin: entry.plugin }) : pluginLog,
      status: (code) => {
        status = code;
      },
      header: (name, value) => ctx.set(name, value),
      koa: ctx,
    };
    const result = await handler(req);
    if (result === undefined) {
      if (ctx.body === undefined || ctx.body === null) ctx.status = status ?? 204;
      else if (status) ctx.status = status;
      return;
    }
    // Objects are sent as JSON; Buffers and streams as bytes (Koa picks the content type).
    ctx.body = result;
    ctx.status = status ?? 200;
  };
}
