import type { Infer } from '@openred/plugin-sdk';

/** The file-sharing module's settings (`modules['file-sharing']` in openred.config.ts). */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /**
     * The folder files are shared from: `openred share` accepts only files inside it (after resolving
     * symlinks). Relative to the node's data folder. Default: `<dataDir>/share`.
     */
    shareDir: { type: 'string', minLength: 1, default: 'share' },
    /** Where downloads go when no target is given. Relative to the node's data folder. */
    downloadDir: { type: 'string', minLength: 1, default: 'downloads' },
    /** Largest file this node shares or downloads. */
    maxFileBytes: { type: 'integer', minimum: 1, maximum: 4294967296, default: 1073741824 },
    /** Most bytes of live (unexpired, unrevoked) shares for one peer; each share keeps an encrypted copy. */
    peerQuotaBytes: { type: 'integer', minimum: 1, default: 4294967296 },
    /** Chunk size of files shared from now on (a download uses the sharer's). */
    chunkBytes: { type: 'integer', minimum: 16384, maximum: 524288, default: 524288 },
    /** Link lifetime when `share` gives none, and the longest one accepted. */
    defaultExpiresMs: { type: 'integer', minimum: 1000, default: 86400000 },
    maxExpiresMs: { type: 'integer', minimum: 1000, default: 2592000000 },
    /** Downloads a link allows when `share` gives no `max_downloads`. */
    defaultMaxDownloads: { type: 'integer', minimum: 1, default: 1 },
    /** Chunk requests in flight per download. */
    parallel: { type: 'integer', minimum: 1, maximum: 32, default: 8 },
    /** Timeout of one chunk request. */
    chunkTimeoutMs: { type: 'integer', minimum: 100, default: 20000 },
    /** Consecutive failed chunk requests before a download is left `interrupted` (resumable). */
    maxRetries: { type: 'integer', minimum: 0, maximum: 100, default: 8 },
    /** First retry delay; doubles per consecutive failure, with jitter, up to 10 s. */
    retryBaseMs: { type: 'integer', minimum: 1, default: 500 },
    /** Download bandwidth cap in bytes per second (0: none). */
    maxBytesPerSecond: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

export type FileSharingConfig = Infer<typeof configSchema>;
