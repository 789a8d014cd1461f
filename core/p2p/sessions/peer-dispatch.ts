import type { Dispatcher } from 'undici';
import { UpstreamError } from '../../errors.js';

/** A peer's answer as read off the wire: status, the headers the session layer reads, and the body bytes. */
export interface RawAnswer {
  status: number;
  /** Lower-case names; only `content-length` and the `openred-*` headers are kept. */
  headers: Record<string, string | undefined>;
  raw: Buffer;
}

/** Where a transport failure happened: before the answer started (`request`) or while reading it (`body`). */
export class DispatchFailure extends Error {
  constructor(
    readonly phase: 'request' | 'body',
    override readonly cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause));
  }
}

export interface DispatchOptions {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  /** Abort the whole exchange after this long (the pool's own header and body timeouts apply anyway). */
  timeoutMs?: number;
  /** Answers longer than this fail with OR_ERR_PEER_ANSWER (checked on the declared length, then as read). */
  maxBytes: number;
  /** Read an answer of declared length that fits into this buffer instead of a fresh one. */
  into?: Buffer;
}

/**
 * One request through undici's dispatcher interface, the body gathered by the handler itself. Why not
 * `pool.request()`: that wraps each exchange in an AsyncResource and a Readable stream for the body (with its
 * ticks and its consume step), which cost about as much as the session layer's own work on a small message.
 * Peer answers are small or bounded and always read whole, so none of that is needed here.
 */
export function dispatchToPeer(pool: Dispatcher, o: DispatchOptions): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    let status = 0;
    let headers: Record<string, string | undefined> = {};
    let started = false;
    let size = 0;
    let target: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let abort: ((err: Error) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err instanceof UpstreamError ? err : new DispatchFailure(started ? 'body' : 'request', err));
    };
    const tooLarge = (): void => {
      const err = new UpstreamError('peer answer too large', 'OR_ERR_PEER_ANSWER', 502);
      abort?.(err);
      fail(err);
    };
    if (o.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const err = Object.assign(new Error(`no complete answer within ${o.timeoutMs} ms`), {
          name: 'TimeoutError',
        });
        abort?.(err);
        fail(err);
      }, o.timeoutMs);
    }
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        abort = abortRequest;
        if (settled) abortRequest(new Error('request already failed'));
      },
      onHeaders(statusCode, rawHeaders) {
        started = true;
        status = statusCode;
        headers = pickHeaders(rawHeaders as unknown as Buffer[]);
        const declared = Number(headers['content-length']);
        if (Number.isFinite(declared)) {
          if (declared > o.maxBytes) {
            tooLarge();
            return false;
          }
          if (o.into !== undefined && declared <= o.into.length) target = o.into;
        }
        return true;
      },
      onData(chunk) {
        if (settled) return false;
        const bytes = chunk as Buffer;
        if (size + bytes.length > (target?.length ?? o.maxBytes)) {
          tooLarge();
          return false;
        }
        if (target !== undefined) bytes.copy(target, size);
        else (chunks ??= []).push(bytes);
        size += bytes.length;
        return true;
      },
      onComplete() {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const raw =
          target !== undefined
            ? target.subarray(0, size)
            : chunks === undefined
              ? Buffer.alloc(0)
              : chunks.length === 1
                ? chunks[0]!
                : Buffer.concat(chunks, size);
        resolve({ status, headers, raw });
      },
      onError: fail,
    };
    pool.dispatch(
      { method: o.method as Dispatcher.HttpMethod, path: o.path, headers: o.headers, body: o.body },
      handler,
    );
  });
}

/** The headers the peer client reads, from undici's raw list (name, value, name, value... as bytes). */
function pickHeaders(raw: Buffer[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // 'content-length' (14) or 'openred-…' (8+); other names are skipped without decoding them.
    if (name.length < 8) continue;
    const key = name.toString('latin1').toLowerCase();
    if (key === 'content-length' || key.startsWith('openred-')) out[key] = raw[i + 1]!.toString('latin1');
  }
  return out;
}
