import { definePlugin } from '@openred/plugin-sdk';

interface Greeting {
  from: string;
  text: string;
  at: number;
}

/** {{description}} */
export default definePlugin({
  name: '{{pluginName}}',
  version: '0.1.0',
  description: '{{description}}',
  // Validated by the node (defaults applied) from `modules.{{pluginName}}` in openred.config.ts.
  config: {
    type: 'object',
    properties: {
      greeting: { type: 'string', default: 'hello' },
      keep: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    additionalProperties: false,
  } as const,
  async setup(ctx) {
    // One small JSON collection under <dataDir>/plugins/{{pluginName}}/. Every commit rewrites the file, so
    // only the last `keep` greetings are kept.
    const greetings = await ctx.storage.collection<{ received: Greeting[] }>('greetings', { received: [] });
    // @if p2p

    // Peers call this over an end-to-end encrypted session: POST /p2p/{{pluginName}}/greet
    ctx.p2p.post(
      '/{{pluginName}}/greet',
      {
        body: {
          type: 'object',
          required: ['text'],
          properties: { text: { type: 'string', minLength: 1, maxLength: 500 } },
          additionalProperties: false,
        } as const,
        summary: 'Receive a greeting from a peer',
      },
      async (req) => {
        const greeting = { from: req.peer!, text: req.body.text, at: ctx.clock.now() };
        greetings.data.received.push(greeting);
        greetings.data.received.splice(0, Math.max(0, greetings.data.received.length - ctx.config.keep));
        await greetings.commit();
        ctx.events.emit('{{pluginName}}.greeted', greeting);
        return { reply: `${ctx.config.greeting}, ${req.peer}`, from: ctx.node.id };
      },
    );
    // @endif
    // @if api

    // The node's owner calls these: GET /api/{{pluginName}}/hello, GET /api/{{pluginName}}/greetings
    ctx.api.get('/{{pluginName}}/hello', { summary: 'Say hello' }, () => ({
      greeting: ctx.config.greeting,
      node: ctx.node.id,
    }));
    ctx.api.get('/{{pluginName}}/greetings', { summary: 'Greetings received' }, () => ({
      received: greetings.data.received,
    }));
    // @endif

    ctx.log.info('{{pluginName}} ready');
    // Runs when this version unloads (hot reload, disable, shutdown): release timers, sockets, handles here.
    return () => ctx.log.info('{{pluginName}} unloaded');
  },
});
