import { expect } from 'chai';
import http from 'node:http';
import { Writable } from 'node:stream';
import Koa from 'koa';
import { pino } from 'pino';
import { errors as sdkErrors } from '@openred/plugin-sdk';
import { errorHandler } from '../../../core/http/error-handler.js';
import { requestContext } from '../../../core/http/request-context.js';
import { listen, closeServer } from '../../../core/http/server.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OpenRedError,
  RateLimitError,
  UnauthorizedError,
  UpstreamError,
  ValidationError,
} from '../../../core/errors.js';
import { httpRequest } from '../../helpers/node-harness.js';

type Thrower = (ctx: Koa.Context) => unknown;

describe('http/error-handler', () => {
  let server: http.Server;
  let base: string;
  const logLines: Array<Record<string, unknown>> = [];
  let handler: Thrower = () => undefined;

  before(async () => {
    const stream = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        cb();
      },
    });
    const log = pino({ level: 'error' }, stream);
    const app = new Koa();
    app.silent = true;
    app.use(errorHandler(log));
    app.use(requestContext(log, 100));
    app.use(async (ctx) => {
      await handler(ctx);
    });
    server = http.createServer(app.callback());
    const addr = await listen(server, 0, '127.0.0.1');
    base = `http://127.0.0.1:${addr.port}`;
  });

  after(async () => {
    await closeServer(server, 100);
  });

  const answer = async (fn: Thrower, headers: Record<string, string> = {}) => {
    handler = fn;
    return httpRequest(base + '/x', { headers });
  };

  it('maps each OpenRedError to its status, code and message', async () => {
    const cases: Array<[Error, number, string]> = [
      [new ValidationError('body/x must be integer', ['body/x must be integer']), 400, 'OR_ERR_VALIDATION'],
      [new UnauthorizedError('who are you'), 401, 'OR_ERR_UNAUTHORIZED'],
      [new ForbiddenError('not yours'), 403, 'OR_ERR_FORBIDDEN'],
      [new NotFoundError('no such thing', 'OR_ERR_NO_THING'), 404, 'OR_ERR_NO_THING'],
      [new ConflictError('exists'), 409, 'OR_ERR_CONFLICT'],
      [new UpstreamError('peer down'), 502, 'OR_ERR_UPSTREAM'],
      [new OpenRedError('OR_ERR_CUSTOM', 'custom', 418), 418, 'OR_ERR_CUSTOM'],
    ];
    for (const [err, status, code] of cases) {
      const res = await answer(() => {
        throw err;
      });
      expect(res.status, code).to.equal(status);
      expect(res.headers['content-type']).to.match(/application\/json/);
      expect((res.json as { error: { code: string; message: string } }).error).to.include({
        code,
        message: err.message,
      });
    }
  });

  it('includes details when the error has them', async () => {
    const res = await answer(() => {
      throw new ValidationError('bad', ['a is required', 'b must be string']);
    });
    expect(res.json).to.deep.equal({
      error: { code: 'OR_ERR_VALIDATION', message: 'bad', details: ['a is required', 'b must be string'] },
    });
  });

  it('recognises errors thrown with the plugin SDK (their own class, same brand)', async () => {
    const res = await answer(() => {
      throw sdkErrors.gone('OR_ERR_LINK_EXPIRED', 'this link has expired');
    });
    expect(res.status).to.equal(410);
    expect(res.json).to.deep.equal({
      error: { code: 'OR_ERR_LINK_EXPIRED', message: 'this link has expired' },
    });
  });

  it('sets Retry-After for a RateLimitError', async () => {
    const res = await answer(() => {
      throw new RateLimitError('too many requests; retry in 7 s', 7);
    });
    expect(res.status).to.equal(429);
    expect(res.headers['retry-after']).to.equal('7');
    expect((res.json as { error: { code: string } }).error.code).to.equal('OR_ERR_RATE_LIMITED');
  });

  it('an unknown error is a 500 OR_ERR_INTERNAL with the request id, no message and no stack', async () => {
    logLines.length = 0;
    const res = await answer(
      () => {
        throw new TypeError('secret internals at /srv/app.ts:12');
      },
      { 'x-request-id': 'req-123' },
    );
    expect(res.status).to.equal(500);
    expect(res.json).to.deep.equal({
      error: { code: 'OR_ERR_INTERNAL', message: 'internal error (request req-123)' },
    });
    expect(res.text).not.to.match(/secret|stack|\.ts:|at /);
    // The stack goes to the log, tagged with the request id.
    const line = logLines.find((l) => l.reqId === 'req-123')!;
    expect((line.err as { stack: string }).stack).to.contain('secret internals');
  });

  it('a thrown non-Error value is still a 500 JSON answer', async () => {
    const res = await answer(() => {
      throw 'a string';
    });
    expect(res.status).to.equal(500);
    expect((res.json as { error: { code: string } }).error.code).to.equal('OR_ERR_INTERNAL');
  });

  it("keeps Koa's exposed 4xx errors, with an OR_ERR code, and hides non-exposed ones", async () => {
    const bad = await answer((ctx) => ctx.throw(400, 'bad thing'));
    expect(bad.status).to.equal(400);
    expect(bad.json).to.deep.equal({ error: { code: 'OR_ERR_BAD_REQUEST', message: 'bad thing' } });
    const hidden = await answer((ctx) => ctx.throw(500, 'db password is hunter2'));
    expect(hidden.status).to.equal(500);
    expect(hidden.text).not.to.contain('hunter2');
  });

  it('turns an unmatched request into a JSON 404', async () => {
    const res = await answer(() => undefined);
    expect(res.status).to.equal(404);
    expect(res.json).to.deep.equal({ error: { code: 'OR_ERR_NOT_FOUND', message: 'no route for GET /x' } });
  });

  it('a handler slower than the timeout answers 503 OR_ERR_TIMEOUT', async () => {
    const res = await answer(() => new Promise(() => undefined));
    expect(res.status).to.equal(503);
    expect((res.json as { error: { code: string } }).error.code).to.equal('OR_ERR_TIMEOUT');
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const ok = await answer((ctx) => (ctx.body = { id: ctx.state.requestId }), {
      'x-request-id': 'abc.DEF-1_2',
    });
    expect(ok.headers['x-request-id']).to.equal('abc.DEF-1_2');
    expect(ok.json).to.deep.equal({ id: 'abc.DEF-1_2' });
    const bad = await answer((ctx) => (ctx.body = { id: ctx.state.requestId }), {
      'x-request-id': 'a b<script>',
    });
    expect(bad.headers['x-request-id']).to.match(/^[0-9a-f]{12}-[0-9a-z]+$/);
    const other = await answer(() => undefined);
    expect(other.headers['x-request-id']).to.not.equal(bad.headers['x-request-id']);
  });
});
