import type { HttpMethod } from './routes.js';

export interface PeerRequestOptions {
  /** Abort after this many milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Extra headers (sent inside the encrypted envelope). */
  headers?: Record<string, string>;
  /**
   * A buffer to read a byte answer into, when the answer declares its length and fits: the body returned is
   * then a view of this buffer (valid until you reuse it) instead of a fresh allocation. For hot paths that
   * fetch many large answers, such as file chunks (see `preSealed`). Other answers ignore it.
   */
  into?: Buffer;
}

export interface PeerResponse<T = unknown> {
  status: number;
  body: T;
}

export interface PeerSessionInfo {
  /**
   * The session id, derived from the handshake so both sides name it the same (peer routes see theirs with
   * `sessionOf(req)`); useful to bind a proof to one session.
   */
  id?: string;
  peer: string;
  method: string;
  epoch: number;
  establishedAt: number;
  lastActivityAt: number;
  role: 'initiator' | 'responder';
}

/**
 * The session a peer request arrived on (peer routes only): the same id the sending node sees in
 * `ctx.peers.sessions()`.
 * @example
 * ctx.p2p.post('/proof', (req) => ({ session: sessionOf(req)?.id }));
 */
export function sessionOf(req: {
  koa: { state: Record<string, unknown> };
}): { id: string; peer: string } | undefined {
  const session = req.koa.state.session as { id?: unknown; peerId?: unknown } | undefined;
  if (!session || typeof session.id !== 'string' || typeof session.peerId !== 'string') return undefined;
  return { id: session.id, peer: session.peerId };
}

/** Talking to other nodes: end-to-end encrypted, authenticated, over a pooled connection. */
export interface PeerClient {
  /**
   * Sends a request to a peer's `/p2p` route (path without the `/p2p` prefix). Connects first if there is
   * no session (discover, request tokens from the directory, handshake), re-handshakes once if the peer
   * forgot the session. A JSON value is sent as JSON; a Buffer (POST, PUT, PATCH) as bytes, for a peer route
   * declared `raw: true`. Byte answers come back as a Buffer.
   * @example
   * const res = await ctx.peers.request(peerId, 'POST', '/message', { id, body: 'hi' });
   */
  request<T = unknown>(
    peer: string,
    method: HttpMethod,
    path: string,
    body?: unknown,
    options?: PeerRequestOptions,
  ): Promise<PeerResponse<T>>;
  /** Establishes (or reuses) a session with a peer. Concurrent calls share one handshake. */
  connect(peer: string): Promise<PeerSessionInfo>;
  /** The sessions this node currently holds. */
  sessions(): PeerSessionInfo[];
}
