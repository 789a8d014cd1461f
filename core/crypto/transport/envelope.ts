/**
 * The transport envelope: `{e, n, ct}` = epoch number, 64-bit send counter, base64url(ciphertext || tag).
 * JSON numbers are exact only up to 2^53: a node's own counters stay below (see TransportOptions.maxCounter),
 * and parsers also accept a decimal string, for counters up to 2^64 - 1 that another implementation may send. The AEAD nonce is 4 zero bytes || counter (big-endian).
 */
import { CryptoError } from '../../errors.js';
import { fromB64u } from '../encoding.js';

export interface Envelope {
  e: number;
  n: number | string;
  ct: string;
}

export interface ParsedEnvelope {
  epoch: number;
  counter: bigint;
  ct: Buffer;
}

export const MAX_COUNTER = 2n ** 64n - 1n;
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;

function malformed(why: string): CryptoError {
  return new CryptoError('OR_ERR_ENVELOPE_MALFORMED', `malformed envelope: ${why}`, 400);
}

export function parseEnvelope(v: unknown, maxCiphertext = 16 * 1024 * 1024): ParsedEnvelope {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('not an object');
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length !== 3) throw malformed('fields');
  if (!Number.isSafeInteger(o.e) || (o.e as number) < 0) throw malformed('e');
  let counter: bigint;
  if (typeof o.n === 'number' && Number.isSafeInteger(o.n) && o.n >= 0) counter = BigInt(o.n);
  else if (typeof o.n === 'string' && DECIMAL.test(o.n)) counter = BigInt(o.n);
  else throw malformed('n');
  if (counter > MAX_COUNTER) throw malformed('n out of range');
  if (typeof o.ct !== 'string' || o.ct.length > Math.ceil((maxCiphertext * 4) / 3)) throw malformed('ct');
  let ct: Buffer;
  try {
    ct = fromB64u(o.ct);
  } catch {
    throw malformed('ct encoding');
  }
  if (ct.length < 16) throw malformed('ct too short');
  return { epoch: o.e as number, counter, ct };
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Writes u64be(counter) at `offset`. Counters are numbers below 2^53 (every counter a node sends), written as
 * two 32-bit halves; bigints are for what peers may send above that (BigInt arithmetic allocates).
 */
export function writeCounter(out: Buffer, offset: number, counter: number | bigint): void {
  if (typeof counter === 'number') {
    out.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), offset);
    out.writeUInt32BE(counter >>> 0, offset + 4);
  } else if (counter >= 0n && counter <= SAFE) {
    writeCounter(out, offset, Number(counter));
  } else {
    out.writeBigUInt64BE(counter, offset);
  }
}

/** Reads u64be at `offset`: a number below 2^53, else a bigint. */
export function readCounter(buf: Buffer, offset: number): number | bigint {
  const high = buf.readUInt32BE(offset);
  return high < 0x20_0000 ? high * 0x1_0000_0000 + buf.readUInt32BE(offset + 4) : buf.readBigUInt64BE(offset);
}
