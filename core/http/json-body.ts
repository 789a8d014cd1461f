import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import { OpenRedError, ValidationError } from '../errors.js';
import { exceedsJsonDepth } from './json-depth.js';
import { mediaType } from './media-type.js';

declare module 'koa' {
  interface Request {
    /** Parsed JSON body (undefined for requests without one). */
    body?: unknown;
    /** Raw body bytes, kept for routes that verify signatures or decrypt envelopes. */
    rawBody?: Buffer;
  }
}

export interface JsonBodyOptions {
  maxBytes: number;
  maxDepth: number;
  /**
   * Content types read whole (with the same size limit) into `ctx.request.rawBody` without parsing: the p2p
   * surface's binary sealed envelopes, which the session layer opens.
   */
  rawTypes?: readonly string[];
}

/** Reads the body as a stream, refusing to buffer more than `maxBytes` (413 before the whole body arrives). */
export async function readBody(ctx: Context, maxBytes: number): Promise<Buffer> {
  const declared = Number(ctx.req.headers['content-length'] || NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Without this, Node keeps the connection for reuse and reads (and discards) the whole declared body.
    ctx.set('Connection', 'close');
    throw bodyTooLarge(maxBytes);
  }
  if (Number.isFinite(declared)) {
    // A small body usually came in the TCP read that carried the headers, and Node parses the rest of that read
    // right after the request event, before the next microtask: after one yield it is often all buffered.
    await undefined;
    const body = arrivedBody(ctx.req, declared);
    if (body !== undefined) return body;
  }
  // Event-based rather than `for await`: the async iterator costs more than the rest of this function on the
  // small bodies peers send most. The listeners are module-level functions reading their state from the request
  // (emitters call listeners with `this` = the request): no closures to create per request.
  return new Promise<Buffer>((resolve, reject) => {
    const req = ctx.req as ReadingRequest;
    req[READING] = { ctx, maxBytes, chunks: [], size: 0, resolve, reject };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

const EMPTY = Buffer.alloc(0);

/**
 * The whole body when the request already holds all of it (exactly the declared length buffered and not yet read
 * by anyone: with Content-Length framing the parser delivers no more than that) taken in one `read()`, without
 * listeners or the stream's ticks. Else undefined.
 */
function arrivedBody(req: IncomingMessage, declared: number): Buffer | undefined {
  if (req.readableFlowing !== null || req.readableLength !== declared || req.readableDidRead)
    return undefined;
  if (declared === 0) return EMPTY;
  return (req.read() as Buffer | null) ?? undefined;
}

const READING = Symbol('openred.readBody');

interface Reading {
  ctx: Context;
  maxBytes: number;
  chunks: Buffer[];
  size: number;
  resolve: (body: Buffer) => void;
  reject: (err: unknown) => void;
}

type ReadingRequest = IncomingMessage & { [READING]?: Reading };

/** Detaches the listeners and hands back the state of the read, once. */
function finish(req: ReadingRequest): Reading | undefined {
  const reading = req[READING];
  req[READING] = undefined;
  req.off('data', onData);
  req.off('end', onEnd);
  req.off('error', onError);
  req.off('aborted', onAborted);
  return reading;
}

function onData(this: ReadingRequest, chunk: Buffer): void {
  const reading = this[READING];
  if (!reading) return;
  reading.size += chunk.length;
  if (reading.size > reading.maxBytes) {
    finish(this);
    this.pause();
    // Stop reading; the connection is closed after the answer so the client cannot keep streaming.
    reading.ctx.set('Connection', 'close');
    reading.reject(bodyTooLarge(reading.maxBytes));
    return;
  }
  reading.chunks.push(chunk);
}

function onEnd(this: ReadingRequest): void {
  const reading = finish(this);
  if (!reading) return;
  const { chunks, size } = reading;
  reading.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
}

function onError(this: ReadingRequest, err: Error): void {
  finish(this)?.reject(err);
}

function onAborted(this: ReadingRequest): void {
  finish(this)?.reject(new OpenRedError('OR_ERR_REQUEST_ABORTED', 'the client aborted the request', 400));
}

function bodyTooLarge(max: number): OpenRedError {
  return new OpenRedError('OR_ERR_BODY_TOO_LARGE', `request body exceeds ${max} bytes`, 413);
}

/** Parses JSON bodies of POST/PUT/PATCH/DELETE requests with size, content-type and depth checks. */
export function jsonBody(options: JsonBodyOptions) {
  const rawTypes = options.rawTypes;
  const known = new Set(['application/json', ...(rawTypes ?? [])]);
  return async function jsonBodyMiddleware(ctx: Context, next: Next): Promise<void> {
    const method = ctx.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    // Node's own header map (lower-case names), read directly: `ctx.get` goes through two Koa accessors.
    const headers = ctx.req.headers;
    const hasBody = Number(headers['content-length'] || 0) > 0 || (headers['transfer-encoding'] ?? '') !== '';
    if (!hasBody) return next();
    const type = mediaType(headers['content-type'], known);
    if (rawTypes?.includes(type)) {
      ctx.request.rawBody = await readBody(ctx, options.maxBytes);
      return next();
    }
    if (type !== 'application/json') {
      // Routes that stream bytes (file transfer) opt out by declaring `raw: true`; see p2p/route-table.ts.
      if (ctx.state.rawBodyAllowed) return next();
      throw new OpenRedError(
        'OR_ERR_UNSUPPORTED_MEDIA_TYPE',
        `expected content-type application/json, got ${type || 'none'}`,
        415,
      );
    }
    const raw = await readBody(ctx, options.maxBytes);
    ctx.request.rawBody = raw;
    if (raw.length === 0) return next();
    const text = raw.toString('utf8');
    if (exceedsJsonDepth(text, options.maxDepth)) {
      throw new ValidationError(
        `JSON nesting deeper than ${options.maxDepth}`,
        undefined,
        'OR_ERR_JSON_TOO_DEEP',
      );
    }
    try {
      ctx.request.body = JSON.parse(text);
    } catch {
      throw new ValidationError('request body is not valid JSON', undefined, 'OR_ERR_BAD_JSON');
    }
    return next();
  };
}
