import type { Context } from 'koa';
import { assertNodeIdMatchesKeys } from '../../crypto/identity.js';
import { assertValid } from '../../http/validation.js';
import type { DirectoryDeps } from '../deps.js';
import { badSignature, clockSkew } from '../errors.js';
import { registrationBodySchema, type RegistrationBody, type RegistrationResult } from '../protocol.js';
import { verifyPayload, withinSkew, withoutSig } from '../signing.js';
import type { NodeRecord } from '../store/types.js';

/**
 * POST /nodes/register: a node announces itself, and re-announces as its heartbeat. Checks run cheapest first
 * and all before anything is stored: shape, id = hash(keys), clock skew, signature, per-node rate, outbound
 * policy of `api_url`, then the store refuses a `ts` not greater than the last accepted one (no rollback).
 */
export function registerRoute(d: DirectoryDeps) {
  return async function register(ctx: Context): Promise<void> {
    const body = assertValid<RegistrationBody>(registrationBodySchema, ctx.request.body);
    assertNodeIdMatchesKeys(body.node_id, body.keys);
    const now = d.clock.now();
    if (!withinSkew(body.ts, now, d.options.maxClockSkewSeconds))
      throw clockSkew(d.options.maxClockSkewSeconds);
    if (!verifyPayload(body.keys.ed25519, withoutSig(body), body.sig)) throw badSignature('registration');
    d.limiters.perNode.take(body.node_id, 'registrations');
    if (d.options.outbound.checkDnsOnRegister) await d.policy.checkUrlResolved(body.api_url);
    else d.policy.checkUrl(body.api_url);
    const record: NodeRecord = {
      node_id: body.node_id,
      api_url: body.api_url,
      keys: { x25519: body.keys.x25519, ed25519: body.keys.ed25519 },
      suites: body.suites,
      capabilities: body.capabilities ?? [],
      ts: body.ts,
      last_seen: now,
    };
    await d.store.upsertNode(record);
    const result: RegistrationResult = {
      node_id: record.node_id,
      status: d.presence.status(now, now),
      last_seen: now,
      heartbeat_seconds: d.presence.heartbeatSeconds,
    };
    ctx.body = result;
  };
}
