import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import type { HttpLimits } from './limits.js';

/**
 * Creates an http.Server for a Koa app with timeouts that really close slow clients: Node only checks
 * request/headers timeouts every `connectionsCheckingInterval` (30 s by default), so it is lowered too.
 */
export function createHttpServer(app: Koa, limits: HttpLimits): Server {
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    app.callback(),
  );
  server.maxHeadersCount = 100;
  server.on('clientError', answerClientError);
  return server;
}

/**
 * Requests Node's HTTP parser refuses (headers or URL over the size limit, malformed request lines, slow
 * clients) never reach Koa. Node's default answer has an empty body; answer in the same `{error: {code,
 * message}}` shape as every other refusal, then close the connection as Node does.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const pending = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message]: [number, string, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'OR_ERR_HEADERS_TOO_LARGE', 'request line and headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'OR_ERR_REQUEST_TIMEOUT', 'the request took too long to arrive']
        : [400, 'OR_ERR_BAD_REQUEST', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  // end() alone only half-closes (HTTP server sockets allow half-open connections): a slow client that never
  // reads the answer and keeps sending would hold the socket forever. Close it once the answer is flushed.
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes remaining sockets. */
export async function closeServer(server: Server, graceMs = 5000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // close() only drops the connections idle at that moment: a keep-alive connection whose request was still
  // running stays open after its response until keepAliveTimeout (seconds). Drop connections as they go idle.
  const sweep = setInterval(() => server.closeIdleConnections(), 20);
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  sweep.unref();
  timer.unref();
  await closed;
  clearInterval(sweep);
  clearTimeout(timer);
}
