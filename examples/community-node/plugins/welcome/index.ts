import { definePlugin } from '@openred/plugin-sdk';

interface Entry {
  member: string;
  note: string;
  at: number;
}

/**
 * The community's welcome desk: a member's node signs the guest book of another member over P2P and gets the
 * community's welcome message back; each owner reads their own guest book.
 */
export default definePlugin({
  name: 'welcome',
  version: '1.0.0',
  config: {
    type: 'object',
    properties: {
      message: { type: 'string', default: 'Welcome!' },
      keep: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    },
    additionalProperties: false,
  } as const,
  async setup(ctx) {
    const book = await ctx.storage.collection<{ entries: Entry[] }>('guest-book', { entries: [] });

    ctx.p2p.post(
      '/welcome/sign',
      {
        body: {
          type: 'object',
          required: ['note'],
          properties: { note: { type: 'string', minLength: 1, maxLength: 280 } },
          additionalProperties: false,
        } as const,
        summary: 'Sign this member’s guest book',
      },
      async (req) => {
        book.data.entries.push({ member: req.peer!, note: req.body.note, at: ctx.clock.now() });
        book.data.entries.splice(0, Math.max(0, book.data.entries.length - ctx.config.keep));
        await book.commit();
        ctx.events.emit('welcome.signed', { member: req.peer });
        return { message: ctx.config.message };
      },
    );

    ctx.api.get('/welcome/guest-book', { summary: 'Who signed' }, () => ({ entries: book.data.entries }));

    // The owner asks their node to sign another member's guest book.
    ctx.api.post(
      '/welcome/visit',
      {
        body: {
          type: 'object',
          required: ['member', 'note'],
          properties: { member: { type: 'string' }, note: { type: 'string', maxLength: 280 } },
          additionalProperties: false,
        } as const,
        summary: 'Sign a member’s guest book',
      },
      async (req) => {
        const res = await ctx.peers.request<{ message: string }>(req.body.member, 'POST', '/welcome/sign', {
          note: req.body.note,
        });
        req.status(res.status);
        return res.body;
      },
    );
  },
});
