import type { PluginContext } from './context.js';
import type { Middleware } from './middleware.js';
import type { RouteRequest } from './routes.js';

/**
 * Name of the service through which the authentication module guards the owner API. The kernel asks it about
 * every `/api` request (kernel routes included) whose route is not declared `public`; plugins may use it too
 * (see {@link requireOwner}). Without a provider the kernel refuses owner routes, unless the operator opted out
 * with `OPENRED_ALLOW_ANONYMOUS_OWNER_API=1`.
 */
export const OWNER_GUARD_SERVICE = 'auth.ownerGuard';

/** Name of the service that asks a peer for a fresh proof of its node key (see {@link PeerProofService}). */
export const PEER_PROOF_SERVICE = 'auth.peerProof';

/** The owner's login session a request proved. */
export interface OwnerSession {
  /** Session id (not the token): shown in `openred auth status`, used to revoke it. */
  id: string;
  /** How the owner logged in: `password+totp`, `password+recovery`, `password+webauthn`, `setup`. */
  method: string;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  expiresAt: number;
}

/** What a guard reads from a request: its headers (a Koa context qualifies). */
export interface OwnerCredentials {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The owner guard the authentication module provides under {@link OWNER_GUARD_SERVICE}.
 * `authenticate` resolves the owner session carried by `Authorization: Bearer <token>`, or throws a 401 error
 * with a stable code: `OR_ERR_AUTH_REQUIRED` (no credentials), `OR_ERR_SESSION_INVALID`,
 * `OR_ERR_SESSION_EXPIRED`, `OR_ERR_SESSION_REVOKED`, `OR_ERR_AUTH_NOT_CONFIGURED` (no owner set up yet).
 */
export interface OwnerGuard {
  authenticate(request: OwnerCredentials): OwnerSession | Promise<OwnerSession>;
}

/**
 * A middleware that lets a request through only with a valid owner session, and puts that session where
 * {@link ownerOf} finds it. The kernel already applies the guard to every non-public `/api` route; use this
 * to protect something else you compose yourself (e.g. a raw Koa handler). The guard is looked up on each
 * request, so a reloaded authentication module is picked up at once.
 *
 * @example
 * // A public card; `?full=1` shows more, to the owner only.
 * const owner = requireOwner(ctx);
 * ctx.api.get('/card', { public: true }, async (req) => {
 *   const full = (req.query as { full?: string }).full === '1';
 *   if (full) await owner(req.koa, async () => undefined);
 *   return full ? fullCard() : publicCard();
 * });
 */
export function requireOwner(ctx: Pick<PluginContext, 'service'>): Middleware {
  return async function requireOwnerMiddleware(koa, next) {
    const guard = ctx.service<OwnerGuard>(OWNER_GUARD_SERVICE);
    koa.state.owner = await guard.authenticate(koa);
    return next();
  };
}

/**
 * The owner session the kernel verified for this request; `undefined` on public routes, and on owner routes
 * of a node whose operator allowed anonymous owner access.
 *
 * @example
 * ctx.api.post('/logout', async (req) => revoke(ownerOf(req)!.id));
 */
export function ownerOf(req: Pick<RouteRequest, 'koa'>): OwnerSession | undefined {
  return req.koa.state.owner as OwnerSession | undefined;
}

/** A verified answer of a peer to a fresh challenge. */
export interface PeerProof {
  peer: string;
  /** The session the proof is bound to (both sides name it the same). */
  session: string;
  /** The peer's public keys, which hash to its id. */
  keys: { x25519: string; ed25519: string };
  /** When the peer signed, by its clock (ms). */
  signedAt: number;
  /** When this node verified it (ms). */
  verifiedAt: number;
}

/**
 * Fresh proof that a peer holds its node key, beyond the session itself (`POST /p2p/auth/challenge`): this
 * node sends a random nonce; the peer signs it together with both ids and the session id with its Ed25519
 * node key. Throws a 4xx/5xx error with an `OR_ERR_CHALLENGE_*` code when the answer does not verify.
 *
 * @example
 * const proof = await ctx.service<PeerProofService>(PEER_PROOF_SERVICE).prove(peerId);
 */
export interface PeerProofService {
  prove(peer: string): Promise<PeerProof>;
}
