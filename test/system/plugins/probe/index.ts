import { definePlugin, nodeSigner } from '@openred/plugin-sdk';

/**
 * System-test probe: lets a test ask a node to make one peer request with an explicit timeout and see the
 * coded error the peer client gives (timeouts, broken peers); fires bursts of signatures at the crypto
 * engine and reports how each ended (agent crash scenario); and answers a trivial peer route.
 */
export default definePlugin({
  name: 'probe',
  version: '1.0.0',
  setup(ctx) {
    ctx.p2p.post('/probe/ping', (req) => ({ pong: true, peer: req.peer }));
    ctx.api.post(
      '/probe/request',
      {
        body: {
          type: 'object',
          required: ['peer'],
          properties: {
            peer: { type: 'string' },
            path: { type: 'string', default: '/probe/ping' },
            timeout_ms: { type: 'integer', minimum: 1 },
          },
        } as const,
      },
      async (req) => {
        const t0 = performance.now();
        const res = await ctx.peers.request(
          req.body.peer,
          'POST',
          req.body.path ?? '/probe/ping',
          {},
          {
            ...(req.body.timeout_ms === undefined ? {} : { timeoutMs: req.body.timeout_ms }),
          },
        );
        return { status: res.status, body: res.body, ms: Math.round(performance.now() - t0) };
      },
    );
    ctx.api.post(
      '/probe/sign-burst',
      {
        body: {
          type: 'object',
          required: ['count'],
          properties: { count: { type: 'integer', minimum: 1, maximum: 5000 } },
        } as const,
      },
      async (req) => {
        const signer = nodeSigner(ctx);
        const outcomes = await Promise.all(
          Array.from({ length: req.body.count }, (_, i) =>
            signer.sign('probe/burst', Buffer.from(String(i))).then(
              () => 'ok',
              (err: { code?: string }) => err.code ?? 'UNCODED',
            ),
          ),
        );
        const counts: Record<string, number> = {};
        for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
        return { counts };
      },
    );
  },
});
