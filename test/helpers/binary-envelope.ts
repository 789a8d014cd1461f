import { binaryCounter, PREFIX_LENGTH, writePrefix } from '../../core/p2p/sessions/wire.js';

/**
 * Binary envelopes assembled from any epoch, counter and ciphertext, and taken apart again: for tests that forge
 * prefixes (a moved counter, a stale epoch) or inspect an answer's. Nodes themselves seal and open through
 * `sealBinary`/`openBinary`.
 */
export function binaryEnvelope(
  epoch: number,
  counter: number | bigint,
  ct: Uint8Array | readonly Uint8Array[],
): Buffer {
  const parts = ct instanceof Uint8Array ? [ct] : ct;
  const out = Buffer.alloc(PREFIX_LENGTH + parts.reduce((n, p) => n + p.length, 0));
  writePrefix(out, epoch, counter);
  let at = PREFIX_LENGTH;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Epoch, counter and ciphertext || tag of a binary envelope; undefined when too short for a prefix and a tag. */
export function readBinaryEnvelope(body: Buffer): { e: number; n: number | bigint; ct: Buffer } | undefined {
  if (body.length < PREFIX_LENGTH + 16) return undefined;
  return { e: body.readUInt32BE(0), n: binaryCounter(body), ct: body.subarray(PREFIX_LENGTH) };
}
