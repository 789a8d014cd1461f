import type { Infer } from '@openred/plugin-sdk';

/** The messaging module's settings (`modules.messaging` in openred.config.ts). */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** Most messages kept in the inbox (deleted ones do not count); beyond it peers are asked to retry later. */
    maxInbox: { type: 'integer', minimum: 1, default: 1000000 },
    /** Largest message body accepted or sent, in UTF-8 bytes. */
    maxMessageBytes: { type: 'integer', minimum: 1, maximum: 65536, default: 65536 },
    /** Most undelivered messages queued for one peer. */
    maxQueuedPerPeer: { type: 'integer', minimum: 1, default: 10000 },
    /** Messages per storage shard. Read when the inbox/outbox is first created; later changes are ignored. */
    shardSize: { type: 'integer', minimum: 10, maximum: 10000, default: 250 },
    /**
     * Inbox and outbox shards each kept in memory when idle (least recently used are closed). Shards in use,
     * and outbox shards with queued messages, stay open regardless. Memory is about shardSize × message size
     * per shard.
     */
    openShards: { type: 'integer', minimum: 1, maximum: 10000, default: 32 },
    /** Deliveries in flight per peer. */
    window: { type: 'integer', minimum: 1, maximum: 256, default: 32 },
    /** How often (real milliseconds) the outbox looks for retries that are due. */
    tickMs: { type: 'integer', minimum: 5, maximum: 60000, default: 250 },
    /** Timeout of one delivery request. */
    requestTimeoutMs: { type: 'integer', minimum: 100, default: 10000 },
    /** Delivered and failed messages stay listed in the outbox this long. */
    outboxRetentionMs: { type: 'integer', minimum: 0, default: 2592000000 },
    retry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** First retry delay; doubles on each failed round, with jitter. */
        baseMs: { type: 'integer', minimum: 1, default: 1000 },
        /** Cap of the retry delay. */
        maxMs: { type: 'integer', minimum: 1, default: 600000 },
        /** A message fails after this many failed delivery rounds to its peer. */
        maxAttempts: { type: 'integer', minimum: 1, default: 100 },
        /** A message fails once it is older than this and still undelivered. */
        maxAgeMs: { type: 'integer', minimum: 1, default: 259200000 },
      },
    },
  },
} as const;

export type MessagingConfig = Infer<typeof configSchema>;
