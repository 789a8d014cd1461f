/**
 * The node side of the directory API. It signs through a callback (the crypto agent holds the key) and
 * trusts the directory no further than it must: every answer is validated against the protocol schemas, and
 * every node the directory describes is checked to have the id its keys hash to, so a directory cannot
 * substitute keys. The directory's public key is pinned: `health()` refuses a directory that presents another.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { assertNodeIdMatchesKeys, type NodePublicKeys } from '../crypto/identity.js';
import { NOISE_SUITES, type NoiseSuite } from '../crypto/tokens/grant.js';
import { CryptoError, OpenRedError, RateLimitError, UpstreamError } from '../errors.js';
import { compile, describeErrors } from '../http/validation.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import {
  API_PREFIX,
  SIGNED_HEADERS,
  connectionResultSchema,
  healthSchema,
  nodePageSchema,
  nodeViewSchema,
  registrationResultSchema,
  type ConnectionRequestBody,
  type ConnectionResult,
  type HealthView,
  type NodePage,
  type NodeStatus,
  type NodeView,
  type RegistrationBody,
  type RegistrationResult,
} from './protocol.js';
import { DISCOVER_PATH, discoverPayload, signPayload, type SignFn } from './signing.js';

export interface DirectoryClientOptions {
  /** Base URL of the directory, e.g. `https://dir.example.org` (a trailing `/api/v3` is accepted). */
  url: string;
  /** The pinned directory public key (base64url raw Ed25519). */
  directoryPublicKey: string;
  nodeId: string;
  publicKeys: NodePublicKeys;
  /** This node's peer-facing base URL, as the directory should reach it. */
  apiUrl: string;
  suites?: NoiseSuite[];
  capabilities?: string[];
  /** Ed25519 signature with the node key over `data`. */
  sign: SignFn;
  clock?: Clock;
  /** Per request (default 5000 ms). */
  timeoutMs?: number;
  /**
   * For request-connection, which answers only after the directory has pushed both tokens, with its own
   * retries (default 15000 ms: above the directory's default worst-case delivery of 9.6 s, so a peer that
   * does not take its token is reported as such, not as a directory that did not answer).
   */
  connectTimeoutMs?: number;
  /** undici dispatcher to use instead of the client's own connection pool. */
  dispatcher?: Dispatcher;
}

export interface ListFilter {
  status?: NodeStatus;
  capability?: string;
  cursor?: string;
  limit?: number;
}

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * @example
 * const client = new DirectoryClient({ url, directoryPublicKey, nodeId, publicKeys, apiUrl,
 *   capabilities: ['messaging'], sign: (data) => agent.sign(data) });
 * await client.register();
 * const peer = await client.discover('or...');
 * const { grant_id, delivered } = await client.requestConnection(peer.node_id);
 */
export class DirectoryClient {
  readonly #o: Required<Omit<DirectoryClientOptions, 'dispatcher'>>;
  readonly #base: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownDispatcher: boolean;
  #lastTs = 0;

  constructor(options: DirectoryClientOptions) {
    this.#o = {
      suites: [...NOISE_SUITES],
      capabilities: [],
      clock: systemClock,
      timeoutMs: 5000,
      connectTimeoutMs: 15_000,
      ...options,
    };
    this.#base = options.url.replace(/\/+$/, '').replace(/\/api\/v3$/, '') + API_PREFIX;
    this.#ownDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 4000, connections: 8 });
  }

  get nodeId(): string {
    return this.#o.nodeId;
  }

  /** Changes what the next registration announces (e.g. after a plugin was enabled). */
  update(changes: { apiUrl?: string; capabilities?: string[]; suites?: NoiseSuite[] }): void {
    if (changes.apiUrl !== undefined) this.#o.apiUrl = changes.apiUrl;
    if (changes.capabilities !== undefined) this.#o.capabilities = [...changes.capabilities];
    if (changes.suites !== undefined) this.#o.suites = [...changes.suites];
  }

  /** Timestamps strictly increase even within one millisecond, so a quick re-registration is not "stale". */
  #nextTs(): number {
    this.#lastTs = Math.max(this.#o.clock.now(), this.#lastTs + 1);
    return this.#lastTs;
  }

  /** Registers (or heartbeats) this node. */
  async register(): Promise<RegistrationResult> {
    const unsigned: Omit<RegistrationBody, 'sig'> = {
      node_id: this.#o.nodeId,
      api_url: this.#o.apiUrl,
      keys: this.#o.publicKeys,
      suites: this.#o.suites,
      capabilities: this.#o.capabilities,
      ts: this.#nextTs(),
    };
    const body: RegistrationBody = { ...unsigned, sig: await signPayload(this.#o.sign, unsigned) };
    const result = await this.#call<RegistrationResult>(
      'POST',
      '/nodes/register',
      registrationResultSchema,
      body,
    );
    if (result.node_id !== this.#o.nodeId) throw badAnswer('registration answer names another node');
    return result;
  }

  /** One node by id; its keys are checked against its id. */
  async discover(id: string): Promise<NodeView> {
    const node = await this.#signedGet<NodeView>({ id }, nodeViewSchema);
    if (node.node_id !== id) throw badAnswer('discover answered another node');
    checkIdentity(node);
    return node;
  }

  /** One page of nodes (ordered by id); pass `next_cursor` back as `cursor` for the next page. */
  async list(filter: ListFilter = {}): Promise<NodePage> {
    const query: Record<string, string> = {};
    if (filter.status !== undefined) query.status = filter.status;
    if (filter.capability !== undefined) query.capability = filter.capability;
    if (filter.cursor !== undefined) query.cursor = filter.cursor;
    if (filter.limit !== undefined) query.limit = String(filter.limit);
    const page = await this.#signedGet<NodePage>(query, nodePageSchema);
    page.nodes.forEach(checkIdentity);
    return page;
  }

  /** Every page of a listing. */
  async *listAll(filter: Omit<ListFilter, 'cursor'> = {}): AsyncGenerator<NodeView> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...filter, cursor });
      yield* page.nodes;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Asks the directory to issue and deliver a token pair for a connection from this node to `target`. */
  async requestConnection(target: string, options: { suite?: NoiseSuite } = {}): Promise<ConnectionResult> {
    const unsigned: Omit<ConnectionRequestBody, 'sig'> = { from: this.#o.nodeId, target, ts: this.#nextTs() };
    if (options.suite !== undefined) unsigned.suite = options.suite;
    const body: ConnectionRequestBody = { ...unsigned, sig: await signPayload(this.#o.sign, unsigned) };
    return this.#call<ConnectionResult>(
      'POST',
      '/tokens/request-connection',
      connectionResultSchema,
      body,
      {},
      false,
      this.#o.connectTimeoutMs,
    );
  }

  /** The directory's health; throws OR_ERR_DIRECTORY_KEY_MISMATCH if it presents a key other than the pinned one. */
  async health(): Promise<HealthView> {
    const h = await this.#call<HealthView>('GET', '/health', healthSchema, undefined, {}, true);
    if (h.public_key !== this.#o.directoryPublicKey) {
      throw new CryptoError(
        'OR_ERR_DIRECTORY_KEY_MISMATCH',
        'the directory presents a key other than the pinned one',
        502,
      );
    }
    return h;
  }

  async #signedGet<T>(query: Record<string, string>, schema: object): Promise<T> {
    const ts = this.#nextTs();
    const sig = await signPayload(this.#o.sign, discoverPayload(query, ts, this.#o.nodeId));
    const headers = {
      [SIGNED_HEADERS.node]: this.#o.nodeId,
      [SIGNED_HEADERS.ts]: String(ts),
      [SIGNED_HEADERS.sig]: sig,
    };
    const qs = new URLSearchParams(query).toString();
    return this.#call<T>(
      'GET',
      DISCOVER_PATH.slice(API_PREFIX.length) + (qs ? `?${qs}` : ''),
      schema,
      undefined,
      headers,
    );
  }

  async #call<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: object,
    body?: unknown,
    headers: Record<string, string> = {},
    acceptDegraded = false,
    timeoutMs = this.#o.timeoutMs,
  ): Promise<T> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.#base + path, {
        method,
        dispatcher: this.#dispatcher,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new UpstreamError(
        `directory unreachable: ${(err as Error).message}`,
        'OR_ERR_DIRECTORY_UNREACHABLE',
        503,
        err,
      );
    }
    const answer = await readJson(res);
    const ok = res.statusCode === 200 || (acceptDegraded && res.statusCode === 503);
    if (!ok || (typeof answer === 'object' && answer !== null && 'error' in answer)) {
      throw toError(res, answer);
    }
    const validate = compile<T>(schema);
    if (!validate(answer)) throw badAnswer(describeErrors(validate.errors, 'answer').join('; '));
    return answer;
  }

  /** Closes the client's connection pool (not a dispatcher passed in). */
  async close(): Promise<void> {
    if (this.#ownDispatcher) await this.#dispatcher.close();
  }
}

function checkIdentity(node: NodeView): void {
  try {
    assertNodeIdMatchesKeys(node.node_id, node.keys);
  } catch (err) {
    throw new CryptoError(
      'OR_ERR_NODE_ID_MISMATCH',
      `directory returned keys that do not match ${node.node_id}`,
      502,
      err,
    );
  }
}

function badAnswer(why: string): OpenRedError {
  return new UpstreamError(`unexpected directory answer: ${why}`, 'OR_ERR_DIRECTORY_BAD_ANSWER');
}

async function readJson(res: Dispatcher.ResponseData): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      res.body.destroy();
      throw badAnswer('answer too large');
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badAnswer(`status ${res.statusCode}, body is not JSON`);
  }
}

/** The directory's `{error: {code, message}}` as the same OpenRedError code and status. */
function toError(res: Dispatcher.ResponseData, answer: unknown): OpenRedError {
  const e = (answer as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof e?.code === 'string' ? e.code : `OR_ERR_HTTP_${res.statusCode}`;
  const message = typeof e?.message === 'string' ? e.message : `directory answered ${res.statusCode}`;
  if (res.statusCode === 429) {
    const retry = Number(res.headers['retry-after']);
    return new RateLimitError(message, Number.isFinite(retry) && retry > 0 ? retry : 1, code);
  }
  return new OpenRedError(code, message, res.statusCode >= 400 ? res.statusCode : 502);
}
