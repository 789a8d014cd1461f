import type {
  CipherMethod,
  CipherVector,
  HttpMethod,
  NodeInfo,
  PeerClient,
  PluginContext,
  PluginLogger,
  RouteHandler,
  RouteOptions,
  RouteRegistrar,
} from '@openred/plugin-sdk';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import type { EventBus } from '../kernel/event-bus.js';
import type { ServiceRegistry } from '../kernel/service-registry.js';
import type { PluginStorageRoot } from '../storage/plugin-storage.js';
import { compile } from '../http/validation.js';
import { PluginError } from '../errors.js';
import type { PluginGeneration } from './generation.js';
import type { Surface } from './route-entry.js';
import { firstSegmentOf } from './route-path.js';

/** Kernel services a plugin context is built from (the SDK surface, nothing more). */
export interface PluginRuntime {
  log: Logger;
  clock: Clock;
  events: EventBus;
  services: ServiceRegistry;
  storage: PluginStorageRoot;
  peers: PeerClient;
  node: NodeInfo;
  /** Derives an at-rest key in the crypto engine (labels are namespaced per plugin by the caller). */
  deriveKey(label: string): Promise<Buffer>;
  /** Checks a cipher method's conformance now (so setup fails early); registration happens at commit. */
  checkCipher(method: CipherMethod, vectors: CipherVector[]): void;
}

/**
 * Builds the `ctx` a plugin's setup() receives. Everything it declares lands in `generation` (staging);
 * nothing is served until the host commits that generation.
 */
export function createPluginContext(
  generation: PluginGeneration,
  config: unknown,
  runtime: PluginRuntime,
): PluginContext {
  const name = generation.plugin;
  const log = runtime.log.child({ plugin: name }) as unknown as PluginLogger;

  const registrar = (surface: Surface): RouteRegistrar => {
    const add = (method: HttpMethod) =>
      ((path: string, optionsOrHandler: RouteOptions | RouteHandler, maybeHandler?: RouteHandler) => {
        const options = typeof optionsOrHandler === 'function' ? {} : (optionsOrHandler ?? {});
        const handler = typeof optionsOrHandler === 'function' ? optionsOrHandler : maybeHandler;
        if (typeof handler !== 'function') {
          throw new PluginError(name, `route ${method} ${path} has no handler`, 'OR_ERR_PLUGIN_ROUTE');
        }
        // Compile schemas now: a bad schema is a setup error, not a failure on the first request.
        for (const key of ['body', 'params', 'query'] as const) {
          const schema = options[key];
          if (schema === undefined) continue;
          try {
            compile(schema as object);
          } catch (err) {
            throw new PluginError(
              name,
              `route ${method} ${path}: invalid ${key} schema: ${(err as Error).message}`,
            );
          }
        }
        generation.addRoute({
          plugin: name,
          surface,
          method,
          path,
          segment: firstSegmentOf(name, path),
          options: options as RouteOptions<unknown, unknown, unknown>,
          handler: handler as RouteHandler,
        });
      }) as never;
    return {
      get: add('GET'),
      post: add('POST'),
      put: add('PUT'),
      patch: add('PATCH'),
      delete: add('DELETE'),
    };
  };

  const subscriptions: Array<() => void> = [];
  generation.disposers.push(() => subscriptions.forEach((off) => off()));

  return {
    name,
    config,
    p2p: registrar('p2p'),
    api: registrar('api'),
    middleware: { use: (fn, options) => generation.addMiddleware(fn, options) },
    ciphers: {
      register: (method, options) => {
        generation.assertOpen('cipher registered');
        runtime.checkCipher(method, options?.vectors ?? []);
        generation.ciphers.push({ method, vectors: options?.vectors ?? [] });
      },
    },
    storage: runtime.storage.forPlugin(name),
    events: {
      on: (event, handler) => {
        const off = runtime.events.on(event, handler as (p: unknown) => void);
        subscriptions.push(off);
        return off;
      },
      emit: (event, payload) => runtime.events.emit(event, payload),
    },
    peers: runtime.peers,
    log,
    clock: runtime.clock,
    node: runtime.node,
    service: <T>(serviceName: string) => runtime.services.get<T>(serviceName),
    provide: (serviceName, value) => {
      generation.assertOpen('service provided');
      generation.provided.set(serviceName, value);
    },
    deriveKey: (label) => {
      if (typeof label !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(label)) {
        throw new PluginError(name, `invalid key label ${JSON.stringify(label)}`);
      }
      return runtime.deriveKey(`plugin/${name}/${label}`);
    },
    onTeardown: (fn) => {
      generation.disposers.push(fn);
    },
  };
}
