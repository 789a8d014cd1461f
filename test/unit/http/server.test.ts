import { expect } from 'chai';
import http from 'node:http';
import Koa from 'koa';
import { closeServer, createHttpServer, listen } from '../../../core/http/server.js';
import { defaultHttpLimits } from '../../../core/http/limits.js';
import { httpRequest } from '../../helpers/node-harness.js';

describe('http/server closeServer', () => {
  it('lets an in-flight request finish, then closes its keep-alive connection at once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const app = new Koa();
    app.use(async (ctx) => {
      started();
      await gate;
      ctx.body = { done: true };
    });
    // keepAliveTimeout is long on purpose: closing must not wait for it.
    const server = createHttpServer(app, { ...defaultHttpLimits, keepAliveTimeoutMs: 60_000 });
    const { port } = await listen(server, 0, '127.0.0.1');
    const agent = new http.Agent({ keepAlive: true });
    try {
      const inflight = httpRequest(`http://127.0.0.1:${port}/`, { agent });
      await running;
      const closing = closeServer(server, 30_000);
      let closed = false;
      void closing.then(() => (closed = true));
      await new Promise((r) => setImmediate(r));
      expect(closed, 'waits for the in-flight request').to.equal(false);
      expect(server.listening).to.equal(false);
      release();
      const res = await inflight;
      expect(res.status).to.equal(200);
      expect(res.json).to.deep.equal({ done: true });
      const t0 = performance.now();
      await closing;
      expect(performance.now() - t0).to.be.lessThan(2000);
    } finally {
      agent.destroy();
      release();
      await closeServer(server, 10);
    }
  });

  it('closes connections still busy after the grace period', async () => {
    const app = new Koa();
    app.use(() => new Promise(() => undefined));
    const server = createHttpServer(app, defaultHttpLimits);
    const { port } = await listen(server, 0, '127.0.0.1');
    const inflight = httpRequest(`http://127.0.0.1:${port}/`).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 20));
    await closeServer(server, 50);
    expect(await inflight).to.be.instanceOf(Error);
  });

  it('refuses a port in use with the error code', async () => {
    const a = http.createServer();
    const { port } = await listen(a, 0, '127.0.0.1');
    try {
      let error: NodeJS.ErrnoException | undefined;
      await listen(http.createServer(), port, '127.0.0.1').catch(
        (err: NodeJS.ErrnoException) => (error = err),
      );
      expect(error?.code).to.equal('EADDRINUSE');
    } finally {
      await closeServer(a, 10);
    }
  });
});
