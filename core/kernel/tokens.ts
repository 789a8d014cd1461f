import type { InjectionToken } from 'tsyringe';
import type { Logger } from 'pino';
import type { OpenRedConfig } from '../config/types.js';
import type { Clock } from './clock.js';
import type { EventBus } from './event-bus.js';
import type { Lifecycle } from './lifecycle.js';
import type { ServiceRegistry } from './service-registry.js';

/**
 * Injection tokens for every kernel service. Constructors take `@inject(Token)` on every parameter (never
 * relying on emitted type metadata) so the code behaves the same under tsc, tsx/esbuild and jiti.
 * Tokens for services defined elsewhere live next to their interface and are re-exported here.
 */
export const Tokens = {
  Config: Symbol.for('openred.Config') as InjectionToken<OpenRedConfig>,
  ConfigFile: Symbol.for('openred.ConfigFile') as InjectionToken<string | undefined>,
  Clock: Symbol.for('openred.Clock') as InjectionToken<Clock>,
  Logger: Symbol.for('openred.Logger') as InjectionToken<Logger>,
  Lifecycle: Symbol.for('openred.Lifecycle') as InjectionToken<Lifecycle>,
  EventBus: Symbol.for('openred.EventBus') as InjectionToken<EventBus>,
  ServiceRegistry: Symbol.for('openred.ServiceRegistry') as InjectionToken<ServiceRegistry>,
} as const;
