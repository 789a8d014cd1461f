import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { DispatchFailure, dispatchToPeer } from '../../../core/p2p/sessions/peer-dispatch.js';

describe('p2p: dispatching a request to a peer', () => {
  let server: Server;
  let pool: Pool;
  let origin: string;

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const size = Number(url.searchParams.get('size') ?? 0);
      const body = Buffer.alloc(size, 7);
      if (url.pathname === '/declared') {
        res.writeHead(200, { 'content-length': size, 'openred-sealed': 'pre', 'x-other': 'dropped' });
        res.end(body);
      } else if (url.pathname === '/chunked') {
        res.writeHead(200, { 'openred-status': '201' });
        for (let at = 0; at < size; at += 1000) res.write(body.subarray(at, at + 1000));
        res.end();
      } else if (url.pathname === '/stall') {
        res.writeHead(200, { 'content-length': 100 });
        res.write(body.subarray(0, 10)); // and never the rest
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    pool = new Pool(origin, { connections: 2 });
  });
  after(async () => {
    await pool.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const send = (path: string, extra: { maxBytes?: number; into?: Buffer; timeoutMs?: number } = {}) =>
    dispatchToPeer(pool, { method: 'GET', path, headers: {}, body: undefined, maxBytes: 1 << 20, ...extra });

  it('gathers the body and keeps only the headers the session layer reads', async () => {
    const a = await send('/declared?size=5000');
    expect([a.status, a.raw.length, a.raw.every((b) => b === 7)]).to.deep.equal([200, 5000, true]);
    expect(a.headers).to.deep.equal({ 'content-length': '5000', 'openred-sealed': 'pre' });
    const c = await send('/chunked?size=3500');
    expect([c.raw.length, c.headers['openred-status']]).to.deep.equal([3500, '201']);
    expect((await send('/declared?size=0')).raw.length).to.equal(0);
  });

  it('reads a declared answer that fits into the given buffer, and a larger one into a fresh buffer', async () => {
    const into = Buffer.alloc(8000);
    const a = await send('/declared?size=6000', { into });
    expect([a.raw.buffer === into.buffer, a.raw.byteOffset, a.raw.length]).to.deep.equal([true, 0, 6000]);
    const small = Buffer.alloc(100);
    const b = await send('/declared?size=6000', { into: small });
    expect([b.raw.buffer === small.buffer, b.raw.length]).to.deep.equal([false, 6000]);
    const c = await send('/chunked?size=3000', { into }); // no declared length: not read into the buffer
    expect(c.raw.buffer === into.buffer).to.equal(false);
  });

  it('refuses answers above the limit, declared or not', async () => {
    for (const path of ['/declared?size=5000', '/chunked?size=5000']) {
      try {
        await send(path, { maxBytes: 4000 });
        expect.fail(`${path} accepted`);
      } catch (err) {
        expect(err, path).to.include({ code: 'OR_ERR_PEER_ANSWER' });
      }
    }
    expect((await send('/declared?size=100')).raw.length).to.equal(100); // the pool still works
  });

  it('tells a failure before the answer from one in the middle of it', async () => {
    try {
      await send('/stall', { timeoutMs: 200 });
      expect.fail('stalled answer accepted');
    } catch (err) {
      expect(err).to.be.instanceOf(DispatchFailure);
      expect((err as DispatchFailure).phase).to.equal('body');
      expect(((err as DispatchFailure).cause as Error).name).to.equal('TimeoutError');
    }
    const closed = new Pool('http://127.0.0.1:1', { connections: 1 });
    try {
      await dispatchToPeer(closed, { method: 'GET', path: '/', headers: {}, body: undefined, maxBytes: 100 });
      expect.fail('connected to port 1');
    } catch (err) {
      expect((err as DispatchFailure).phase).to.equal('request');
      expect(((err as DispatchFailure).cause as { code?: string }).code).to.equal('ECONNREFUSED');
    } finally {
      await closed.destroy();
    }
  });
});
