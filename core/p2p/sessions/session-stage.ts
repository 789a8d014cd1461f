import type { Context, Next } from 'koa';
import { isPreSealed, type PreSealedBytes } from '@openred/plugin-sdk';
import type { Logger } from 'pino';
import { fromB64u, toB64u } from '../../crypto/encoding.js';
import { OpenRedError, UnauthorizedError, ValidationError } from '../../errors.js';
import { describeError } from '../../http/error-handler.js';
import { exceedsJsonDepth } from '../../http/json-depth.js';
import type { SessionTable } from './session-table.js';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { TransportSession } from '../../crypto/transport/transport-session.js';
import { TAG_LENGTH } from '../../crypto/ciphers/cipher-method.js';
import {
  COUNTER_HEADER,
  ENVELOPE_HEADER,
  EPOCH_HEADER,
  SEALED_HEADER,
  STATUS_HEADER,
  BODY_HEADER,
  binaryCounter,
  binaryRequestAad,
  binaryResponseAad,
  bytesRequestAad,
  unframeBytes,
  preSealedResponseAad,
  rawResponseAad,
  openBinary,
  isSealedType,
  PREFIX_LENGTH,
  sealBinary,
  SEALED_TYPE,
  SESSION_HEADER,
  requestAad,
  responseAad,
  type RequestPlaintext,
  type ResponsePlaintext,
} from './wire.js';

/**
 * The p2p surface's session layer, run by the dispatcher after routing and before any plugin code: it
 * authenticates and decrypts the request, puts the peer's node id on `ctx.state.peer`, and seals whatever the
 * route answers (errors included). A request without a valid session is refused here with 401, so plugins
 * never see ciphertext or unauthenticated peers.
 */
export function sessionStage(options: { sessions: SessionTable; log: Logger; maxJsonDepth: number }) {
  const { sessions, log, maxJsonDepth } = options;
  return async function sessionStageMiddleware(ctx: Context, next: Next): Promise<void> {
    // Node's own header map (lower-case names), read directly: `ctx.get` goes through two layers of Koa accessors.
    const headers = ctx.req.headers;
    const id = header(headers, SESSION_HEADER);
    if (!id)
      throw new UnauthorizedError('peer routes need an established session', 'OR_ERR_SESSION_REQUIRED');
    const session = sessions.get(id);
    if (!session)
      throw new UnauthorizedError('unknown or expired session; handshake again', 'OR_ERR_SESSION_UNKNOWN');

    // Binary envelopes arrive as raw bytes (json-body left them unparsed); the JSON form as a parsed body or,
    // without a body, in a header.
    const binary = ctx.request.rawBody !== undefined && isSealedType(header(headers, 'content-type'));
    if (!binary && ctx.request.rawBody === undefined && hasBody(ctx)) {
      // A `raw` route's body that is not sealed: it would reach the plugin unauthenticated.
      throw new OpenRedError(
        'OR_ERR_UNSUPPORTED_MEDIA_TYPE',
        `peer routes take sealed bodies (${SEALED_TYPE})`,
        415,
      );
    }
    let counter: number | string | bigint;
    if (binary) {
      const sealed = ctx.request.rawBody!;
      if (sealed.length < PREFIX_LENGTH + TAG_LENGTH) {
        throw new ValidationError('sealed body too short', undefined, 'OR_ERR_ENVELOPE_MALFORMED');
      }
      counter = binaryCounter(sealed);
      const bytes = header(headers, BODY_HEADER) === 'bytes';
      if (bytes && !ctx.state.rawBodyAllowed) {
        throw new OpenRedError('OR_ERR_UNSUPPORTED_MEDIA_TYPE', 'this route takes JSON, not bytes', 415);
      }
      const aad = bytes ? bytesRequestAad(ctx.method, ctx.url) : binaryRequestAad(ctx.method, ctx.url);
      // Opened where it lies: the body buffer is this request's own, and nothing reads the sealed bytes again.
      const plaintext = openBinary(session.transport, sealed, aad)!;
      ctx.request.rawBody = undefined;
      if (bytes) {
        const framed = unframeBytes(plaintext);
        if (!framed || !isHeaderMap(framed.headers)) {
          throw new ValidationError('malformed bytes request', undefined, 'OR_ERR_ENVELOPE_MALFORMED');
        }
        ctx.request.body = framed.bytes;
        ctx.state.peerHeaders = framed.headers;
      } else {
        const inner = parseInner(plaintext.toString('utf8'), maxJsonDepth);
        ctx.request.body = inner.b;
        ctx.state.peerHeaders = inner.h ?? {};
      }
    } else {
      const envelope = ctx.request.body ?? envelopeFromHeader(header(headers, ENVELOPE_HEADER));
      const plaintext = session.transport.open(envelope, requestAad(ctx.method, ctx.url)).toString('utf8');
      counter = (envelope as { n: number | string }).n;
      const inner = parseInner(plaintext, maxJsonDepth);
      ctx.request.body = inner.b;
      ctx.state.peerHeaders = inner.h ?? {};
    }
    ctx.state.peer = session.peerId;
    ctx.state.session = session;
    sessions.touch(session);

    let reply: ResponsePlaintext;
    try {
      await next();
      const body: unknown = ctx.body; // read once: each read goes through two Koa accessors
      const status =
        body === undefined || body === null ? (ctx.status === 404 ? 204 : ctx.status) : ctx.status;
      if (Buffer.isBuffer(body)) {
        sealBytes(ctx, session.transport, body, status, counter);
        return;
      }
      if (isPreSealed(body)) {
        bindPreSealed(ctx, session.transport, body, status, counter, log);
        return;
      }
      reply = { s: status, b: body };
    } catch (err) {
      const e = describeError(err, log, ctx.state.requestId as string | undefined);
      const error =
        e.details === undefined
          ? { code: e.code, message: e.message }
          : { code: e.code, message: e.message, details: e.details };
      reply = { s: e.status, b: { error } };
    }
    const answer = Buffer.from(JSON.stringify(reply));
    if (binary) {
      // Straight to Node's response: Koa's `ctx.type` setter looks the type up on every call.
      ctx.res.setHeader('Content-Type', SEALED_TYPE);
      ctx.body = sealBinary(session.transport, answer, rawResponseAad(ctx.method, ctx.url, counter)).buf;
    } else {
      ctx.body = session.transport.seal(answer, responseAad(ctx.method, ctx.url, counter));
      ctx.set(SEALED_HEADER, '1');
    }
    const status = reply.s === 204 ? 200 : reply.s;
    if (ctx.res.statusCode !== status) ctx.status = status; // setting the body made it 200 already
  };
}

/** Seals a byte answer as one raw envelope: no base64, no JSON (see wire.ts). */
function sealBytes(
  ctx: Context,
  transport: TransportSession,
  bytes: Buffer,
  status: number,
  counter: number | string | bigint,
): void {
  const raw = transport.sealRaw(bytes, binaryResponseAad(ctx.method, ctx.url, counter, status));
  const parts = raw.ct instanceof Uint8Array ? [raw.ct] : [...raw.ct];
  ctx.status = status;
  ctx.set(SEALED_HEADER, 'bin');
  ctx.set(EPOCH_HEADER, String(raw.e));
  ctx.set(COUNTER_HEADER, raw.n.toString());
  ctx.set(STATUS_HEADER, String(status));
  ctx.type = 'application/octet-stream';
  ctx.body =
    parts.length === 1
      ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength)
      : Readable.from(parts);
  ctx.length = parts.reduce((n, p) => n + p.length, 0);
}

/** Sends bytes the route already sealed for the peer, with their status and length sealed to the request. */
function bindPreSealed(
  ctx: Context,
  transport: TransportSession,
  answer: PreSealedBytes,
  status: number,
  counter: number | string | bigint,
  log: Logger,
): void {
  const { bytes, release } = answer;
  const meta = transport.seal(
    Buffer.from(JSON.stringify({ s: status, l: bytes.length })),
    preSealedResponseAad(ctx.method, ctx.url, counter),
  );
  ctx.status = status;
  ctx.set(SEALED_HEADER, 'pre');
  ctx.set(ENVELOPE_HEADER, toB64u(Buffer.from(JSON.stringify(meta))));
  ctx.type = 'application/octet-stream';
  ctx.body = bytes;
  if (release) {
    // 'close' comes once the answer was written out or its connection ended: either way Node holds no
    // reference to the bytes anymore. A failing callback must not take the node down.
    ctx.res.once('close', () => {
      try {
        release();
      } catch (err) {
        log.warn({ err: String(err) }, 'release callback of a pre-sealed answer failed');
      }
    });
  }
}

function hasBody(ctx: Context): boolean {
  const h = ctx.req.headers;
  return Number(h['content-length'] || 0) > 0 || header(h, 'transfer-encoding') !== '';
}

/** A request header as `ctx.get` gives it: the value, or '' when absent. */
function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return typeof v === 'string' ? v : v === undefined ? '' : v.join(', ');
}

function isHeaderMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

function envelopeFromHeader(value: string): unknown {
  if (!value) throw new ValidationError('missing envelope', undefined, 'OR_ERR_ENVELOPE_MISSING');
  try {
    return JSON.parse(fromB64u(value).toString('utf8'));
  } catch {
    throw new ValidationError('malformed envelope header', undefined, 'OR_ERR_ENVELOPE_MALFORMED');
  }
}

function parseInner(text: string, maxDepth: number): RequestPlaintext {
  if (exceedsJsonDepth(text, maxDepth)) {
    throw new ValidationError(`JSON nesting deeper than ${maxDepth}`, undefined, 'OR_ERR_JSON_TOO_DEEP');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('decrypted request is not JSON', undefined, 'OR_ERR_BAD_JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('decrypted request must be an object', undefined, 'OR_ERR_ENVELOPE_MALFORMED');
  }
  const h = (value as RequestPlaintext).h;
  if (h !== undefined && !isHeaderMap(h)) {
    throw new ValidationError('peer headers must be strings', undefined, 'OR_ERR_ENVELOPE_MALFORMED');
  }
  return value as RequestPlaintext;
}
