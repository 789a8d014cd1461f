/**
 * The directory's HTTP surface: one Koa app, routes under /api/v3. A request goes, in order, through
 *   errorHandler (the one place errors become `{error: {code, message}}`, with Retry-After on 429)
 *   -> requestContext (request id, handler timeout) -> the per-address rate limit -> jsonBody (size, type,
 *   depth before parsing) -> the route (routes/*.ts), which validates with ajv, authenticates, and applies
 *   the per-node rate limit once the signature has verified.
 */
import Router from '@koa/router';
import ipaddr from 'ipaddr.js';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { DirectoryKey } from '../crypto/directory-key.js';
import { errorHandler } from '../http/error-handler.js';
import { jsonBody } from '../http/json-body.js';
import { RateLimiter } from '../http/rate-limiter.js';
import { requestContext } from '../http/request-context.js';
import type { Clock } from '../kernel/clock.js';
import type { DirectoryDeps } from './deps.js';
import { TokenDelivery } from './delivery.js';
import type { ResolvedDirectoryOptions } from './options.js';
import { OutboundPolicy, type Resolver } from './outbound-policy.js';
import { Presence } from './presence.js';
import { API_PREFIX } from './protocol.js';
import { discoverRoute } from './routes/discover.js';
import { healthRoute } from './routes/health.js';
import { registerRoute } from './routes/register.js';
import { requestConnectionRoute } from './routes/request-connection.js';
import type { DirectoryStore } from './store/types.js';

export interface DirectoryServiceDeps {
  options: ResolvedDirectoryOptions;
  store: DirectoryStore;
  key: DirectoryKey;
  clock: Clock;
  log: Logger;
  /** DNS resolution used by the outbound policy (tests substitute one). */
  resolver?: Resolver;
}

export class DirectoryService {
  readonly app: Koa;
  readonly #deps: DirectoryDeps;

  constructor({ options, store, key, clock, log, resolver }: DirectoryServiceDeps) {
    const policy = new OutboundPolicy(options.outbound, resolver);
    const rl = options.rateLimits;
    this.#deps = {
      options,
      store,
      key,
      clock,
      log,
      policy,
      presence: new Presence(options.presence),
      delivery: new TokenDelivery(policy, options.delivery, log),
      limiters: {
        perAddress: new RateLimiter(rl.perAddress, clock, rl.maxTrackedKeys),
        perNode: new RateLimiter(rl.perNode, clock, rl.maxTrackedKeys),
        connections: new RateLimiter(rl.connectionsPerNode, clock, rl.maxTrackedKeys),
      },
      inflight: { grants: 0 },
    };
    this.app = this.#buildApp();
  }

  /** Connection requests currently between issuing a grant and answering (0 when idle). */
  get grantsInFlight(): number {
    return this.#deps.inflight.grants;
  }

  get policy(): OutboundPolicy {
    return this.#deps.policy;
  }

  #buildApp(): Koa {
    const d = this.#deps;
    // Behind a load balancer, only the address it appended (the last X-Forwarded-For entry) is trusted.
    const app = new Koa({ proxy: d.options.trustProxy, maxIpsCount: 1 });
    const router = new Router({ prefix: API_PREFIX });
    router.post('/nodes/register', registerRoute(d));
    router.get('/nodes/discover', discoverRoute(d));
    router.post('/tokens/request-connection', requestConnectionRoute(d));
    router.get('/health', healthRoute(d));

    app.use(errorHandler(d.log));
    app.use(requestContext(d.log, d.options.limits.handlerTimeoutMs));
    app.use(async (ctx, next) => {
      d.limiters.perAddress.take(addressKey(ctx.ip), 'requests from this address');
      await next();
    });
    app.use(jsonBody({ maxBytes: d.options.limits.maxBodyBytes, maxDepth: d.options.limits.maxJsonDepth }));
    app.use(router.routes());
    app.use(router.allowedMethods());
    return app;
  }

  /** Releases outbound connections; the store belongs to whoever opened it. */
  async close(): Promise<void> {
    await this.#deps.delivery.close();
  }
}

/**
 * The rate-limit key of a source address. An IPv6 client usually controls a whole /64, so one bucket covers
 * the /64; IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
 */
export function addressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip || 'unknown';
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}
