import type { Dispatcher } from 'undici';
import { UpstreamError } from '../../errors.js';

/** A peer's answer as read off the wire: status, the headers the session layer reads, and the body bytes. */
export interface RawAnswer {
  status: number;
  /** Lower-case names; only `content-length`, `content-type` and the `openred-*` headers are kept. */
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
    const exchange = new Exchange(o, resolve, reject);
    if (o.timeoutMs !== undefined) exchange.startTimer(o.timeoutMs);
    pool.dispatch(
      { method: o.method as Dispatcher.HttpMethod, path: o.path, headers: o.headers, body: o.body },
      exchange,
    );
  });
}

/**
 * The handler of one exchange: a class, so a request allocates one object and no closures (its methods live on
 * the prototype; undici calls them with `this` = the handler).
 */
class Exchange implements Dispatcher.DispatchHandler {
  #status = 0;
  #headers: Record<string, string | undefined> = {};
  #started = false;
  #size = 0;
  #target: Buffer | undefined;
  #chunks: Buffer[] | undefined;
  #abort: ((err: Error) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #settled = false;

  constructor(
    readonly options: DispatchOptions,
    readonly resolve: (answer: RawAnswer) => void,
    readonly reject: (err: unknown) => void,
  ) {}

  startTimer(ms: number): void {
    this.#timer = setTimeout(() => {
      const err = Object.assign(new Error(`no complete answer within ${ms} ms`), { name: 'TimeoutError' });
      this.#abort?.(err);
      this.#fail(err);
    }, ms);
  }

  #fail(err: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.reject(
      err instanceof UpstreamError ? err : new DispatchFailure(this.#started ? 'body' : 'request', err),
    );
  }

  #tooLarge(): void {
    const err = new UpstreamError('peer answer too large', 'OR_ERR_PEER_ANSWER', 502);
    this.#abort?.(err);
    this.#fail(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#settled) abort(new Error('request already failed'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.#started = true;
    this.#status = statusCode;
    this.#headers = pickHeaders(rawHeaders);
    const declared = Number(this.#headers['content-length']);
    if (Number.isFinite(declared)) {
      if (declared > this.options.maxBytes) {
        this.#tooLarge();
        return false;
      }
      const into = this.options.into;
      if (into !== undefined && declared <= into.length) this.#target = into;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#settled) return false;
    const target = this.#target;
    if (this.#size + chunk.length > (target?.length ?? this.options.maxBytes)) {
      this.#tooLarge();
      return false;
    }
    if (target !== undefined) chunk.copy(target, this.#size);
    else (this.#chunks ??= []).push(chunk);
    this.#size += chunk.length;
    return true;
  }

  onComplete(): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    const size = this.#size;
    const chunks = this.#chunks;
    const raw =
      this.#target !== undefined
        ? this.#target.subarray(0, size)
        : chunks === undefined
          ? Buffer.alloc(0)
          : chunks.length === 1
            ? chunks[0]!
            : Buffer.concat(chunks, size);
    this.resolve({ status: this.#status, headers: this.#headers, raw });
  }

  onError(err: Error): void {
    this.#fail(err);
  }
}

/** The headers the peer client reads, from undici's raw list (name, value, name, value... as bytes). */
function pickHeaders(raw: Buffer[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // 'content-length' (14), 'content-type' (12) or 'openred-…' (8+); shorter names are skipped undecoded.
    if (name.length < 8) continue;
    const key = name.toString('latin1').toLowerCase();
    if (key === 'content-length' || key === 'content-type' || key.startsWith('openred-')) {
      out[key] = raw[i + 1]!.toString('latin1');
    }
  }
  return out;
}
