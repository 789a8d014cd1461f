import { definePlugin, errors } from '@openred/plugin-sdk';
import { RateLimiter } from './rate-limiter.js';

/** {{description}} */
export default definePlugin({
  name: '{{pluginName}}',
  version: '0.1.0',
  description: '{{description}}',
  config: {
    type: 'object',
    properties: {
      requestsPerWindow: { type: 'integer', minimum: 1, default: 60 },
      windowSeconds: { type: 'integer', minimum: 1, default: 60 },
    },
    additionalProperties: false,
  } as const,
  setup(ctx) {
    const limiter = new RateLimiter(ctx.config.requestsPerWindow, ctx.config.windowSeconds * 1000, () =>
      ctx.clock.now(),
    );
    // @if middleware

    // Wraps every peer route of the node (other plugins' too). It runs after the session check, so the
    // caller's node id is known; `order` 10 puts it outside most other middleware.
    ctx.middleware.use(
      async (koa, next) => {
        const peer = (koa.state.session as { peerId?: string } | undefined)?.peerId ?? 'unknown';
        const waitMs = limiter.take(peer);
        if (waitMs > 0) {
          koa.set('Retry-After', String(Math.ceil(waitMs / 1000)));
          throw errors.tooManyRequests('OR_ERR_RATE_LIMITED', `too many requests from ${peer}; retry later`);
        }
        await next();
      },
      { scope: 'p2p', order: 10, name: '{{pluginName}}' },
    );
    // @endif
    // @if p2p

    // POST /p2p/{{pluginName}}/ping — a peer route to try the limit on.
    ctx.p2p.post('/{{pluginName}}/ping', (req) => ({ pong: true, peer: req.peer }));
    // @endif
    // @if api

    // GET /api/{{pluginName}}/counts — requests counted per peer in the current window.
    ctx.api.get('/{{pluginName}}/counts', () => ({ limit: limiter.limit, counts: limiter.snapshot() }));
    // @endif
  },
});
