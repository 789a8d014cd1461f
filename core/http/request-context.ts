import { randomBytes } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { OpenRedError } from '../errors.js';
import { DeadlineQueue, type Deadline } from './deadlines.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

// Request ids only need to be unique, not secret: a random per-process prefix and a counter cost a fraction
// of a UUID on every request.
const ID_PREFIX = randomBytes(6).toString('hex');
let lastId = 0;

/**
 * `ctx.state` of every request: its id and a child logger tagged with it, built on first use (a pino child
 * costs more than the rest of this middleware, and most requests never log).
 */
export class RequestState {
  [key: string | symbol]: unknown;
  readonly requestId: string;
  readonly #base: Logger;
  #log: Logger | undefined;

  constructor(base: Logger, requestId: string) {
    this.#base = base;
    this.requestId = requestId;
  }

  get log(): Logger {
    return (this.#log ??= this.#base.child({ reqId: this.requestId }));
  }

  set log(value: Logger) {
    this.#log = value;
  }
}

/**
 * Gives each request an id (the caller's `X-Request-Id` when well-formed, else a new one), a child logger,
 * a timeout for the handler, and one structured log line when it ends. `onRequest`, when given, is told
 * about each request as it starts (the kernel's request observers hook in there). The id is sent back in
 * `X-Request-Id` unless `exposeId` is false: the p2p surface keeps it to its logs, since a generated id is a
 * process-wide counter that would tell every peer how many requests the node serves.
 */
export function requestContext(
  log: Logger,
  handlerTimeoutMs: number,
  onRequest?: (ctx: Context, startedAt: number) => void,
  exposeId = true,
) {
  const deadlines = new DeadlineQueue(
    handlerTimeoutMs,
    () => new OpenRedError('OR_ERR_TIMEOUT', `request took longer than ${handlerTimeoutMs} ms`, 503),
  );
  return async function requestContextMiddleware(ctx: Context, next: Next): Promise<void> {
    const given = ctx.get('x-request-id');
    const id = REQUEST_ID.test(given) ? given : `${ID_PREFIX}-${(++lastId).toString(36)}`;
    ctx.state = Object.assign(new RequestState(log, id), ctx.state);
    if (exposeId) ctx.res.setHeader('X-Request-Id', id);
    const started = performance.now();
    onRequest?.(ctx, started);
    // The handler races its deadline: whichever settles this promise first wins (see deadlines.ts).
    let deadline: Deadline | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        deadline = deadlines.add(started, reject);
        next().then(resolve, reject);
      });
    } finally {
      deadlines.remove(deadline!);
      const ms = performance.now() - started;
      ctx.state.durationMs = ms;
      if (ms > 1000 || ctx.status >= 500) {
        log.info({ reqId: id, method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
      } else if (log.isLevelEnabled('debug')) {
        log.debug({ reqId: id, method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
      }
    }
  };
}
