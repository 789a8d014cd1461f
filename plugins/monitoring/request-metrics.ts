/**
 * Request metrics with a cheap hot path. prom-client hashes and validates label sets on every `inc()` and
 * `observe()`, even through `labels()` children, which cost more per request than the rest of monitoring
 * together; here each request updates plain numbers in maps keyed by what the kernel already hands over, and
 * the Prometheus series are built only when scraped. Registered on a prom-client Registry as custom metrics
 * (the `get()` shape its text formatter reads).
 */
import type { Registry } from 'prom-client';
import type { RequestObservation } from '@openred/plugin-sdk';

export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

interface RouteStats {
  surface: string;
  route: string;
  /** `status * 8 + method index` → requests. */
  byStatus: Map<number, number>;
  /** Per bucket (not cumulative); the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

type MetricValue = { labels: Record<string, string | number>; value: number; metricName?: string };

export class RequestMetrics {
  /** surface → route → stats. */
  readonly #stats = { p2p: new Map<string, RouteStats>(), api: new Map<string, RouteStats>() };
  readonly #bytes = { p2p: { in: 0, out: 0 }, api: { in: 0, out: 0 } };

  constructor(registry: Registry) {
    registry.registerMetric(
      customMetric(
        'openred_http_requests_total',
        'HTTP requests served, by surface, route pattern, method and status',
        'counter',
        () => this.#requestValues(),
      ),
    );
    registry.registerMetric(
      customMetric(
        'openred_http_request_duration_seconds',
        'Time from request arrival to the answer handed to the socket',
        'histogram',
        () => this.#latencyValues(),
      ),
    );
    registry.registerMetric(
      customMetric(
        'openred_http_bytes_total',
        'Bytes of request and answer bodies (Content-Length), by surface and direction',
        'counter',
        () =>
          (['p2p', 'api'] as const).flatMap((surface) => [
            { labels: { surface, direction: 'in' }, value: this.#bytes[surface].in },
            { labels: { surface, direction: 'out' }, value: this.#bytes[surface].out },
          ]),
      ),
    );
  }

  /** The kernel's per-request callback. */
  readonly observe = (o: RequestObservation): void => {
    const routes = this.#stats[o.surface];
    let s = routes.get(o.route);
    if (s === undefined) {
      s = {
        surface: o.surface,
        route: o.route,
        byStatus: new Map(),
        buckets: new Float64Array(LATENCY_BUCKETS.length + 1),
        sum: 0,
        count: 0,
      };
      routes.set(o.route, s);
    }
    let m = METHODS.indexOf(o.method);
    if (m === -1) m = 7;
    const key = o.status * 8 + m;
    s.byStatus.set(key, (s.byStatus.get(key) ?? 0) + 1);
    const seconds = o.durationMs / 1000;
    let b = 0;
    while (b < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[b]!) b++;
    s.buckets[b]!++;
    s.sum += seconds;
    s.count++;
    const bytes = this.#bytes[o.surface];
    bytes.in += o.bytesIn;
    bytes.out += o.bytesOut;
  };

  #requestValues(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const routes of Object.values(this.#stats)) {
      for (const s of routes.values()) {
        for (const [key, value] of s.byStatus) {
          const method = METHODS[key % 8] ?? 'OTHER';
          out.push({
            labels: { surface: s.surface, route: s.route, method, status: Math.floor(key / 8) },
            value,
          });
        }
      }
    }
    return out;
  }

  #latencyValues(): MetricValue[] {
    const out: MetricValue[] = [];
    const name = 'openred_http_request_duration_seconds';
    for (const routes of Object.values(this.#stats)) {
      for (const s of routes.values()) {
        let cumulative = 0;
        LATENCY_BUCKETS.forEach((le, i) => {
          cumulative += s.buckets[i]!;
          out.push({
            metricName: `${name}_bucket`,
            labels: { le, surface: s.surface, route: s.route },
            value: cumulative,
          });
        });
        out.push({
          metricName: `${name}_bucket`,
          labels: { le: '+Inf', surface: s.surface, route: s.route },
          value: s.count,
        });
        out.push({ metricName: `${name}_sum`, labels: { surface: s.surface, route: s.route }, value: s.sum });
        out.push({
          metricName: `${name}_count`,
          labels: { surface: s.surface, route: s.route },
          value: s.count,
        });
      }
    }
    return out;
  }
}

/** The part of prom-client's metric interface its Registry uses to print a metric. */
function customMetric(
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  values: () => MetricValue[],
) {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
    reset: () => undefined,
  };
  return metric as unknown as Parameters<Registry['registerMetric']>[0];
}
