const BRAND = Symbol.for('openred.preSealedBytes');

/** Bytes a peer route answers that already carry their own end-to-end encryption (see {@link preSealed}). */
export interface PreSealedBytes {
  readonly [BRAND]: true;
  readonly bytes: Buffer;
  /** See {@link PreSealedOptions.release}. */
  readonly release?: () => void;
}

export interface PreSealedOptions {
  /**
   * Called once when the node holds no reference to `bytes` anymore: the answer was written out, or its
   * connection closed first (it says nothing about what the peer received). Until then the buffer must not
   * change; afterwards the route may reuse it, e.g. return it to a pool of chunk buffers.
   */
  release?: () => void;
}

/**
 * For peer routes (`ctx.p2p`) that answer bytes already encrypted **and authenticated** for the requesting
 * peer, e.g. chunks sealed with a per-file key that was sent to that peer inside the session. The session layer
 * then does not encrypt them a second time: it seals only the status and the length, bound to the request, and
 * sends the bytes as they are. The peer's `ctx.peers.request` receives them as a Buffer, like any byte answer,
 * and must check them itself (their AEAD tag), since the session guarantees only where they came from, their
 * status and their length.
 *
 * Use it only for content whose own AEAD also binds what was asked for (e.g. the chunk index in the associated
 * data); plain bytes must be returned as a Buffer, which the session layer encrypts.
 *
 * @example
 * // the file-transfer answer gave the peer `key`; chunk i is AES-256-GCM(key, nonce(i), aad(file, i))
 * ctx.p2p.post('/file-chunk', { body: chunkSchema }, async (req) => preSealed(await store.sealedChunk(req.body.index)));
 */
export function preSealed(bytes: Buffer, options: PreSealedOptions = {}): PreSealedBytes {
  if (!Buffer.isBuffer(bytes)) throw new TypeError('preSealed() takes a Buffer');
  const { release } = options;
  if (release !== undefined && typeof release !== 'function')
    throw new TypeError('release must be a function');
  return Object.freeze(
    release ? { [BRAND]: true as const, bytes, release } : { [BRAND]: true as const, bytes },
  );
}

/** True for values made by {@link preSealed} (checked by brand, so duplicated SDK copies still match). */
export function isPreSealed(value: unknown): value is PreSealedBytes {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    Buffer.isBuffer((value as { bytes?: unknown }).bytes)
  );
}
