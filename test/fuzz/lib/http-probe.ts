/**
 * Sends one fuzz request and judges the answer. Every request has a deadline (a hang fails the property).
 * A good answer is a success, or a 4xx whose body is `{error: {code, message}}` with a stable `OR_ERR_*` code;
 * no answer may be a 5xx or carry a stack trace, and error answers may not name server-side paths.
 */
import { tmpdir } from 'node:os';
import { Agent, errors as undiciErrors, request } from 'undici';
import { repoRoot } from '../../helpers/node-harness.js';
import { record } from './tally.js';

/** Generous: the machine is shared and some inputs are large; a hang is far longer than this. */
export const REQUEST_TIMEOUT_MS = 15_000;

export interface Probe {
  method: string;
  /** Path and query. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const CODE = /^OR_ERR_[A-Z0-9_]+$/;
const STACK = /\n\s+at\s|\bat .*\((?:file:\/\/|\/)|\.ts:\d+:\d+/;
const SERVER_PATHS = [repoRoot, `${tmpdir()}/openred-`, 'node_modules'];

export class HttpProbe {
  #agent = HttpProbe.#newAgent();

  constructor(readonly base: string) {}

  static #newAgent(): Agent {
    return new Agent({ connections: 8, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  }

  /**
   * The answer, or 'unsendable' when the HTTP client itself refuses the request (e.g. a header value with a
   * newline), or 'closed' when the server closed the connection, which only an oversized body may cause.
   * undici's timeouts cover a silent server; a request that still has no answer after twice that is sent
   * again on a fresh connection pool (a client pool left stuck by an earlier hostile request is not the
   * server's fault), and fails the property if the server does not answer that one either.
   */
  async send(p: Probe): Promise<Answer | 'unsendable' | 'closed'> {
    const first = await this.#withDeadline(p);
    if (first !== 'stalled') return first;
    void this.#agent.destroy().catch(() => undefined);
    this.#agent = HttpProbe.#newAgent();
    const again = await this.#withDeadline(p);
    if (again === 'stalled')
      throw new Error(`no answer within ${2 * REQUEST_TIMEOUT_MS} ms: ${p.method} ${p.path}`);
    return again;
  }

  async #withDeadline(p: Probe): Promise<Answer | 'unsendable' | 'closed' | 'stalled'> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), 2 * REQUEST_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.#send(p), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #send(p: Probe): Promise<Answer | 'unsendable' | 'closed'> {
    try {
      const res = await request(this.base + p.path, {
        method: p.method as 'GET',
        headers: p.headers,
        body: p.body,
        dispatcher: this.#agent,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      if (err instanceof undiciErrors.InvalidArgumentError) return 'unsendable';
      if ((err as { code?: string }).code === 'ERR_ASSERTION') {
        // undici asserts on some header values it does not validate first (`Host: [`): the request never
        // left this process. Start a fresh pool, in case the assertion left the old one inconsistent.
        void this.#agent.destroy().catch(() => undefined);
        this.#agent = HttpProbe.#newAgent();
        return 'unsendable';
      }
      const code = (err as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${p.method} ${p.path}`);
      }
      if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') return 'closed';
      throw err;
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** Throws (failing the property) unless the answer is a valid success or a well-formed, coded 4xx. */
export function judge(
  target: string,
  answer: Answer | 'unsendable' | 'closed',
  probe: Probe,
  maxBody?: number,
): void {
  if (answer === 'unsendable') {
    record(target, 'unsendable');
    return;
  }
  if (answer === 'closed') {
    const size = probe.body?.length ?? 0;
    if (maxBody === undefined || size <= maxBody) {
      throw new Error(`connection closed without an answer: ${describe(probe)}`);
    }
    record(target, 'closed (oversized body)');
    return;
  }
  const text = answer.body.toString('utf8');
  if (probe.method === 'HEAD') {
    // A HEAD answer has no body by definition: only its status can be judged.
    if (answer.status >= 500) throw new Error(`server error: ${answer.status} for HEAD ${probe.path}`);
    record(target, `${answer.status} (HEAD)`);
    return;
  }
  judgeBody(target, answer.status, text, String(answer.headers['content-type'] ?? ''), probe);
}

/** The shared rules for a status and a body (also used on the decrypted answers of sealed routes). */
export function judgeBody(target: string, status: number, text: string, type: string, probe: Probe): void {
  const where = `${status} for ${describe(probe)}: ${text.slice(0, 300)}`;
  if (STACK.test(text)) throw new Error(`stack trace in the answer: ${where}`);
  if (status >= 500) throw new Error(`server error: ${where}`);
  if (status >= 400) {
    let code: unknown;
    let message: unknown;
    try {
      const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
      code = error?.code;
      message = error?.message;
    } catch {
      throw new Error(`error answer is not JSON: ${where}`);
    }
    if (typeof code !== 'string' || !CODE.test(code) || typeof message !== 'string') {
      throw new Error(`error answer without a stable code: ${where}`);
    }
    for (const p of SERVER_PATHS) {
      if (text.includes(p) && !JSON.stringify(probe).includes(p)) {
        throw new Error(`server path in an error answer: ${where}`);
      }
    }
    record(target, `${status} ${code}`);
    return;
  }
  if (status < 200 || status >= 300) throw new Error(`unexpected status: ${where}`);
  if (type.includes('json') && text !== '') {
    try {
      JSON.parse(text);
    } catch {
      throw new Error(`success answer is not JSON: ${where}`);
    }
  }
  record(target, String(status));
}

function describe(p: Probe): string {
  const body = p.body === undefined ? '' : ` body(${p.body.length})=${String(p.body).slice(0, 200)}`;
  return `${p.method} ${p.path.slice(0, 200)} headers=${JSON.stringify(p.headers ?? {}).slice(0, 200)}${body}`;
}
