import type {
  PeerClient,
  PeerRequestOptions,
  PeerResponse,
  PeerSessionInfo,
  HttpMethod,
} from '@openred/plugin-sdk';
import type { Logger } from 'pino';
import type { CryptoEngine } from '../../crypto/engine.js';
import { fromB64u, toB64u } from '../../crypto/encoding.js';
import { epochOf } from '../../crypto/epochs.js';
import { isNodeId, type NodePublicKeys } from '../../crypto/identity.js';
import type { DirectoryClient } from '../../directory/client.js';
import { isOpenRedError, OpenRedError, UpstreamError, ValidationError } from '../../errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { TokenManager } from '../../tokens/token-manager.js';
import { DispatchFailure, dispatchToPeer, type RawAnswer } from './peer-dispatch.js';
import type { PeerPool } from './peer-pool.js';
import { sessionInfo, type PeerSession } from './peer-session.js';
import type { SessionTable } from './session-table.js';
import {
  COUNTER_HEADER,
  ENVELOPE_HEADER,
  EPOCH_HEADER,
  SEALED_HEADER,
  STATUS_HEADER,
  BODY_HEADER,
  binaryRequestAad,
  binaryResponseAad,
  bytesRequestAad,
  frameBytes,
  preSealedResponseAad,
  rawResponseAad,
  openBinary,
  sealBinary,
  isSealedType,
  SEALED_TYPE,
  SESSION_HEADER,
  requestAad,
  responseAad,
  type HandshakeResponse,
  type ResponsePlaintext,
} from './wire.js';

const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const RETRYABLE = new Set(['OR_ERR_SESSION_UNKNOWN', 'OR_ERR_PEER_UNREACHABLE']);

export interface PeerServiceOptions {
  selfId: () => string;
  selfKeys: () => NodePublicKeys;
  engine: CryptoEngine;
  tokens: () => TokenManager;
  sessions: SessionTable;
  pool: PeerPool;
  directory: () => DirectoryClient | undefined;
  clock: Clock;
  log: Logger;
  epochSeconds: number;
  /** Renew when this fraction of the session's life has passed (default 0.8). */
  renewAt?: number;
  /** How long to wait for our own token after request-connection (default 5 s). */
  tokenWaitMs?: number;
  requestTimeoutMs?: number;
  maxResponseBytes?: number;
}

interface PeerAddress {
  url: string;
  keys: NodePublicKeys;
}

/** Where requests to one peer base URL go: its pool's origin and the path prefix before `/p2p/...`. */
interface PeerTarget {
  origin: string;
  prefix: string;
}

/**
 * The initiator side and the peer client plugins use (`ctx.peers`): first contact (discover, request a
 * grant, wait for our token, Noise handshake), sealed requests over pooled keep-alive connections, one
 * transparent re-handshake when the peer forgot the session, and renewal before a session expires.
 * Concurrent connects to one peer share one handshake.
 */
export class PeerService implements PeerClient {
  readonly #o: PeerServiceOptions;
  readonly #connecting = new Map<string, Promise<PeerSession>>();
  readonly #addresses = new Map<string, PeerAddress>();
  /** Address lookups in flight for responder sessions, one per peer. */
  readonly #lookups = new Map<string, Promise<void>>();
  /** Parsed peer base URLs (see #target). */
  readonly #targets = new Map<string, PeerTarget>();

  constructor(options: PeerServiceOptions) {
    this.#o = options;
  }

  async connect(peer: string): Promise<PeerSessionInfo> {
    const session = await this.#session(peer);
    return this.#info(session);
  }

  sessions(): PeerSessionInfo[] {
    return this.#o.sessions.list().map((s) => this.#info(s));
  }

  async request<T = unknown>(
    peer: string,
    method: HttpMethod,
    path: string,
    body?: unknown,
    options: PeerRequestOptions = {},
  ): Promise<PeerResponse<T>> {
    if (!path.startsWith('/')) throw new ValidationError('peer request path must start with "/"');
    for (let attempt = 0; ; attempt++) {
      const found = this.#session(peer);
      const session = found instanceof Promise ? await found : found;
      try {
        return await this.#send<T>(session, method, path, body, options);
      } catch (err) {
        // The peer restarted (forgot the session, or moved to a new address): handshake again once,
        // re-discovering its address, then give up.
        if (attempt === 0 && isOpenRedError(err) && RETRYABLE.has(err.code)) {
          this.#o.sessions.drop(session);
          if (err.code === 'OR_ERR_PEER_UNREACHABLE') this.#addresses.delete(peer);
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * The current session with `peer`, renewing or establishing one as needed. Synchronous when a session is in
   * place (the common case: no promise to wait for); a peer with a session is a valid id other than ours.
   */
  #session(peer: string): PeerSession | Promise<PeerSession> {
    const current = this.#o.sessions.current(peer);
    if (current === undefined) {
      if (!isNodeId(peer)) throw new ValidationError(`not a node id: ${peer}`, undefined, 'OR_ERR_NODE_ID');
      if (peer === this.#o.selfId())
        throw new ValidationError('a node cannot connect to itself', undefined, 'OR_ERR_SELF');
    } else {
      const life = current.expiresAt - current.establishedAt;
      const renewAfter = current.establishedAt + life * (this.#o.renewAt ?? 0.8);
      if (current.role === 'initiator' && this.#o.clock.now() >= renewAfter && !this.#connecting.has(peer)) {
        // Renew in the background; the current session keeps serving until the new one is in place.
        this.#establishShared(peer).catch((err) =>
          this.#o.log.warn({ peer, err: String(err) }, 'session renewal failed'),
        );
      }
      return current;
    }
    return this.#establishShared(peer);
  }

  #establishShared(peer: string): Promise<PeerSession> {
    let p = this.#connecting.get(peer);
    if (!p) {
      p = this.#establish(peer).finally(() => this.#connecting.delete(peer));
      this.#connecting.set(peer, p);
    }
    return p;
  }

  async #establish(peer: string): Promise<PeerSession> {
    const directory = this.#o.directory();
    if (!directory) throw new UpstreamError('no directory configured', 'OR_ERR_DIRECTORY_UNAVAILABLE', 503);
    const address = await this.#address(peer, true);
    const result = await directory.requestConnection(peer);
    if (!result.delivered.responder) {
      throw new UpstreamError('the directory could not reach the peer', 'OR_ERR_PEER_UNREACHABLE', 502);
    }
    const stored = await this.#o.tokens().waitFor(result.grant_id, this.#o.tokenWaitMs ?? 5000);
    const { handshakeId, message } = await this.#o.engine.initiatorHandshake(stored.token, address.keys);
    let reply: HandshakeResponse;
    try {
      reply = await this.#postJson<HandshakeResponse>(address.url, '/p2p/handshake', {
        grant_id: result.grant_id,
        from: this.#o.selfId(),
        keys: this.#o.selfKeys(),
        msg: toB64u(message),
      });
    } catch (err) {
      await this.#o.engine.abortHandshake(handshakeId).catch(() => undefined);
      throw err;
    }
    const keys = await this.#o.engine.initiatorFinish(handshakeId, fromB64u(String(reply.msg)));
    const session = this.#o.sessions.add(keys, { peerUrl: address.url });
    this.#o.log.info({ peer, session: session.id }, 'peer session established');
    return session;
  }

  /** The peer's URL and keys: from a handshake or an earlier discover, else the directory. */
  async #address(peer: string, fresh = false): Promise<PeerAddress> {
    const known = this.#addresses.get(peer);
    if (known && !fresh) return known;
    const directory = this.#o.directory();
    if (!directory) {
      if (known) return known;
      throw new UpstreamError('no directory configured', 'OR_ERR_DIRECTORY_UNAVAILABLE', 503);
    }
    try {
      const view = await directory.discover(peer);
      const address = { url: view.api_url.replace(/\/+$/, ''), keys: view.keys };
      this.#addresses.set(peer, address);
      return address;
    } catch (err) {
      if (known) return known; // directory down: keep using what we knew
      throw err;
    }
  }

  async #send<T>(
    session: PeerSession,
    method: HttpMethod,
    path: string,
    body: unknown,
    options: PeerRequestOptions,
  ): Promise<PeerResponse<T>> {
    const base = session.peerUrl ?? (session.peerUrl = (await this.#address(session.peerId)).url);
    const target = this.#target(base);
    const url = `/p2p${path}`;
    const bytes = body instanceof Uint8Array;
    const plaintext = bytes
      ? frameBytes(options.headers, body)
      : Buffer.from(
          JSON.stringify(body === undefined ? { h: options.headers } : { b: body, h: options.headers }),
        );
    const headers: Record<string, string> = { [SESSION_HEADER]: session.id };
    let requestCounter: number | string | bigint;
    let payload: Buffer | undefined;
    if (method === 'GET' || method === 'DELETE') {
      if (bytes) throw new ValidationError(`a ${method} request carries no body`);
      // No body: the JSON envelope travels in a header.
      const envelope = session.transport.seal(plaintext, requestAad(method, url));
      headers[ENVELOPE_HEADER] = toB64u(Buffer.from(JSON.stringify(envelope)));
      requestCounter = envelope.n;
    } else {
      // A binary envelope: epoch and counter, then ciphertext || tag, as the body (no base64, no JSON).
      const aad = bytes ? bytesRequestAad(method, url) : binaryRequestAad(method, url);
      headers['content-type'] = SEALED_TYPE;
      if (bytes) headers[BODY_HEADER] = 'bytes';
      const sealed = sealBinary(session.transport, plaintext, aad);
      requestCounter = sealed.n;
      payload = sealed.buf;
    }
    const res = await this.#raw(target, method, url, headers, payload, options.timeoutMs, options.into);
    this.#o.sessions.touch(session);
    const sealed = res.headers[SEALED_HEADER];
    if (sealed === 'bin') {
      // A route that answered bytes: sealed as one raw envelope, its epoch, counter and status in headers.
      const status = Number(res.headers[STATUS_HEADER]);
      const bytes = session.transport.openRaw(
        { e: Number(res.headers[EPOCH_HEADER]), n: parseCounter(res.headers[COUNTER_HEADER]), ct: res.raw },
        binaryResponseAad(method, url, requestCounter, status),
      );
      return { status, body: bytes as T };
    }
    if (sealed === 'pre') {
      // Bytes the route sealed itself (the plugin checks them): the session vouches for status and length.
      const meta = JSON.parse(
        session.transport
          .open(
            envelopeHeader(res.headers[ENVELOPE_HEADER]),
            preSealedResponseAad(method, url, requestCounter),
          )
          .toString('utf8'),
      ) as { s?: unknown; l?: unknown };
      if (typeof meta.s !== 'number' || meta.l !== res.raw.length) {
        throw new UpstreamError('pre-sealed answer does not match its envelope', 'OR_ERR_PEER_ANSWER', 502);
      }
      return { status: meta.s, body: res.raw as T };
    }
    let answer: Buffer;
    if (sealed === undefined && payload !== undefined && isSealedType(res.headers['content-type'])) {
      // The answer's bytes are read only here: opened where they lie. (Read into a caller's `into` buffer,
      // they are that request's scratch: the caller gets the parsed body, never the buffer.)
      const opened = openBinary(session.transport, res.raw, rawResponseAad(method, url, requestCounter));
      if (!opened)
        throw new UpstreamError('peer answered a malformed sealed body', 'OR_ERR_PEER_ANSWER', 502);
      answer = opened;
    } else if (sealed === '1') {
      answer = session.transport.open(
        parseJson(res.raw, res.status),
        responseAad(method, url, requestCounter),
      );
    } else {
      throw plainError(res.status, parseJson(res.raw, res.status));
    }
    const inner = parseJson(answer, res.status) as ResponsePlaintext;
    return { status: inner.s, body: inner.b as T };
  }

  async #postJson<T>(base: string, path: string, body: unknown): Promise<T> {
    const res = await this.#raw(
      this.#target(base),
      'POST',
      path,
      { 'content-type': 'application/json' },
      JSON.stringify(body),
    );
    const json = parseJson(res.raw, res.status);
    if (res.status !== 200) throw plainError(res.status, json);
    return json as T;
  }

  /**
   * A peer base URL split into the pool origin and the path prefix, parsed once per URL rather than per request
   * (URL parsing is among the larger fixed costs of a small request). Bounded: peers' URLs are few, but they
   * come from the directory.
   */
  #target(base: string): PeerTarget {
    let target = this.#targets.get(base);
    if (target === undefined) {
      const url = new URL(base);
      target = { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
      if (this.#targets.size >= 1024) this.#targets.clear();
      this.#targets.set(base, target);
    }
    return target;
  }

  async #raw(
    target: PeerTarget,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    timeoutMs?: number,
    into?: Buffer,
  ): Promise<RawAnswer> {
    const { origin } = target;
    try {
      return await dispatchToPeer(this.#o.pool.get(origin), {
        method,
        path: target.prefix + path,
        headers,
        body,
        timeoutMs,
        maxBytes: this.#o.maxResponseBytes ?? 16 * 1024 * 1024,
        into,
      });
    } catch (err) {
      if (isOpenRedError(err)) throw err;
      const failure = err instanceof DispatchFailure ? err : new DispatchFailure('request', err);
      const cause = failure.cause;
      if (failure.phase === 'body') {
        // The answer stopped (timeout) or the connection dropped in the middle of the body: the request may
        // have been processed, so this is reported like a failure after sending, never retried blindly.
        throw afterSending(cause, origin, 'stopped answering', 'failed while answering');
      }
      // Only a failure to connect is safe to retry: the request cannot have reached the peer. A timeout or a
      // reset after sending may have been processed, so it is reported, not retried.
      const code = (cause as { code?: string }).code ?? '';
      if (NOT_CONNECTED.has(code)) {
        throw new UpstreamError(
          `cannot connect to peer at ${origin} (${code})`,
          'OR_ERR_PEER_UNREACHABLE',
          502,
          cause,
        );
      }
      throw afterSending(cause, origin, 'did not answer in time', 'failed');
    }
  }

  #info(s: PeerSession): PeerSessionInfo {
    const epoch = epochOf(this.#o.clock.now(), this.#o.epochSeconds);
    return sessionInfo(s, epoch, s.transport.methods.join(','));
  }

  /**
   * The handshake tells a responder who its peer is but not where: learn it now, while the directory that just
   * brokered the grant is up, so the session works both ways even if the directory goes down later. Best
   * effort (if it fails, the first request asks again); one lookup per peer at a time, none when the address
   * is already known. The address only says where to send: the session's keys authenticate whoever answers.
   */
  learnAddress(session: PeerSession): void {
    if (session.role !== 'responder' || session.peerUrl !== undefined || !this.#o.directory()) return;
    const peer = session.peerId;
    const adopt = (): void => {
      session.peerUrl ??= this.#addresses.get(peer)?.url;
    };
    if (this.#addresses.has(peer)) return adopt();
    let lookup = this.#lookups.get(peer);
    if (!lookup) {
      lookup = this.#address(peer, true).then(
        () => undefined,
        (err: unknown) =>
          this.#o.log.debug(
            { peer, code: (err as { code?: unknown })?.code },
            'peer address lookup failed; retried on use',
          ),
      );
      lookup = lookup.finally(() => this.#lookups.delete(peer));
      this.#lookups.set(peer, lookup);
    }
    void lookup.then(adopt);
  }

  /** Forget a peer's cached address (e.g. after it re-registered elsewhere). */
  forget(peer: string): void {
    this.#addresses.delete(peer);
  }
}

/**
 * A transport failure once the request may have reached the peer (a timeout, a reset, a cut in the middle of
 * the answer): coded as a timeout or a failure, never as unreachable, so callers do not resend blindly.
 */
function afterSending(err: unknown, origin: string, timeoutText: string, failureText: string): UpstreamError {
  const code = (err as { code?: string }).code ?? '';
  const timedOut = (err as Error).name === 'TimeoutError' || code.includes('TIMEOUT');
  return new UpstreamError(
    `peer at ${origin} ${timedOut ? timeoutText : failureText}: ${(err as Error).message}`,
    timedOut ? 'OR_ERR_PEER_TIMEOUT' : 'OR_ERR_PEER_FAILED',
    timedOut ? 504 : 502,
    err,
  );
}

function parseJson(raw: Buffer, status: number): unknown {
  try {
    return raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
  } catch {
    throw new UpstreamError(
      `peer answered ${status} with something that is not JSON`,
      'OR_ERR_PEER_ANSWER',
      502,
    );
  }
}

function envelopeHeader(value: string | string[] | undefined): unknown {
  try {
    return JSON.parse(fromB64u(String(value)).toString('utf8'));
  } catch {
    throw new UpstreamError('pre-sealed answer without a valid envelope', 'OR_ERR_PEER_ANSWER', 502);
  }
}

function parseCounter(value: string | string[] | undefined): bigint {
  if (typeof value !== 'string' || !/^\d{1,20}$/.test(value)) {
    throw new UpstreamError('peer answered a malformed sealed body', 'OR_ERR_PEER_ANSWER', 502);
  }
  return BigInt(value);
}

function plainError(status: number, json: unknown): OpenRedError {
  const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (e?.code)
    return new OpenRedError(e.code, e.message ?? `peer answered ${status}`, status >= 500 ? 502 : status);
  return new UpstreamError(`peer answered ${status}`, 'OR_ERR_PEER_ANSWER', 502);
}
