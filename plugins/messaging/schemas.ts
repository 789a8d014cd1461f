/**
 * Wire and owner-API schemas of the messaging module. The peer route is `POST /p2p/message`
 * (docs/modules/messaging.md): one message per request, inside the session layer's sealed envelope.
 */
export const NODE_ID = '^or[a-z2-7]{32}$';
const MESSAGE_ID = '^[A-Za-z0-9_-]{8,64}$';
const STREAM_ID = '^[A-Za-z0-9_-]{8,32}$';
const CONTENT_TYPE = '^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*(; ?[ -~]{1,60})?$';

/** `POST /p2p/message`: what a sender delivers. */
export const wireMessageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'stream', 'seq', 'body', 'sent_at'],
  properties: {
    /** Sender-chosen unique id: the key of de-duplication. */
    id: { type: 'string', pattern: MESSAGE_ID },
    /** The sender's message stream to this node (changes only if the sender lost its outbox). */
    stream: { type: 'string', pattern: STREAM_ID },
    /** Position in the stream, from 1: the inbox keeps a peer's messages in this order. */
    seq: { type: 'integer', minimum: 1, maximum: 9007199254740991 },
    body: { type: 'string', maxLength: 65536 },
    sent_at: { type: 'integer', minimum: 0 },
    content_type: { type: 'string', maxLength: 100, pattern: CONTENT_TYPE, default: 'text/plain' },
  },
} as const;

export const sendSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['to', 'body'],
  properties: {
    to: { type: 'string', pattern: NODE_ID },
    body: { type: 'string', maxLength: 65536 },
    content_type: { type: 'string', maxLength: 100, pattern: CONTENT_TYPE, default: 'text/plain' },
  },
} as const;

export const inboxQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    peer: { type: 'string', pattern: NODE_ID },
    /** Milliseconds since the epoch, or an ISO 8601 date. */
    since: { type: 'string', maxLength: 40 },
    unread: { enum: ['true', 'false', '1', '0'] },
    limit: { type: 'string', pattern: '^[0-9]{1,6}$' },
    offset: { type: 'string', pattern: '^[0-9]{1,9}$' },
  },
} as const;

export const outboxQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    peer: { type: 'string', pattern: NODE_ID },
    state: { enum: ['queued', 'delivered', 'failed'] },
    limit: { type: 'string', pattern: '^[0-9]{1,6}$' },
    offset: { type: 'string', pattern: '^[0-9]{1,9}$' },
  },
} as const;

export const idsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ids'],
  properties: {
    ids: { type: 'array', minItems: 1, maxItems: 10000, items: { type: 'string', pattern: MESSAGE_ID } },
    /** Only messages from this peer (ids are chosen by senders, so two peers could use the same one). */
    peer: { type: 'string', pattern: NODE_ID },
  },
} as const;

export const retrySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** Failed messages to put back in the queue; without it, queued messages are retried now. */
    ids: { type: 'array', maxItems: 10000, items: { type: 'string', pattern: MESSAGE_ID } },
  },
} as const;

export const idParamSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: MESSAGE_ID } },
} as const;

export const peerQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { peer: { type: 'string', pattern: NODE_ID } },
} as const;
