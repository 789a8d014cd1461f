import { PassThrough } from 'node:stream';
import { PluginHttpError, type EventBus, type RouteRequest } from '@openred/plugin-sdk';

/** The events the owner's live view follows. */
export const STREAMED_EVENTS = ['message.received', 'message.delivered', 'message.failed'] as const;

export interface EventStreamOptions {
  /**
   * A stream ends after this long and the client reconnects (`retry` below): an endless request would hold
   * the plugin version that served it, delaying hot reloads and shutdown by their full drain time.
   */
  maxMs: number;
  /** A comment line this often keeps proxies and idle-socket timeouts from closing a quiet stream. */
  heartbeatMs: number;
}

/**
 * Answers one `GET /api/messages/events` request with a Server-Sent Events stream of message events
 * (`event: message.received`, `data: <the event's JSON payload>`). Returns the stream as the response body.
 */
export function openEventStream(
  req: RouteRequest,
  events: EventBus,
  open: Set<PassThrough>,
  options: EventStreamOptions,
): PassThrough {
  // A client that did not ask for a stream (a plain GET) would wait for its end: tell it instead.
  const accept = req.headers.accept;
  if (!(Array.isArray(accept) ? accept.join(',') : (accept ?? '')).includes('text/event-stream')) {
    throw new PluginHttpError(
      'OR_ERR_NOT_ACCEPTABLE',
      'this route streams Server-Sent Events: send Accept: text/event-stream',
      406,
    );
  }
  const stream = new PassThrough();
  const offs = STREAMED_EVENTS.map((name) =>
    events.on(name, (payload) => {
      stream.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    }),
  );
  const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), options.heartbeatMs);
  const lifetime = setTimeout(() => stream.end(), options.maxMs);
  const close = (): void => {
    clearInterval(heartbeat);
    clearTimeout(lifetime);
    for (const off of offs) off();
    open.delete(stream);
    if (!stream.writableEnded) stream.end();
  };
  stream.on('close', close).on('finish', close);
  req.koa.req.on('close', close);
  open.add(stream);

  req.header('Content-Type', 'text/event-stream; charset=utf-8');
  req.header('Cache-Control', 'no-store');
  req.header('X-Accel-Buffering', 'no');
  stream.write(`retry: 1000\n: open\n\n`);
  return stream;
}
