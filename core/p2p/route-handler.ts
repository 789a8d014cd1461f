import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { PluginLogger, RouteRequest } from '@openred/plugin-sdk';
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
    const query = options.query ? assertValid(options.query, { ...ctx.query }, 'query') : undefined;
    const body = options.body ? assertValid(options.body, ctx.request.body, 'body') : ctx.request.body;
    const req = new PluginRequest(ctx, body, params, query, entry.plugin, pluginLog);
    const result = await handler(req);
    const status = PluginRequest.statusOf(req);
    if (result === undefined) {
      if (ctx.body === undefined || ctx.body === null) ctx.status = status ?? 204;
      else if (status) ctx.status = status;
      return;
    }
    // Objects are sent as JSON; Buffers and streams as bytes (Koa picks the content type). For plain objects
    // and arrays the JSON type is set here first: Koa would look 'json' up in the MIME database on every answer.
    if (isPlainJson(result) && !ctx.res.hasHeader('Content-Type'))
      ctx.res.setHeader('Content-Type', JSON_TYPE);
    ctx.body = result;
    ctx.status = status ?? 200;
  };
}

/** What Koa sets for a JSON body. */
const JSON_TYPE = 'application/json; charset=utf-8';

function isPlainJson(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

/**
 * What a handler receives. A class rather than an object literal so a request allocates no closures and no
 * child logger unless the handler uses them (`log` is built on first use); `status` and `header` stay safe to
 * destructure (`({ status }) => status(201)`).
 */
class PluginRequest implements RouteRequest {
  readonly peer: string | undefined;
  readonly headers: Context['headers'];
  readonly requestId: string;
  /** Parsed on first use when the route has no query schema. */
  #query: unknown;
  #status: number | undefined;
  #log: PluginLogger | undefined;
  readonly #plugin: string;
  readonly #fallbackLog: Logger;

  constructor(
    readonly koa: Context,
    readonly body: unknown,
    readonly params: unknown,
    query: unknown,
    plugin: string,
    fallbackLog: Logger,
  ) {
    this.peer = koa.state.peer as string | undefined;
    // On peer routes, the headers the peer sealed with its request; the transport's are the session layer's.
    this.headers = (koa.state.peerHeaders as Context['headers'] | undefined) ?? koa.headers;
    this.requestId = koa.state.requestId as string;
    this.#plugin = plugin;
    this.#fallbackLog = fallbackLog;
    this.#query = query;
  }

  get query(): unknown {
    return (this.#query ??= this.koa.query);
  }

  static statusOf(req: PluginRequest): number | undefined {
    return req.#status;
  }

  get log(): PluginLogger {
    const requestLog = this.koa.state.log as Logger | undefined;
    return (this.#log ??= (requestLog
      ? requestLog.child({ plugin: this.#plugin })
      : this.#fallbackLog) as unknown as PluginLogger);
  }

  get status(): (code: number) => void {
    return (code) => {
      this.#status = code;
    };
  }

  get header(): (name: string, value: string) => void {
    return (name, value) => this.koa.set(name, value);
  }
}
