import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  return server;
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
