import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { canonicalBytes } from '../../crypto/canonical-json.js';
import type { NoiseSuite } from '../../crypto/tokens/grant.js';
import { issueTokenPair } from '../../crypto/tokens/issue.js';
import { assertValid } from '../../http/validation.js';
import type { DirectoryDeps } from '../deps.js';
import {
  badSignature,
  clockSkew,
  noCommonSuite,
  nodeOffline,
  replayed,
  selfConnection,
  unknownNode,
  unknownSigner,
} from '../errors.js';
import {
  connectionRequestBodySchema,
  type ConnectionRequestBody,
  type ConnectionResult,
} from '../protocol.js';
import { verifyPayload, withinSkew, withoutSig } from '../signing.js';

/** The requested suite if both accept it; else the default if both do; else the initiator's first shared one. */
export function pickSuite(
  initiator: NoiseSuite[],
  responder: NoiseSuite[],
  requested: NoiseSuite | undefined,
  preferred: NoiseSuite,
): NoiseSuite | null {
  const both = (s: NoiseSuite): boolean => initiator.includes(s) && responder.includes(s);
  if (requested !== undefined) return both(requested) ? requested : null;
  if (both(preferred)) return preferred;
  return initiator.find(both) ?? null;
}

/**
 * POST /tokens/request-connection: `from` asks for a connection to `target`. After the checks, the directory
 * issues the linked token pair, delivers each token to its node, and answers. The grant, the tokens and the
 * secret they seal live only in this function's frame: nothing is written to the store, logged or cached
 * (the replay guard records a hash of the signed request, nothing of the grant).
 */
export function requestConnectionRoute(d: DirectoryDeps) {
  return async function requestConnection(ctx: Context): Promise<void> {
    const body = assertValid<ConnectionRequestBody>(connectionRequestBodySchema, ctx.request.body);
    if (body.from === body.target) throw selfConnection();
    const now = d.clock.now();
    const skew = d.options.maxClockSkewSeconds;
    if (!withinSkew(body.ts, now, skew)) throw clockSkew(skew);
    const from = await d.store.getNode(body.from);
    if (!from) throw unknownSigner();
    if (!verifyPayload(from.keys.ed25519, withoutSig(body), body.sig))
      throw badSignature('connection request');
    // Keyed by what was signed, not by the signature bytes, so a re-encoded signature is still a replay. A
    // request older than 2 x skew is refused by the skew check, so the guard need not remember longer.
    const digest = createHash('sha256')
      .update(canonicalBytes(withoutSig(body)))
      .digest('base64url');
    if (!(await d.store.claimOnce(digest, 2 * skew * 1000))) throw replayed();
    // After the replay guard: replaying a captured request must not spend its author's budget.
    d.limiters.connections.take(body.from, 'connection requests');
    if (d.presence.status(from.last_seen, now) === 'offline') throw nodeOffline(from.node_id);
    const target = await d.store.getNode(body.target);
    if (!target) throw unknownNode(body.target);
    if (d.presence.status(target.last_seen, now) === 'offline') throw nodeOffline(target.node_id);
    const suite = pickSuite(from.suites, target.suites, body.suite, d.options.defaultSuite);
    if (suite === null) throw noCommonSuite();

    d.inflight.grants++;
    try {
      const pair = await issueTokenPair({
        directoryKey: d.key.privateKey,
        initiator: { nodeId: from.node_id, keys: from.keys },
        responder: { nodeId: target.node_id, keys: target.keys },
        suite,
        ttlSeconds: d.options.tokenTtlSeconds,
        epochSeconds: d.options.epochSeconds,
        clock: d.clock,
      });
      const [initiator, responder] = await Promise.all([
        d.delivery.deliver(from.api_url, pair.initiatorToken),
        d.delivery.deliver(target.api_url, pair.responderToken),
      ]);
      const result: ConnectionResult = {
        grant_id: pair.grant.grant_id,
        expires_at: pair.grant.expires_at,
        suite,
        delivered: { initiator, responder },
      };
      ctx.body = result;
      ctx.state.log?.debug(
        { from: from.node_id, target: target.node_id, delivered: result.delivered },
        'connection brokered',
      );
    } finally {
      d.inflight.grants--;
    }
  };
}
