/**
 * The node-to-node wire conventions of an established session (docs/protocol.md, "Sessions"):
 *
 *   request:  header `OpenRed-Session: <session id>`; plaintext = JSON `{b?: body, h?: headers}`, sealed as
 *             - binary (the default for POST, PUT, PATCH): `Content-Type: application/vnd.openred.sealed`,
 *               the body is the envelope prefix (u32be epoch || u64be counter, 12 bytes) || ciphertext || tag,
 *               AAD = "openred/req-bin/v1" \n METHOD \n URL;
 *             - JSON: the envelope `{e, n, ct}` is the JSON body, or, for requests without a body (GET,
 *               DELETE), the base64url JSON in header `OpenRed-Envelope`; AAD = "openred/req/v1" \n METHOD \n URL.
 *             - bytes (a Buffer body, for routes declared `raw`): the binary request form with `OpenRed-Body: bytes`,
 *               plaintext = frameBytes(headers, bytes), AAD = "openred/req-bytes/v1" \n METHOD \n URL.
 *   response: plaintext = JSON `{s: status, b?: body}`, in the form of the request:
 *             - to a binary request: `Content-Type: application/vnd.openred.sealed`, the body is the envelope
 *               prefix || ciphertext || tag; AAD = "openred/res-raw/v1" \n METHOD \n URL \n request n;
 *             - to a JSON request: the envelope is the JSON body, header `OpenRed-Sealed: 1`;
 *               AAD = "openred/res/v1" \n METHOD \n URL \n request n.
 *             The binary forms carry no base64, no second JSON layer and no header beyond the session id: on
 *             small messages each of those costs about as much as a fifth of the AEAD itself.
 *   bytes:    when a route answers a Buffer, the body is the raw ciphertext || tag, with `OpenRed-Sealed: bin`,
 *             `OpenRed-Epoch`, `OpenRed-Counter`, `OpenRed-Status`; AAD = "openred/res-bin/v1" \n METHOD \n
 *             URL \n request n \n status (no base64, no JSON: file chunks cost one AEAD pass).
 *   pre-sealed: when a route answers `preSealed(bytes)` (bytes it already encrypted and authenticated for the
 *             peer), the body is those bytes unchanged, with `OpenRed-Sealed: pre` and `OpenRed-Envelope`: the
 *             base64url JSON envelope of `{s: status, l: byte length}`, AAD = "openred/res-pre/v1" \n METHOD \n
 *             URL \n request n. The session binds status and length to the request; the bytes' own AEAD,
 *             checked by the receiving plugin, protects their content.
 *
 * The envelope prefix is not authenticated data of its own: the counter is the AEAD nonce and the epoch selects
 * the key, so changing either makes the tag check fail.
 * Binding the method and URL stops an envelope from being replayed to another route; binding the request's
 * counter into the response's AAD stops a response from being swapped with another one.
 */
import { TAG_LENGTH } from '../../crypto/ciphers/cipher-method.js';
import { readCounter, writeCounter } from '../../crypto/transport/envelope.js';
import { mediaType } from '../../http/media-type.js';
import type { SealedInto, TransportSession } from '../../crypto/transport/transport-session.js';

export const SESSION_HEADER = 'openred-session';
export const ENVELOPE_HEADER = 'openred-envelope';
export const SEALED_HEADER = 'openred-sealed';
/** Byte answers (a route answered bytes): the raw envelope's epoch, counter and the status travel here. */
export const EPOCH_HEADER = 'openred-epoch';
export const COUNTER_HEADER = 'openred-counter';
export const STATUS_HEADER = 'openred-status';

/** Content type of a request or answer whose body is a binary sealed envelope (prefix || ciphertext || tag). */
export const SEALED_TYPE = 'application/vnd.openred.sealed';
/** `OpenRed-Body: bytes` on a binary request: the plaintext is framed bytes for a `raw` route, not JSON. */
export const BODY_HEADER = 'openred-body';

const SEALED_TYPES: ReadonlySet<string> = new Set([SEALED_TYPE]);

/** A content type naming a binary sealed envelope (the exact string is answered first: nodes send that). */
export function isSealedType(contentType: string | undefined): boolean {
  return mediaType(contentType, SEALED_TYPES) === SEALED_TYPE;
}

/** u32be epoch || u64be counter, before the ciphertext of a binary envelope. */
export const PREFIX_LENGTH = 12;

/** Writes the envelope prefix, u32be epoch || u64be counter, at the start of `buf`. */
export function writePrefix(buf: Buffer, epoch: number, counter: number | bigint): void {
  buf.writeUInt32BE(epoch, 0);
  writeCounter(buf, 4, counter);
}

/**
 * Seals `plaintext` as a binary envelope: prefix || ciphertext || tag, written into one buffer (the
 * small-message path: no intermediate ciphertext, no copy). `n` is the counter the answer's AAD will bind.
 */
export function sealBinary(transport: TransportSession, plaintext: Uint8Array, aad: Uint8Array): SealedInto {
  const sealed = transport.sealInto(plaintext, aad, PREFIX_LENGTH);
  writePrefix(sealed.buf, sealed.e, sealed.n);
  return sealed;
}

/** The counter of a received binary envelope at least PREFIX_LENGTH long. */
export function binaryCounter(body: Buffer): number | bigint {
  return readCounter(body, 4);
}

/**
 * Opens a received binary envelope where it lies (its bytes are overwritten with the plaintext, which is
 * returned as a view of them): for bodies the caller owns and reads no further. Undefined when too short.
 */
export function openBinary(transport: TransportSession, body: Buffer, aad: Uint8Array): Buffer | undefined {
  if (body.length < PREFIX_LENGTH + TAG_LENGTH) return undefined;
  return transport.openInPlace(body.readUInt32BE(0), readCounter(body, 4), body.subarray(PREFIX_LENGTH), aad);
}

/** Methods as Node and undici spell them: `toUpperCase` on these would only copy them, on every message. */
const CANONICAL_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

function upper(method: string): string {
  return CANONICAL_METHODS.has(method) ? method : method.toUpperCase();
}

/** AAD of a binary request carrying bytes: its own label, so bytes can never be read as a JSON request. */
export function bytesRequestAad(method: string, url: string): Buffer {
  return cachedAad(bytesRequestAads, 'openred/req-bytes/v1', method, url);
}

/**
 * The plaintext of a bytes request: u32be(length of the headers' JSON) || headers JSON || the bytes. The peer
 * headers ride inside the seal as they do in the JSON form's `h`.
 */
export function frameBytes(headers: Record<string, string> | undefined, bytes: Uint8Array): Buffer {
  const h = Buffer.from(JSON.stringify(headers ?? {}));
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(h.length, 0);
  return Buffer.concat([head, h, bytes]);
}

export function unframeBytes(plaintext: Buffer): { headers: unknown; bytes: Buffer } | undefined {
  if (plaintext.length < 4) return undefined;
  const length = plaintext.readUInt32BE(0);
  if (length > plaintext.length - 4 || length > 64 * 1024) return undefined;
  try {
    const headers: unknown = JSON.parse(plaintext.subarray(4, 4 + length).toString('utf8'));
    return { headers, bytes: plaintext.subarray(4 + length) };
  } catch {
    return undefined;
  }
}

export function binaryRequestAad(method: string, url: string): Buffer {
  return cachedAad(binaryRequestAads, 'openred/req-bin/v1', method, url);
}

/**
 * Request AADs by method and URL: a peer calls the same few routes over and over, and encoding the label and
 * URL into a new buffer on every message costs as much as a small AEAD call. Bounded, since URLs come from
 * peers: only the standard methods and URLs up to AAD_CACHE_URL_LENGTH characters are kept (a peer sending
 * long query strings gets its AADs built per message, not megabytes of cache), at most AAD_CACHE_SIZE per
 * method, emptied when full. The AEADs only read their AAD, so sharing one buffer is safe.
 */
const AAD_CACHE_SIZE = 512;
const AAD_CACHE_URL_LENGTH = 256;
/** label -> method -> URL -> bytes (nested maps: no key string to build per lookup). */
type AadCache = Map<string, Map<string, Buffer>>;
const binaryRequestAads: AadCache = new Map();
const bytesRequestAads: AadCache = new Map();
/** The answer AAD's fixed part (`label \n METHOD \n URL \n`), before the request counter. */
const rawResponsePrefixes: AadCache = new Map();

function cachedAad(cache: AadCache, label: string, method: string, url: string, suffix = ''): Buffer {
  if (url.length > AAD_CACHE_URL_LENGTH || !CANONICAL_METHODS.has(method)) {
    return Buffer.from(`${label}\n${upper(method)}\n${url}${suffix}`);
  }
  let byUrl = cache.get(method);
  if (byUrl === undefined) cache.set(method, (byUrl = new Map()));
  let aad = byUrl.get(url);
  if (aad === undefined) {
    aad = Buffer.from(`${label}\n${method}\n${url}${suffix}`);
    if (byUrl.size >= AAD_CACHE_SIZE) byUrl.clear();
    byUrl.set(url, aad);
  }
  return aad;
}

/**
 * AAD of a JSON answer sealed as a binary envelope (the answer to a binary request):
 * `openred/res-raw/v1 \n METHOD \n URL \n request counter`, from the route's cached prefix and the counter's digits.
 */
export function rawResponseAad(
  method: string,
  url: string,
  requestCounter: number | string | bigint,
): Buffer {
  const prefix = cachedAad(rawResponsePrefixes, 'openred/res-raw/v1', method, url, '\n');
  const digits = String(requestCounter);
  const aad = Buffer.allocUnsafe(prefix.length + digits.length);
  prefix.copy(aad, 0);
  aad.write(digits, prefix.length, 'latin1'); // decimal digits: one byte each
  return aad;
}

export function requestAad(method: string, url: string): Buffer {
  return Buffer.from(`openred/req/v1\n${upper(method)}\n${url}`);
}

export function responseAad(method: string, url: string, requestCounter: number | string | bigint): Buffer {
  return Buffer.from(`openred/res/v1\n${upper(method)}\n${url}\n${String(requestCounter)}`);
}

/** AAD of a binary response: also binds the status, which travels in a header. */
export function binaryResponseAad(
  method: string,
  url: string,
  requestCounter: number | string | bigint,
  status: number,
): Buffer {
  return Buffer.from(`openred/res-bin/v1\n${upper(method)}\n${url}\n${String(requestCounter)}\n${status}`);
}

/** AAD of the envelope that binds a pre-sealed answer's status and length to its request. */
export function preSealedResponseAad(
  method: string,
  url: string,
  requestCounter: number | string | bigint,
): Buffer {
  return Buffer.from(`openred/res-pre/v1\n${upper(method)}\n${url}\n${String(requestCounter)}`);
}

export interface RequestPlaintext {
  b?: unknown;
  h?: Record<string, string>;
}

export interface ResponsePlaintext {
  s: number;
  b?: unknown;
}

export const handshakeRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['grant_id', 'from', 'keys', 'msg'],
  properties: {
    grant_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' },
    from: { type: 'string', pattern: '^or[a-z2-7]{32}$' },
    keys: {
      type: 'object',
      additionalProperties: false,
      required: ['x25519', 'ed25519'],
      properties: {
        x25519: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
        ed25519: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
      },
    },
    msg: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,8192}$' },
  },
} as const;

export interface HandshakeRequest {
  grant_id: string;
  from: string;
  keys: { x25519: string; ed25519: string };
  msg: string;
}

export interface HandshakeResponse {
  session_id: string;
  msg: string;
}
