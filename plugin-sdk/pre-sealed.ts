const BRAND = Symbol.for('openred.preSealedBytes');

/** Bytes a peer route answers that already carry their own end-to-end encryption (see {@link preSealed}). */
export interface PreSealedBytes {
  readonly [BRAND]: true;
  readonly bytes: Buffer;
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
export function preSealed(bytes: Buffer): PreSealedBytes {
  if (!Buffer.isBuffer(bytes)) throw new TypeError('preSealed() takes a Buffer');
  return Object.freeze({ [BRAND]: true as const, bytes });
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
