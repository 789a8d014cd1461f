/**
 * Per-epoch transport keys: key(direction, epoch, method) = HKDF-SHA256(ikm = the direction's Noise split key,
 * salt = empty, info = "openred/epoch/v1" || u64be(epoch) || method id, length = method key length).
 * Keys for different epochs and methods are independent, so learning one epoch's key (e.g. from a weak
 * plugin cipher) reveals nothing about other epochs, and keys rotate every epoch without a message exchange.
 * (Forward secrecy *within* a session is not provided by this rotation: the split key derives every epoch.)
 */
import { hkdfSync } from 'node:crypto';
import { u64be } from '../encoding.js';

const INFO = Buffer.from('openred/epoch/v1', 'utf8');

export function deriveEpochKey(
  directionKey: Uint8Array,
  epoch: number,
  methodId: string,
  length: number,
): Buffer {
  const info = Buffer.concat([INFO, u64be(epoch), Buffer.from(methodId, 'utf8')]);
  return Buffer.from(hkdfSync('sha256', directionKey, Buffer.alloc(0), info, length));
}
