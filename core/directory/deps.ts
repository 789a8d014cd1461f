import type { Logger } from 'pino';
import type { DirectoryKey } from '../crypto/directory-key.js';
import type { RateLimiter } from '../http/rate-limiter.js';
import type { Clock } from '../kernel/clock.js';
import type { TokenDelivery } from './delivery.js';
import type { ResolvedDirectoryOptions } from './options.js';
import type { OutboundPolicy } from './outbound-policy.js';
import type { Presence } from './presence.js';
import type { DirectoryStore } from './store/types.js';

/** Everything a directory route needs; built once by DirectoryService. */
export interface DirectoryDeps {
  options: ResolvedDirectoryOptions;
  store: DirectoryStore;
  presence: Presence;
  policy: OutboundPolicy;
  delivery: TokenDelivery;
  clock: Clock;
  log: Logger;
  key: DirectoryKey;
  limiters: { perAddress: RateLimiter; perNode: RateLimiter; connections: RateLimiter };
  /** Connection requests between issuing their grant and answering; the grant exists only meanwhile. */
  inflight: { grants: number };
}
