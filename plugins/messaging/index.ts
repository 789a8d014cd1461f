import type { PassThrough } from 'node:stream';
import { definePlugin, errors } from '@openred/plugin-sdk';
import { configSchema } from './config.js';
import { Delivery } from './delivery.js';
import { openEventStream } from './event-stream.js';
import { Inbox, type InboxView } from './inbox.js';
import { Outbox, outboxView } from './outbox.js';
import {
  idParamSchema,
  idsSchema,
  inboxQuerySchema,
  outboxQuerySchema,
  peerQuerySchema,
  retrySchema,
  sendSchema,
  wireMessageSchema,
} from './schemas.js';

export type { InboxView } from './inbox.js';
export type { OutboxView } from './outbox.js';
export type { MessageDeliveredEvent, MessageFailedEvent } from './delivery.js';

/** One delivery loop per data folder: a hot-reloaded version takes over from the previous one. */
const active: Map<string, Delivery> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('openred.messaging.delivery')
] ??= new Map<string, Delivery>()) as Map<string, Delivery>;

/**
 * Messaging: end-to-end protected messages between nodes, with an outbox that survives restarts and retries
 * with backoff, receipts only for stored messages, exactly-once and in-order inboxes.
 * Peer route: `POST /p2p/message`. Owner routes: `/api/messages`, `/api/outbox`. See docs/modules/messaging.md.
 */
export default definePlugin({
  name: 'messaging',
  version: '1.1.0',
  description:
    'End-to-end encrypted messages between peers, with a persistent outbox and exactly-once inbox.',
  config: configSchema,
  async setup(ctx) {
    const config = ctx.config;
    const inbox = await Inbox.open(ctx.storage, {
      shardSize: config.shardSize,
      maxInbox: () => config.maxInbox,
      openShards: config.openShards,
    });
    const outbox = await Outbox.open(ctx.storage, {
      shardSize: config.shardSize,
      openShards: config.openShards,
    });
    const delivery = new Delivery({
      outbox,
      peers: ctx.peers,
      clock: ctx.clock,
      events: ctx.events,
      log: ctx.log,
      config,
    });

    ctx.p2p.post(
      '/message',
      { body: wireMessageSchema, summary: 'Deliver one message; answered once it is stored' },
      async (req) => {
        const from = req.peer!;
        const m = req.body;
        if (Buffer.byteLength(m.body) > config.maxMessageBytes) {
          throw errors.tooLarge(
            'OR_ERR_MESSAGE_TOO_LARGE',
            `message bodies are limited to ${config.maxMessageBytes} bytes`,
          );
        }
        const { status, entry } = await inbox.receive(
          from,
          { ...m, content_type: m.content_type ?? 'text/plain' },
          ctx.clock.now(),
        );
        if (status === 'stored') {
          const { stream: _stream, deleted: _deleted, ...event } = entry;
          ctx.events.emit<InboxView>('message.received', event);
        }
        return { id: m.id, seq: m.seq, status };
      },
    );

    ctx.api.post(
      '/messages',
      { body: sendSchema, summary: 'Send a message (answered once it is in the outbox)' },
      async (req) => {
        const { to, body } = req.body;
        if (to === ctx.node.id) throw errors.badRequest('OR_ERR_SELF', 'cannot send a message to this node');
        if (Buffer.byteLength(body) > config.maxMessageBytes) {
          throw errors.tooLarge(
            'OR_ERR_MESSAGE_TOO_LARGE',
            `message bodies are limited to ${config.maxMessageBytes} bytes`,
          );
        }
        const entry = await outbox.add(
          to,
          body,
          req.body.content_type ?? 'text/plain',
          ctx.clock.now(),
          config.maxQueuedPerPeer,
        );
        delivery.kick(to);
        req.status(201);
        return outboxView(entry);
      },
    );

    ctx.api.get('/messages', { query: inboxQuerySchema, summary: 'List the inbox' }, async (req) => {
      const q = req.query;
      const limit = Math.min(Number(q.limit ?? 1000), 10000);
      const offset = Number(q.offset ?? 0);
      const { messages, more } = await inbox.list({
        peer: q.peer,
        since: q.since === undefined ? undefined : parseSince(q.since),
        unread: q.unread === 'true' || q.unread === '1',
        limit,
        offset,
      });
      return more ? { messages, next_offset: offset + messages.length } : { messages };
    });

    // Registered before `/messages/:id`, which would otherwise take the path.
    const streams = new Set<PassThrough>();
    ctx.onTeardown(() => streams.forEach((s) => s.end()));
    ctx.api.get(
      '/messages/events',
      { summary: 'Live message events (Server-Sent Events): received, delivered, failed' },
      (req) => openEventStream(req, ctx.events, streams, { maxMs: 25_000, heartbeatMs: 10_000 }),
    );

    ctx.api.get('/messages/stats', { summary: 'Inbox counts per peer' }, () => inbox.stats());

    ctx.api.get(
      '/messages/:id',
      { params: idParamSchema, query: peerQuerySchema, summary: 'One message of the inbox' },
      async (req) => {
        const m = await inbox.get(req.params.id, req.query.peer);
        if (!m) throw errors.notFound('OR_ERR_MESSAGE_NOT_FOUND', `no message ${req.params.id} in the inbox`);
        return m;
      },
    );

    ctx.api.post('/messages/read', { body: idsSchema, summary: 'Mark messages read' }, async (req) => {
      const r = await inbox.markRead(req.body.ids, req.body.peer, ctx.clock.now());
      return { updated: r.changed.length, missing: r.missing };
    });

    ctx.api.post('/messages/delete', { body: idsSchema, summary: 'Delete messages' }, async (req) => {
      const r = await inbox.delete(req.body.ids, req.body.peer);
      return { deleted: r.changed.length, missing: r.missing };
    });

    ctx.api.delete(
      '/messages/:id',
      { params: idParamSchema, query: peerQuerySchema, summary: 'Delete one message' },
      async (req) => {
        const r = await inbox.delete([req.params.id], req.query.peer);
        if (r.changed.length === 0) {
          throw errors.notFound('OR_ERR_MESSAGE_NOT_FOUND', `no message ${req.params.id} in the inbox`);
        }
        return undefined;
      },
    );

    ctx.api.get(
      '/outbox',
      { query: outboxQuerySchema, summary: 'List sent messages and their state' },
      async (req) => {
        const q = req.query;
        const limit = Math.min(Number(q.limit ?? 100), 10000);
        const offset = Number(q.offset ?? 0);
        const { messages, more } = await outbox.list({ peer: q.peer, state: q.state, limit, offset });
        return more ? { messages, next_offset: offset + messages.length } : { messages };
      },
    );

    ctx.api.post(
      '/outbox/retry',
      { body: retrySchema, summary: 'Retry now; with ids, put failed messages back in the queue' },
      async (req) => {
        const requeued = req.body?.ids ? await outbox.requeue(req.body.ids, ctx.clock.now()) : [];
        delivery.retryNow();
        return {
          requeued: requeued.map((e) => e.id),
          queued: outbox.peers().reduce((n, p) => n + outbox.queued(p).length, 0),
        };
      },
    );

    // A peer that contacts us is online again: no need to wait for its backoff to end.
    ctx.events.on<{ peer?: string }>('session.established', (e) => {
      if (e?.peer && outbox.queued(e.peer).length > 0) delivery.retryNow(e.peer);
    });

    ctx.onTeardown(() => {
      delivery.stop();
      inbox.retire();
      outbox.retire();
      if (active.get(ctx.storage.dir) === delivery) active.delete(ctx.storage.dir);
    });
    active.get(ctx.storage.dir)?.stop();
    active.set(ctx.storage.dir, delivery);
    delivery.start();
  },
});

/** `since` as milliseconds since the epoch or an ISO 8601 date. */
function parseSince(value: string): number {
  const ms = /^[0-9]+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw errors.badRequest(
      'OR_ERR_BAD_SINCE',
      'since must be milliseconds since the epoch or an ISO 8601 date',
    );
  }
  return ms;
}
