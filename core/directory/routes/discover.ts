import type { Context } from 'koa';
import { fromB64u, toB64u } from '../../crypto/encoding.js';
import { isNodeId } from '../../crypto/identity.js';
import { ValidationError } from '../../errors.js';
import { assertValid } from '../../http/validation.js';
import type { DirectoryDeps } from '../deps.js';
import {
  badCursor,
  badSignature,
  clockSkew,
  signatureRequired,
  unknownNode,
  unknownSigner,
} from '../errors.js';
import {
  SIGNED_HEADERS,
  discoverQuerySchema,
  type DiscoverQuery,
  type NodePage,
  type NodeView,
} from '../protocol.js';
import { discoverPayload, verifyPayload, withinSkew } from '../signing.js';
import type { NodeRecord } from '../store/types.js';

const DEFAULT_PAGE_SIZE = 50;

export function toView(rec: NodeRecord, d: DirectoryDeps, now: number): NodeView {
  return {
    node_id: rec.node_id,
    api_url: rec.api_url,
    keys: { x25519: rec.keys.x25519, ed25519: rec.keys.ed25519 },
    suites: rec.suites,
    capabilities: rec.capabilities,
    last_seen: rec.last_seen,
    status: d.presence.status(rec.last_seen, now),
  };
}

/** Cursors are opaque to clients: base64url of the last node id of the previous page. */
export function encodeCursor(after: string): string {
  return toB64u(Buffer.from(after, 'utf8'));
}

export function decodeCursor(cursor: string): string {
  let id: string;
  try {
    id = fromB64u(cursor).toString('utf8');
  } catch {
    throw badCursor();
  }
  if (!isNodeId(id)) throw badCursor();
  return id;
}

/** The query as a plain object of strings; a repeated parameter is refused rather than guessed at. */
function singleValued(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.query)) {
    if (typeof v !== 'string') throw new ValidationError(`query parameter ${k} is repeated`);
    out[k] = v;
  }
  return out;
}

/** Verifies the OpenRed-Node/-Ts/-Sig headers (see signing.ts); returns the signing node id. */
async function authenticate(ctx: Context, d: DirectoryDeps, query: Record<string, string>, now: number) {
  const node = ctx.get(SIGNED_HEADERS.node);
  const ts = ctx.get(SIGNED_HEADERS.ts);
  const sig = ctx.get(SIGNED_HEADERS.sig);
  if (!node || !ts || !sig) throw signatureRequired();
  if (!isNodeId(node) || !/^[0-9]{1,16}$/.test(ts)) throw badSignature('discover');
  if (!withinSkew(Number(ts), now, d.options.maxClockSkewSeconds))
    throw clockSkew(d.options.maxClockSkewSeconds);
  const signer = await d.store.getNode(node);
  if (!signer) throw unknownSigner();
  if (!verifyPayload(signer.keys.ed25519, discoverPayload(query, Number(ts), node), sig)) {
    throw badSignature('discover');
  }
  d.limiters.perNode.take(node, 'discover requests');
}

/**
 * GET /nodes/discover: `?id=<node id>` answers one node; otherwise a page of nodes ordered by id, filtered by
 * `status` and `capability`, `limit` per page, continued with `cursor`.
 */
export function discoverRoute(d: DirectoryDeps) {
  return async function discover(ctx: Context): Promise<void> {
    const query = assertValid<DiscoverQuery & Record<string, string>>(
      discoverQuerySchema,
      singleValued(ctx),
      'query',
    );
    const now = d.clock.now();
    if (d.options.requireSignedDiscover) await authenticate(ctx, d, query, now);
    if (query.id !== undefined) {
      if (Object.keys(query).length > 1)
        throw new ValidationError('query: id cannot be combined with other parameters');
      const rec = await d.store.getNode(query.id);
      if (!rec) throw unknownNode(query.id);
      ctx.body = toView(rec, d, now);
      return;
    }
    const limit = Math.min(
      query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit),
      d.options.limits.maxPageSize,
    );
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const range = query.status === undefined ? {} : d.presence.range(query.status, now);
    const page = await d.store.listNodes({ ...range, capability: query.capability }, after, limit);
    const result: NodePage = {
      nodes: page.nodes.map((rec) => toView(rec, d, now)),
      next_cursor: page.after === null ? null : encodeCursor(page.after),
    };
    ctx.body = result;
  };
}
