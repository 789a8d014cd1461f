import { createRequire } from 'node:module';
import type { Context } from 'koa';
import type { DirectoryDeps } from '../deps.js';
import type { HealthView } from '../protocol.js';

export const DIRECTORY_VERSION: string = (
  createRequire(import.meta.url)('../../package.json') as { version: string }
).version;

/** GET /health: liveness, store status, counts by presence, version, the directory key. 503 when degraded. */
export function healthRoute(d: DirectoryDeps) {
  return async function health(ctx: Context): Promise<void> {
    const ok = await d.store.ping();
    let counts: HealthView['counts'] = null;
    if (ok) {
      const now = d.clock.now();
      counts = await d.store
        .counts(d.presence.activeSince(now), d.presence.onlineSince(now))
        .catch(() => null);
    }
    const result: HealthView = {
      status: ok && counts !== null ? 'ok' : 'degraded',
      version: DIRECTORY_VERSION,
      store: { kind: d.store.kind, ok },
      counts,
      public_key: d.key.publicKey,
      fingerprint: d.key.fingerprint,
      grants_in_flight: d.inflight.grants,
    };
    ctx.status = result.status === 'ok' ? 200 : 503;
    ctx.body = result;
  };
}
