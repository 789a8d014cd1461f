import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { isOpenRedError, RateLimitError } from '../errors.js';

/**
 * The one place where errors become HTTP answers: `{error: {code, message}}` with the error's status.
 * Unknown errors (bugs) answer 500 OR_ERR_INTERNAL with the request id and are logged with their stack; the
 * stack never reaches the client. Koa's own http-errors (e.g. from ctx.throw) keep their status and message
 * when they are "expose"-safe.
 */
export function errorHandler(log: Logger) {
  return async function errorHandlerMiddleware(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        sendError(ctx, 404, 'OR_ERR_NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
      } else if (ctx.status === 405 && (ctx.body === undefined || typeof ctx.body === 'string')) {
        sendError(ctx, 405, 'OR_ERR_METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`);
      }
    } catch (err) {
      const e = describeError(err, log, ctx.state.requestId as string | undefined);
      if (e.retryAfter !== undefined) ctx.set('Retry-After', String(e.retryAfter));
      sendError(ctx, e.status, e.code, e.message, e.details);
    }
  };
}

export interface DescribedError {
  status: number;
  code: string;
  message: string;
  details?: unknown;
  retryAfter?: number;
}

/**
 * What an error becomes on the wire. Also used by the p2p session layer, which seals errors instead of
 * sending them in clear. Logs 5xx (with stack, server side only).
 */
export function describeError(err: unknown, log: Logger, requestId?: string): DescribedError {
  if (isOpenRedError(err)) {
    if (err.status >= 500) log.error({ err, reqId: requestId }, err.message);
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      details: err.details,
      retryAfter: err instanceof RateLimitError ? err.retryAfterSeconds : undefined,
    };
  }
  const e = err as { status?: number; expose?: boolean; message?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    return { status: e.status, code: httpCode(e.status), message: e.message ?? 'bad request' };
  }
  log.error({ err, reqId: requestId }, 'unhandled error');
  return { status: 500, code: 'OR_ERR_INTERNAL', message: `internal error (request ${requestId ?? '-'})` };
}

export function sendError(
  ctx: Context,
  status: number,
  code: string,
  message: string,
  details?: unknown,
): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = { error: details === undefined ? { code, message } : { code, message, details } };
}

function httpCode(status: number): string {
  switch (status) {
    case 400:
      return 'OR_ERR_BAD_REQUEST';
    case 401:
      return 'OR_ERR_UNAUTHORIZED';
    case 403:
      return 'OR_ERR_FORBIDDEN';
    case 404:
      return 'OR_ERR_NOT_FOUND';
    case 405:
      return 'OR_ERR_METHOD_NOT_ALLOWED';
    case 413:
      return 'OR_ERR_BODY_TOO_LARGE';
    case 415:
      return 'OR_ERR_UNSUPPORTED_MEDIA_TYPE';
    default:
      return 'OR_ERR_HTTP_' + status;
  }
}
