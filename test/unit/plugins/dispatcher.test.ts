import { expect } from 'chai';
import http from 'node:http';
import { container } from 'tsyringe';
import type { RouteHandler, RouteOptions } from '@openred/plugin-sdk';
import { Dispatcher } from '../../../core/p2p/dispatcher.js';
import { createSurfaceApp } from '../../../core/p2p/surface-app.js';
import { PluginGeneration } from '../../../core/plugins/generation.js';
import { firstSegmentOf } from '../../../core/plugins/route-path.js';
import type { HttpMethod } from '@openred/plugin-sdk';
import { closeServer, listen } from '../../../core/http/server.js';
import { defaultHttpLimits } from '../../../core/http/limits.js';
import { silentLogger } from '../../../core/kernel/logger.js';
import { httpRequest } from '../../helpers/node-harness.js';

const log = silentLogger();

function generation(plugin: string, routes: Array<[HttpMethod, string, RouteHandler, RouteOptions?]>) {
  const g = new PluginGeneration(plugin, '1.0.0', container.createChildContainer());
  for (const [method, path, handler, options] of routes) {
    g.addRoute({
      plugin,
      surface: 'api',
      method,
      path,
      segment: firstSegmentOf(plugin, path),
      options: (options ?? {}) as RouteOptions<unknown, unknown, unknown>,
      handler,
    });
  }
  g.seal(log);
  return g;
}

describe('p2p/dispatcher (with the surface app)', () => {
  let server: http.Server;
  let base: string;
  const dispatcher = new Dispatcher(log);
  const freed: string[] = [];
  const onFree = (g: PluginGeneration) => freed.push(`${g.plugin}#${g.id}`);

  before(async () => {
    const app = createSurfaceApp({ surface: 'api', dispatcher, limits: defaultHttpLimits, log });
    server = http.createServer(app.callback());
    base = `http://127.0.0.1:${(await listen(server, 0, '127.0.0.1')).port}`;
  });

  after(async () => {
    await closeServer(server, 100);
  });

  const get = async (path: string, method = 'GET') => {
    const r = await httpRequest(base + path, { method });
    return { status: r.status, json: r.json as Record<string, unknown> };
  };

  it('the first declared route that matches wins, literal or not, within and across plugins', async () => {
    dispatcher.swap(
      [
        generation('a', [
          ['GET', '/items/:id', (req) => ({ by: 'a:param', params: req.params })],
          ['GET', '/items/special', () => ({ by: 'a:literal' })],
          ['GET', '/plain', () => ({ by: 'a:plain' })],
          ['POST', '/plain', () => ({ by: 'a:plain-post' })],
        ]),
        generation('b', [
          ['GET', '/plain', () => ({ by: 'b:plain' })],
          ['GET', '/other', () => ({ by: 'b:other' })],
        ]),
      ],
      onFree,
    );
    expect((await get('/api/items/special')).json).to.deep.equal({
      by: 'a:param',
      params: { id: 'special' },
    });
    expect((await get('/api/items/x%20y')).json).to.deep.equal({ by: 'a:param', params: { id: 'x y' } });
    expect((await get('/api/plain')).json).to.deep.equal({ by: 'a:plain' });
    expect((await get('/api/plain', 'POST')).json).to.deep.equal({ by: 'a:plain-post' });
    expect((await get('/api/other')).json).to.deep.equal({ by: 'b:other' });
    // Like @koa/router: a trailing slash is tolerated.
    expect((await get('/api/plain/')).json).to.deep.equal({ by: 'a:plain' });
  });

  it('answers HEAD from GET routes, 405 for a known path with another method, 404 otherwise', async () => {
    expect((await get('/api/other', 'HEAD')).status).to.equal(200);
    expect((await get('/api/other', 'DELETE')).status).to.equal(405);
    expect((await get('/api/items/1', 'PUT')).status).to.equal(405);
    expect((await get('/api/unknown')).status).to.equal(404);
    expect((await get('/api')).status).to.equal(404);
  });

  it('frees a replaced generation only when the requests holding it have finished', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const v1 = generation('slow', [
      [
        'GET',
        '/slow',
        async () => {
          started();
          await gate;
          return { v: 1 };
        },
      ],
    ]);
    dispatcher.swap([v1], onFree);
    freed.length = 0;
    const inflight = get('/api/slow');
    await running;
    const v2 = generation('slow', [['GET', '/slow', () => ({ v: 2 })]]);
    dispatcher.swap([v2], onFree);
    expect((await get('/api/slow')).json).to.deep.equal({ v: 2 });
    expect(freed).to.deep.equal([]); // v1 still serves a request
    release();
    expect((await inflight).json).to.deep.equal({ v: 1 });
    expect(freed).to.deep.equal([`slow#${v1.id}`]);
    expect(v1.holders).to.equal(0);
    expect(v2.holders).to.equal(1);
  });

  it('frees at once when nothing is in flight, and keeps generations that stay in the new table', () => {
    const keep = generation('keep', [['GET', '/keep', () => ({})]]);
    const drop = generation('drop', [['GET', '/drop', () => ({})]]);
    dispatcher.swap([keep, drop], onFree);
    freed.length = 0;
    dispatcher.swap([keep], onFree);
    expect(freed).to.deep.equal([`drop#${drop.id}`]);
    expect(keep.holders).to.equal(1);
  });

  it("answers objects and arrays as JSON with Koa's content type, and keeps a type the route set", async () => {
    class Point {
      x = 1;
    }
    dispatcher.swap(
      [
        generation('t', [
          ['GET', '/object', () => ({ a: 1 })],
          ['GET', '/array', () => [1, 2]],
          ['GET', '/instance', () => new Point()],
          [
            'GET',
            '/typed',
            (req) => {
              req.koa.type = 'application/problem+json';
              return { title: 'x' };
            },
          ],
          ['GET', '/text', () => Buffer.from('bytes')],
        ]),
      ],
      onFree,
    );
    const json = 'application/json; charset=utf-8';
    for (const [path, type, body] of [
      ['/api/object', json, '{"a":1}'],
      ['/api/array', json, '[1,2]'],
      ['/api/instance', json, '{"x":1}'],
      ['/api/typed', 'application/problem+json', '{"title":"x"}'],
      ['/api/text', 'application/octet-stream', 'bytes'],
    ]) {
      const r = await httpRequest(base + path!);
      expect([r.status, r.headers['content-type'], r.text], path).to.deep.equal([200, type, body]);
    }
  });
});
