import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import Koa from 'koa';
import { errorHandler } from '../../../core/http/error-handler.js';
import { jsonBody } from '../../../core/http/json-body.js';
import { closeServer, listen } from '../../../core/http/server.js';
import { silentLogger } from '../../../core/kernel/logger.js';
import { httpRequest } from '../../helpers/node-harness.js';

describe('http/json-body', () => {
  let server: http.Server;
  let url: string;
  let port: number;
  let rawAllowed = false;

  before(async () => {
    const app = new Koa();
    app.silent = true;
    app.use(errorHandler(silentLogger()));
    app.use(async (ctx, next) => {
      ctx.state.rawBodyAllowed = rawAllowed;
      // Counts 'data' listeners: zero when the body was taken as it had already arrived.
      const on = ctx.req.on.bind(ctx.req);
      let dataListeners = 0;
      ctx.req.on = ((event: string, fn: (...a: unknown[]) => void) => {
        if (event === 'data') dataListeners++;
        return on(event, fn);
      }) as typeof ctx.req.on;
      await next();
      ctx.set('x-data-listeners', String(dataListeners));
    });
    app.use(jsonBody({ maxBytes: 2048, maxDepth: 4 }));
    app.use((ctx) => {
      ctx.body = { body: ctx.request.body ?? null, raw: ctx.request.rawBody?.length ?? null };
    });
    server = http.createServer(app.callback());
    port = (await listen(server, 0, '127.0.0.1')).port;
    url = `http://127.0.0.1:${port}/`;
  });

  after(async () => {
    await closeServer(server, 100);
  });

  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    httpRequest(url, { method: 'POST', body, headers });
  const codeOf = (r: { json: unknown }) => (r.json as { error?: { code: string } }).error?.code;

  it('parses JSON and keeps the raw bytes', async () => {
    const r = await post('{"a":[1,2]}', { 'content-type': 'application/json; charset=utf-8' });
    expect(r.status).to.equal(200);
    expect(r.json).to.deep.equal({ body: { a: [1, 2] }, raw: 11 });
  });

  it('takes a body that came with its headers as it is, and reads one that trickles in, on one connection', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (received += d));
    const answer = async (n: number) => {
      for (let i = 0; i < 200 && (received.match(/HTTP\/1\.1 /g) ?? []).length < n; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      return received;
    };
    const body = '{"a":[1,2]}';
    const head = `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    socket.write(head + body);
    await answer(1);
    // Then headers and body in three writes: the body is read through the stream.
    socket.write(head);
    await new Promise((r) => setTimeout(r, 20));
    socket.write(body.slice(0, 4));
    await new Promise((r) => setTimeout(r, 20));
    socket.write(body.slice(4));
    const text = await answer(2);
    socket.destroy();
    const answers = text.split('HTTP/1.1 ').slice(1);
    expect(answers).to.have.length(2);
    for (const a of answers) {
      expect(a.startsWith('200')).to.equal(true);
      expect(a).to.include('{"body":{"a":[1,2]},"raw":11}');
    }
    expect(answers[0]).to.match(/x-data-listeners: 0/i);
    expect(answers[1]).to.match(/x-data-listeners: [1-9]/i);
  });

  it('malformed JSON is 400 OR_ERR_BAD_JSON', async () => {
    const r = await post('{"a":');
    expect(r.status).to.equal(400);
    expect(codeOf(r)).to.equal('OR_ERR_BAD_JSON');
  });

  it('a wrong content type is 415, unless the route accepts raw bodies', async () => {
    const r = await post('a=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).to.equal(415);
    expect(codeOf(r)).to.equal('OR_ERR_UNSUPPORTED_MEDIA_TYPE');
    const none = await post('{}', {});
    expect(none.status).to.equal(415);
    rawAllowed = true;
    try {
      const raw = await post('bytes', { 'content-type': 'application/octet-stream' });
      expect(raw.status).to.equal(200);
      expect(raw.json).to.deep.equal({ body: null, raw: null });
    } finally {
      rawAllowed = false;
    }
  });

  it('a body over the limit is 413, declared or streamed', async () => {
    const declared = await post(JSON.stringify({ s: 'x'.repeat(4000) }));
    expect(declared.status).to.equal(413);
    expect(codeOf(declared)).to.equal('OR_ERR_BODY_TOO_LARGE');
    // The server does not keep the connection to swallow the rest of a huge declared body.
    expect(declared.headers.connection).to.equal('close');
    // Chunked: no content-length, the limit is enforced while reading, and the connection is closed.
    const streamed = await new Promise<{ status: number; connection?: string }>((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write('[' + '0,'.repeat(200) + '0]');
      req.end();
    });
    expect(streamed).to.deep.equal({ status: 413, connection: 'close' });
  });

  it('nesting deeper than the limit is 400 OR_ERR_JSON_TOO_DEEP before parsing', async () => {
    expect((await post('[[[[1]]]]')).status).to.equal(200);
    const r = await post('[[[[[1]]]]]');
    expect(r.status).to.equal(400);
    expect(codeOf(r)).to.equal('OR_ERR_JSON_TOO_DEEP');
  });

  it('ignores bodies of GET and requests without a body', async () => {
    expect((await httpRequest(url)).json).to.deep.equal({ body: null, raw: null });
    const empty = await httpRequest(url, { method: 'POST', headers: { 'content-length': '0' } });
    expect(empty.json).to.deep.equal({ body: null, raw: null });
  });

  it('a slow client that never finishes its body is cut off by the server timeouts', async () => {
    // Real server with short timeouts: the request must be closed, not left hanging.
    const { createHttpServer } = await import('../../../core/http/server.js');
    const app = new Koa();
    app.use(jsonBody({ maxBytes: 2048, maxDepth: 4 }));
    app.use((ctx) => (ctx.body = {}));
    const limits = {
      maxBodyBytes: 2048,
      maxJsonDepth: 4,
      requestTimeoutMs: 300,
      headersTimeoutMs: 200,
      keepAliveTimeoutMs: 200,
      handlerTimeoutMs: 1000,
    };
    const slow = createHttpServer(app, limits);
    const p = (await listen(slow, 0, '127.0.0.1')).port;
    try {
      const t0 = performance.now();
      const reply = await new Promise<string>((resolve) => {
        const socket = net.connect(p, '127.0.0.1', () => {
          socket.write(
            'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
          );
        });
        let got = '';
        socket.on('data', (d) => (got += String(d)));
        socket.on('close', () => resolve(got));
        socket.on('error', () => undefined);
      });
      expect(reply).to.match(/^HTTP\/1\.1 408/);
      expect(performance.now() - t0).to.be.lessThan(5000);
    } finally {
      await closeServer(slow, 100);
    }
  });
});
