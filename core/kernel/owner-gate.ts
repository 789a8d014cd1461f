import type { Context, Next } from 'koa';
import { OWNER_GUARD_SERVICE, type OwnerGuard } from '@openred/plugin-sdk';
import { UnauthorizedError } from '../errors.js';
import { routeStateOf } from '../plugins/route-entry.js';
import type { ServiceRegistry } from './service-registry.js';

/** Environment switch an operator sets to run the owner API without login (trusted single-user hosts). */
export const ANONYMOUS_OWNER_ENV = 'OPENRED_ALLOW_ANONYMOUS_OWNER_API';

export interface OwnerGateOptions {
  services: ServiceRegistry;
  /**
   * The operator's explicit opt-out: owner routes answer callers without credentials. A request that does
   * carry credentials is still checked when a guard is present.
   */
  allowAnonymous: boolean;
}

/**
 * The owner surface's access rule, applied to every `/api` route, kernel and plugin alike: a route declared
 * `public` is open; any other needs the owner, as decided by the guard the authentication module provides
 * (`auth.ownerGuard`). With no guard (module disabled, or failed to load) the surface fails closed: 401
 * `OR_ERR_OWNER_AUTH_UNAVAILABLE`, unless the operator opted out. The guard is looked up per request, so a
 * reloaded authentication module takes effect at once.
 */
export function ownerGate(options: OwnerGateOptions) {
  const { services, allowAnonymous } = options;
  return function ownerGateMiddleware(ctx: Context, next: Next): Promise<unknown> | unknown {
    if (routeStateOf(ctx)?.public === true) return next();
    if (services.has(OWNER_GUARD_SERVICE)) {
      if (allowAnonymous && !ctx.get('authorization')) return next();
      const guard = services.get<OwnerGuard>(OWNER_GUARD_SERVICE);
      const session = guard.authenticate(ctx);
      if (session instanceof Promise) {
        return session.then((s) => {
          ctx.state.owner = s;
          return next();
        });
      }
      ctx.state.owner = session;
      return next();
    }
    if (allowAnonymous) return next();
    throw new UnauthorizedError(
      'the owner API needs the authentication module, which is not running; enable it (modules.authentication) ' +
        `or, on a trusted single-user host only, set ${ANONYMOUS_OWNER_ENV}=1`,
      'OR_ERR_OWNER_AUTH_UNAVAILABLE',
    );
  };
}

/** True when the environment carries the operator's opt-out (`1` or `true`). */
export function anonymousOwnerFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[ANONYMOUS_OWNER_ENV];
  return v === '1' || v === 'true';
}
