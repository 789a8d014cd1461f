import type { Context } from 'koa';

/**
 * Kernel services for observing a node, looked up with `ctx.service(NAME)`. They exist on every node; the
 * monitoring module is their main user.
 */

/** `ctx.service<() => Record<string, unknown>>(KERNEL_STATUS_SERVICE)()`: what `GET /api/node/status` shows. */
export const KERNEL_STATUS_SERVICE = 'kernel.status';

/** `ctx.service<() => PluginStatusInfo[]>(KERNEL_PLUGINS_SERVICE)()`: every plugin the node knows. */
export const KERNEL_PLUGINS_SERVICE = 'kernel.plugins';

/** `ctx.service<RequestObservers>(KERNEL_REQUESTS_SERVICE)`: a callback per HTTP request served. */
export const KERNEL_REQUESTS_SERVICE = 'kernel.requests';

/** `ctx.service<() => Promise<KernelHealth>>(KERNEL_HEALTH_SERVICE)()`: live checks of kernel components. */
export const KERNEL_HEALTH_SERVICE = 'kernel.health';

/**
 * The owner surface serves `GET /metrics` (outside `/api`, where Prometheus expects it) by calling the
 * {@link MetricsEndpoint} a plugin provides under this name; 404 when none does. The provider authenticates
 * the scrape itself: the kernel's owner guard covers `/api` only.
 */
export const METRICS_ENDPOINT_SERVICE = 'http.metrics';

/** Answers one `GET /metrics` request (sets status, content type and body on the Koa context). */
export type MetricsEndpoint = (koa: Context) => Promise<void>;

/** One plugin as the kernel reports it. */
export interface PluginStatusInfo {
  name: string;
  version: string | null;
  state: 'active' | 'failed' | 'disabled';
  dir: string;
  /** The last load/setup error; kept while an older version keeps serving. */
  lastError: string | null;
  loadedAt: number | null;
  reloads: number;
  routes: { p2p: number; api: number };
  dependsOn: string[];
}

/** One finished HTTP request on a node surface. */
export interface RequestObservation {
  surface: 'p2p' | 'api';
  method: string;
  /**
   * The route pattern that served it (`/p2p/files/:id`, `/api/node/status`, `/metrics`), or `unmatched`:
   * never the raw path, so label cardinality stays bounded.
   */
  route: string;
  /** The plugin whose route it was; undefined for kernel routes. */
  plugin: string | undefined;
  status: number;
  /** From the request's arrival to the last byte of the answer handed to the socket (or the close). */
  durationMs: number;
  /** Declared request body size (Content-Length), 0 when absent. */
  bytesIn: number;
  /** Answer size from its Content-Length, 0 when it was streamed without one. */
  bytesOut: number;
}

export type RequestObserver = (observation: RequestObservation) => void;

/**
 * Registration point for request observers. Observers run once per request after the answer is done; they
 * must be cheap and must not throw (a throwing observer is removed and logged).
 *
 * @example
 * const off = ctx.service<RequestObservers>(KERNEL_REQUESTS_SERVICE).observe((o) => counter.inc());
 * ctx.onTeardown(off);
 */
export interface RequestObservers {
  observe(observer: RequestObserver): () => void;
}

/** Live state of the kernel's own components, as `KERNEL_HEALTH_SERVICE` measures it. */
export interface KernelHealth {
  crypto: {
    ok: boolean;
    /** `bwrap`, `netns+permission` or `inline`: the isolation the crypto agent actually achieved. */
    isolation: string;
    /** Round trip of a signature through the engine, or null when it failed. */
    latencyMs: number | null;
    error: string | null;
  };
  directory: {
    configured: boolean;
    url: string | null;
    embedded: boolean;
    /** Presence: the last registration or heartbeat succeeded. */
    registered: boolean;
    /** A health request to the directory answered (null when no directory is configured). */
    reachable: boolean | null;
    latencyMs: number | null;
    error: string | null;
  };
  tokens: { ok: boolean; held: number | null };
  sessions: { open: number };
}
