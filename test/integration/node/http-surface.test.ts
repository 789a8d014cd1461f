import { expect } from 'chai';
import { startNode, Workspace, type HttpResult, type TestNode } from '../../helpers/node-harness.js';

const echoPlugin = `import { definePlugin, errors } from '@openred/plugin-sdk';
export default definePlugin({
  name: 'echo',
  version: '1.2.3',
  setup(ctx) {
    ctx.api.post('/echo', {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['text'],
        properties: { text: { type: 'string', maxLength: 20 }, n: { type: 'integer', minimum: 0 } },
      },
    }, (req) => ({ got: req.body, peer: req.peer ?? null }));
    ctx.api.post('/echo/created', ({ status, header }) => {
      status(201);
      header('X-Made-By', 'echo');
      return { created: true };
    });
    ctx.api.delete('/echo/nothing', () => undefined);
    ctx.p2p.post('/echo', (req) => ({ peer: req.peer, got: req.body }));
    ctx.api.get('/echo/boom', () => { throw new Error('secret detail from /srv/plugins/echo/index.ts:14'); });
    ctx.api.get('/echo/gone', () => { throw errors.gone('OR_ERR_ECHO_GONE', 'it is gone'); });
    ctx.api.get('/echo/async-boom', async () => { await Promise.resolve(); throw new TypeError('async secret'); });
    // Declared last: the first declared route that matches a path wins.
    ctx.api.get('/echo/:id', { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z]+$' } } } },
      (req) => ({ id: req.params.id, query: req.query }));
  },
});
`;

const stampPlugin = `import { definePlugin } from '@openred/plugin-sdk';
export default definePlugin({
  name: 'stamp',
  version: '1.0.0',
  setup(ctx) {
    ctx.middleware.use(async (koa, next) => { await next(); koa.set('X-Stamp', 'api:' + koa.state.route.plugin); }, { scope: 'api' });
    ctx.p2p.get('/stamp', () => ({ ok: true }));
  },
});
`;

const errorCode = (r: HttpResult) => (r.json as { error?: { code?: string } } | undefined)?.error?.code;

describe('node: HTTP surfaces and plugin routes', () => {
  let ws: Workspace;
  let t: TestNode;

  before(async () => {
    ws = await Workspace.create();
    await ws.writePlugin('echo', echoPlugin);
    await ws.writePlugin('stamp', stampPlugin);
    t = await startNode(ws, { config: { server: { limits: { maxBodyBytes: 4096 } } } });
  });

  after(async () => {
    await t?.stop();
    await ws?.cleanup();
  });

  const postJson = (surface: 'p2p' | 'api', path: string, body: string, type = 'application/json') =>
    t.request(surface, path, { method: 'POST', body, headers: { 'content-type': type } });

  it('serves plugin routes, with params, query and a request id', async () => {
    const post = await t.request('api', '/api/echo', { method: 'POST', json: { text: 'hi', n: 2 } });
    expect(post.status).to.equal(200);
    expect(post.json).to.deep.equal({ got: { text: 'hi', n: 2 }, peer: null });
    const get = await t.request('api', '/api/echo/abc?x=1');
    expect(get.status).to.equal(200);
    expect(get.json).to.deep.equal({ id: 'abc', query: { x: '1' } });
    expect(get.headers['x-request-id']).to.be.a('string');
  });

  it('peer routes refuse requests without a session (401), before any plugin code runs', async () => {
    const r = await t.request('p2p', '/p2p/echo', { method: 'POST', json: { text: 'hi' } });
    expect(r.status).to.equal(401);
    expect(errorCode(r)).to.equal('OR_ERR_SESSION_REQUIRED');
    // Peers get no request id: a generated one counts every request the node serves.
    expect(r.headers['x-request-id']).to.equal(undefined);
  });

  it('keeps the surfaces apart: an /api route is not served on the peer port and vice versa', async () => {
    expect((await t.request('p2p', '/api/echo/abc')).status).to.equal(404);
    expect((await t.request('api', '/p2p/stamp')).status).to.equal(404);
  });

  it('lets handlers set the status and headers, and answers 204 for no result', async () => {
    const created = await t.request('api', '/api/echo/created', { method: 'POST' });
    expect(created.status).to.equal(201);
    expect(created.headers['x-made-by']).to.equal('echo');
    expect((await t.request('api', '/api/echo/nothing', { method: 'DELETE' })).status).to.equal(204);
  });

  it('answers HEAD for GET routes without a body', async () => {
    const head = await t.request('api', '/api/echo/abc', { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(head.text).to.equal('');
  });

  it('validates bodies: 400 OR_ERR_VALIDATION naming every problem', async () => {
    const r = await t.request('api', '/api/echo', { method: 'POST', json: { text: 5, n: -1, extra: true } });
    expect(r.status).to.equal(400);
    expect(errorCode(r)).to.equal('OR_ERR_VALIDATION');
    expect((r.json as { error: { details: string[] } }).error.details).to.have.members([
      'body/text must be string',
      'body/n must be >= 0',
      'body/extra is not allowed',
    ]);
    const missing = await postJson('api', '/api/echo', '');
    expect(missing.status).to.equal(400);
    expect(errorCode(missing)).to.equal('OR_ERR_VALIDATION');
  });

  it('validates path parameters', async () => {
    const r = await t.request('api', '/api/echo/ABC');
    expect(r.status).to.equal(400);
    expect((r.json as { error: { message: string } }).error.message).to.contain(
      'params/id must match pattern',
    );
  });

  it('malformed JSON is 400 OR_ERR_BAD_JSON on both surfaces', async () => {
    for (const [surface, path] of [
      ['api', '/api/echo'],
      ['p2p', '/p2p/echo'],
    ] as const) {
      const r = await postJson(surface, path, '{"text": "hi"');
      expect(r.status, surface).to.equal(400);
      expect(errorCode(r), surface).to.equal('OR_ERR_BAD_JSON');
    }
  });

  it('a wrong content type is 415 OR_ERR_UNSUPPORTED_MEDIA_TYPE on both surfaces', async () => {
    for (const [surface, path] of [
      ['api', '/api/echo'],
      ['p2p', '/p2p/echo'],
    ] as const) {
      const r = await postJson(surface, path, 'text=hi', 'application/x-www-form-urlencoded');
      expect(r.status, surface).to.equal(415);
      expect(errorCode(r), surface).to.equal('OR_ERR_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('an oversized body is 413 OR_ERR_BODY_TOO_LARGE on both surfaces', async () => {
    for (const [surface, path] of [
      ['api', '/api/echo'],
      ['p2p', '/p2p/echo'],
    ] as const) {
      const r = await t.request(surface, path, { method: 'POST', json: { text: 'x'.repeat(10_000) } });
      expect(r.status, surface).to.equal(413);
      expect(errorCode(r), surface).to.equal('OR_ERR_BODY_TOO_LARGE');
    }
  });

  it('a 1,000,000-deep JSON body is 400 OR_ERR_JSON_TOO_DEEP and the node keeps serving', async () => {
    // A node whose body limit lets 2 MB through: the depth check must run before JSON.parse.
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const big = await startNode(ws, { config: { server: { limits: { maxBodyBytes: 4 * 1024 * 1024 } } } });
    try {
      for (const [surface, path] of [
        ['api', '/api/echo'],
        ['p2p', '/p2p/echo'],
      ] as const) {
        const r = await big.request(surface, path, {
          method: 'POST',
          body: deep,
          headers: { 'content-type': 'application/json' },
        });
        expect(r.status, surface).to.equal(400);
        expect(errorCode(r), surface).to.equal('OR_ERR_JSON_TOO_DEEP');
      }
      const after = await big.request('api', '/api/echo', { method: 'POST', json: { text: 'still here' } });
      expect(after.status).to.equal(200);
    } finally {
      await big.stop();
    }
  });

  it('an unknown route is 404 OR_ERR_NOT_FOUND on both surfaces', async () => {
    for (const [surface, path] of [
      ['p2p', '/p2p/nothing-here'],
      ['api', '/api/echo/abc/deeper'],
      ['api', '/api/nothing'],
      ['api', '/'],
      ['p2p', '/favicon.ico'],
    ] as const) {
      const r = await t.request(surface, path);
      expect(r.status, path).to.equal(404);
      expect(errorCode(r), path).to.equal('OR_ERR_NOT_FOUND');
    }
  });

  it('a wrong method is 405 OR_ERR_METHOD_NOT_ALLOWED, for plugin and kernel routes', async () => {
    for (const [surface, path] of [
      ['api', '/api/echo'],
      ['p2p', '/p2p/echo'],
      ['api', '/api/node/status'],
    ] as const) {
      const r = await t.request(surface, path, { method: 'PUT', json: {} });
      expect(r.status, path).to.equal(405);
      expect(errorCode(r), path).to.equal('OR_ERR_METHOD_NOT_ALLOWED');
    }
  });

  it('a handler that throws answers 500 OR_ERR_INTERNAL without any detail or stack', async () => {
    for (const path of ['/api/echo/boom', '/api/echo/async-boom']) {
      const r = await t.request('api', path);
      expect(r.status).to.equal(500);
      expect(errorCode(r)).to.equal('OR_ERR_INTERNAL');
      expect(r.text).not.to.match(/secret|\/srv|index\.ts|\bat\b/);
    }
    // ...and nothing else is affected.
    expect((await t.request('api', '/api/echo/abc')).status).to.equal(200);
  });

  it('errors from the SDK keep their status and code', async () => {
    const r = await t.request('api', '/api/echo/gone');
    expect(r.status).to.equal(410);
    expect(r.json).to.deep.equal({ error: { code: 'OR_ERR_ECHO_GONE', message: 'it is gone' } });
  });

  it("a plugin's middleware wraps every route of its surface, other plugins' included", async () => {
    const api = await t.request('api', '/api/echo/abc');
    expect(api.headers['x-stamp']).to.equal('api:echo');
    const unmatched = await t.request('api', '/api/nothing');
    expect(unmatched.headers['x-stamp']).to.equal(undefined);
  });

  it('reports the node and its plugins on the owner API', async () => {
    const status = (await t.request('api', '/api/node/status')).json as Record<string, unknown>;
    expect(status.node_id).to.equal(t.node.id);
    expect(status.plugins).to.deep.equal({ active: 2, failed: [] });
    const { plugins } = await t.plugins();
    const echo = plugins.find((p) => p.name === 'echo')!;
    expect(echo).to.include({ version: '1.2.3', state: 'active', lastError: null, reloads: 0 });
    expect(echo.routes).to.deep.equal({ p2p: 1, api: 7 });
  });
});
