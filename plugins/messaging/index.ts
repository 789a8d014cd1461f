import { definePlugin, errors } from '@openred/plugin-sdk';

const messageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'body', 'sent_at'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' },
    body: { type: 'string', maxLength: 65536 },
    sent_at: { type: 'integer', minimum: 0 },
    content_type: { type: 'string', maxLength: 100, default: 'text/plain' },
  },
} as const;

interface InboxEntry {
  id: string;
  from: string;
  body: string;
  sent_at: number;
  received_at: number;
  content_type: string;
}

/**
 * Messaging: receives end-to-end protected messages from peers into a persisted inbox (de-duplicated by
 * message id). The outbox with retries and the CLI come with the sessions layer.
 */
export default definePlugin({
  name: 'messaging',
  version: '1.0.0',
  description: 'End-to-end encrypted messages between peers.',
  config: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxInbox: { type: 'integer', minimum: 1, default: 100000 },
    },
  } as const,
  async setup(ctx) {
    const inbox = await ctx.storage.collection<{ messages: InboxEntry[] }>('inbox', { messages: [] });

    ctx.p2p.post(
      '/message',
      { body: messageSchema, summary: 'Deliver a message to this node' },
      async (req) => {
        const from = req.peer ?? 'unknown';
        if (inbox.data.messages.some((m) => m.id === req.body.id && m.from === from)) {
          return { id: req.body.id, status: 'duplicate' };
        }
        if (inbox.data.messages.length >= ctx.config.maxInbox) {
          throw errors.unavailable('OR_ERR_INBOX_FULL', 'inbox is full');
        }
        const entry: InboxEntry = {
          id: req.body.id,
          from,
          body: req.body.body,
          sent_at: req.body.sent_at,
          received_at: ctx.clock.now(),
          content_type: req.body.content_type ?? 'text/plain',
        };
        inbox.data.messages.push(entry);
        await inbox.commit(); // acknowledged only once on disk
        ctx.events.emit('message.received', entry);
        return { id: entry.id, status: 'stored' };
      },
    );

    ctx.api.get('/messages', { summary: 'List the inbox' }, () => ({ messages: inbox.data.messages }));
  },
});
