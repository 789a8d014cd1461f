/**
 * Requests Node's HTTP parser refuses never reach Koa; the server still answers them with the JSON error
 * shape (found by the HTTP fuzz suite: a URL or header over 16 KiB got a 431 with an empty body).
 */
import { expect } from 'chai';
import { connect } from 'node:net';
import Koa from 'koa';
import { closeServer, createHttpServer, listen } from '../../../core/http/server.js';
import { defaultHttpLimits } from '../../../core/http/limits.js';

/** Writes raw bytes and returns everything the server sent back before closing. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (c: Buffer) => (out += c.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    socket.write(request);
  });
}

describe('http/server: requests refused by the HTTP parser', () => {
  let server: ReturnType<typeof createHttpServer>;
  let port: number;

  before(async () => {
    const app = new Koa();
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    server = createHttpServer(app, defaultHttpLimits);
    ({ port } = await listen(server, 0, '127.0.0.1'));
  });
  after(() => closeServer(server, 10));

  const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as unknown;

  it('a URL over the header size limit answers 431 OR_ERR_HEADERS_TOO_LARGE as JSON', async () => {
    const raw = await rawExchange(port, `GET /health?${'A'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(raw).to.match(/^HTTP\/1\.1 431 /);
    expect(raw).to.match(/content-type: application\/json/i);
    expect(bodyOf(raw)).to.deep.equal({
      error: { code: 'OR_ERR_HEADERS_TOO_LARGE', message: 'request line and headers are too large' },
    });
  });

  it('a malformed request line answers 400 OR_ERR_BAD_REQUEST as JSON', async () => {
    const raw = await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(raw).to.match(/^HTTP\/1\.1 400 /);
    expect((bodyOf(raw) as { error: { code: string } }).error.code).to.equal('OR_ERR_BAD_REQUEST');
  });
});
