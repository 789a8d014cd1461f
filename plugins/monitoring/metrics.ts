/**
 * The node's Prometheus metrics (prom-client, one registry per module version). Request metrics come from
 * the kernel's request observers; the rest from kernel and plugin events, and from gauges read at scrape
 * time. Label values are bounded: routes are patterns (never raw paths), plugins and states are few.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  KernelHealth,
  PeerSessionInfo,
  PluginStatusInfo,
  RequestObservation,
} from '@openred/plugin-sdk';

export interface MetricsSources {
  sessions(): PeerSessionInfo[];
  plugins(): PluginStatusInfo[];
  /** Kernel health, measured at most once per scrape. */
  health(): Promise<KernelHealth>;
  audit(): { seq: number; failed: number } | undefined;
  startedAt: number;
  now(): number;
}

type Events = { on<T>(event: string, handler: (payload: T) => void): () => void };

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class NodeMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'surface' | 'route' | 'method' | 'status'>;
  readonly #latency: Histogram<'surface' | 'route'>;
  readonly #bytes: Counter<'surface' | 'direction'>;
  /** Children cached by label key: `labels()` hashes its arguments on every call. */
  readonly #requestChildren = new Map<string, { inc(): void }>();
  readonly #latencyChildren = new Map<string, { observe(v: number): void }>();
  readonly #bytesIn: Record<'p2p' | 'api', { inc(v: number): void }>;
  readonly #bytesOut: Record<'p2p' | 'api', { inc(v: number): void }>;
  readonly #handshakes: Counter<'role' | 'result'>;
  readonly #renewals: Counter;
  readonly #tokens: Counter<'event'>;
  readonly #pluginEvents: Counter<'plugin' | 'event'>;
  readonly #messages: Counter<'direction' | 'result'>;
  readonly #messageBytes: Counter<'direction'>;
  readonly #authAttempts: Counter<'result'>;

  constructor(sources: MetricsSources) {
    const r = [this.registry];
    this.#requests = new Counter({
      name: 'openred_http_requests_total',
      help: 'HTTP requests served, by surface, route pattern, method and status',
      labelNames: ['surface', 'route', 'method', 'status'],
      registers: r,
    });
    this.#latency = new Histogram({
      name: 'openred_http_request_duration_seconds',
      help: 'Time from request arrival to the answer handed to the socket',
      labelNames: ['surface', 'route'],
      buckets: LATENCY_BUCKETS,
      registers: r,
    });
    this.#bytes = new Counter({
      name: 'openred_http_bytes_total',
      help: 'Bytes of request and answer bodies (Content-Length), by surface and direction',
      labelNames: ['surface', 'direction'],
      registers: r,
    });
    this.#bytesIn = { p2p: this.#bytes.labels('p2p', 'in'), api: this.#bytes.labels('api', 'in') };
    this.#bytesOut = { p2p: this.#bytes.labels('p2p', 'out'), api: this.#bytes.labels('api', 'out') };
    this.#handshakes = new Counter({
      name: 'openred_handshakes_total',
      help: 'Noise handshakes, by role (initiator, responder) and result (ok, error)',
      labelNames: ['role', 'result'],
      registers: r,
    });
    this.#renewals = new Counter({
      name: 'openred_session_renewals_total',
      help: 'Sessions replaced by a new handshake before they expired',
      registers: r,
    });
    this.#tokens = new Counter({
      name: 'openred_tokens_total',
      help: 'Connection tokens: received (issued by the directory), expired, rejected',
      labelNames: ['event'],
      registers: r,
    });
    this.#pluginEvents = new Counter({
      name: 'openred_plugin_events_total',
      help: 'Plugin lifecycle events: loaded, reloaded, failed, unloaded',
      labelNames: ['plugin', 'event'],
      registers: r,
    });
    this.#messages = new Counter({
      name: 'openred_messages_total',
      help: 'Messages received (in) and sent (out), by result',
      labelNames: ['direction', 'result'],
      registers: r,
    });
    this.#messageBytes = new Counter({
      name: 'openred_message_bytes_total',
      help: 'Bytes of message bodies received',
      labelNames: ['direction'],
      registers: r,
    });
    this.#authAttempts = new Counter({
      name: 'openred_auth_attempts_total',
      help: 'Owner login and setup attempts: ok, failed, locked (refused during a lockout)',
      labelNames: ['result'],
      registers: r,
    });
    new Gauge({
      name: 'openred_peer_sessions',
      help: 'Open peer sessions, by role',
      labelNames: ['role'],
      registers: r,
      collect() {
        const all = sources.sessions();
        this.set({ role: 'initiator' }, all.filter((s) => s.role === 'initiator').length);
        this.set({ role: 'responder' }, all.filter((s) => s.role === 'responder').length);
      },
    });
    new Gauge({
      name: 'openred_plugin_active',
      help: '1 when the plugin serves, else 0',
      labelNames: ['plugin'],
      registers: r,
      collect() {
        this.reset();
        for (const p of sources.plugins()) this.set({ plugin: p.name }, p.state === 'active' ? 1 : 0);
      },
    });
    // One health measurement per scrape feeds the crypto and directory gauges.
    let health: Promise<KernelHealth> | undefined;
    const measured = () =>
      (health ??= sources.health().finally(() => {
        health = undefined;
      }));
    new Gauge({
      name: 'openred_crypto_agent_up',
      help: '1 when the crypto engine answered a signature request, else 0',
      registers: r,
      async collect() {
        this.set((await measured()).crypto.ok ? 1 : 0);
      },
    });
    new Gauge({
      name: 'openred_crypto_agent_latency_seconds',
      help: 'Round trip of one signature through the crypto engine',
      registers: r,
      async collect() {
        const ms = (await measured()).crypto.latencyMs;
        this.set(ms === null ? -1 : ms / 1000);
      },
    });
    new Gauge({
      name: 'openred_crypto_isolation_info',
      help: 'The crypto agent isolation actually achieved (value 1, level as label)',
      labelNames: ['level'],
      registers: r,
      async collect() {
        this.reset();
        this.set({ level: (await measured()).crypto.isolation }, 1);
      },
    });
    new Gauge({
      name: 'openred_directory_registered',
      help: '1 when the last registration or heartbeat with the directory succeeded',
      registers: r,
      async collect() {
        this.set((await measured()).directory.registered ? 1 : 0);
      },
    });
    new Gauge({
      name: 'openred_tokens_held',
      help: 'Connection tokens in the token store',
      registers: r,
      async collect() {
        this.set((await measured()).tokens.held ?? 0);
      },
    });
    new Gauge({
      name: 'openred_audit_last_seq',
      help: 'Sequence number of the newest audit entry (record it elsewhere to detect a rolled-back log)',
      registers: r,
      collect() {
        this.set(sources.audit()?.seq ?? 0);
      },
    });
    new Gauge({
      name: 'openred_audit_write_failures',
      help: 'Audit entries that could not be written since the module started',
      registers: r,
      collect() {
        this.set(sources.audit()?.failed ?? 0);
      },
    });
    new Gauge({
      name: 'openred_process_resident_memory_bytes',
      help: 'Resident memory of the node process',
      registers: r,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Gauge({
      name: 'openred_uptime_seconds',
      help: 'Seconds since the node started',
      registers: r,
      collect() {
        this.set((sources.now() - sources.startedAt) / 1000);
      },
    });
  }

  /** The kernel's per-request callback: cheap, allocation-light. */
  readonly observe = (o: RequestObservation): void => {
    const key = `${o.surface} ${o.route} ${o.method} ${o.status}`;
    let counter = this.#requestChildren.get(key);
    if (!counter) {
      counter = this.#requests.labels(o.surface, o.route, o.method, String(o.status));
      this.#requestChildren.set(key, counter);
    }
    counter.inc();
    const lkey = `${o.surface} ${o.route}`;
    let histogram = this.#latencyChildren.get(lkey);
    if (!histogram) {
      histogram = this.#latency.labels(o.surface, o.route);
      this.#latencyChildren.set(lkey, histogram);
    }
    histogram.observe(o.durationMs / 1000);
    if (o.bytesIn > 0) this.#bytesIn[o.surface].inc(o.bytesIn);
    if (o.bytesOut > 0) this.#bytesOut[o.surface].inc(o.bytesOut);
  };

  /** Counts kernel and module events; returns the unsubscribes. */
  subscribe(events: Events): Array<() => void> {
    return [
      events.on<{ role?: string; renewed?: boolean }>('session.established', (e) => {
        this.#handshakes.inc({ role: e?.role === 'initiator' ? 'initiator' : 'responder', result: 'ok' });
        if (e?.renewed) this.#renewals.inc();
      }),
      events.on<{ role?: string }>('session.failed', (e) =>
        this.#handshakes.inc({ role: e?.role === 'initiator' ? 'initiator' : 'responder', result: 'error' }),
      ),
      events.on('token.received', () => this.#tokens.inc({ event: 'received' })),
      events.on<{ count?: number }>('token.expired', (e) =>
        this.#tokens.inc({ event: 'expired' }, typeof e?.count === 'number' ? e.count : 1),
      ),
      events.on('token.rejected', () => this.#tokens.inc({ event: 'rejected' })),
      events.on<{ plugin?: string; reload?: boolean }>('plugin.loaded', (e) =>
        this.#pluginEvents.inc({ plugin: String(e?.plugin), event: e?.reload ? 'reloaded' : 'loaded' }),
      ),
      events.on<{ plugin?: string }>('plugin.failed', (e) =>
        this.#pluginEvents.inc({ plugin: String(e?.plugin), event: 'failed' }),
      ),
      events.on<{ plugin?: string }>('plugin.unloaded', (e) =>
        this.#pluginEvents.inc({ plugin: String(e?.plugin), event: 'unloaded' }),
      ),
      events.on<{ body?: unknown }>('message.received', (e) => {
        this.#messages.inc({ direction: 'in', result: 'ok' });
        if (typeof e?.body === 'string')
          this.#messageBytes.inc({ direction: 'in' }, Buffer.byteLength(e.body));
      }),
      events.on('message.delivered', () => this.#messages.inc({ direction: 'out', result: 'ok' })),
      events.on('message.failed', () => this.#messages.inc({ direction: 'out', result: 'error' })),
      events.on<{ result?: string }>('auth.attempt', (e) => {
        const result = e?.result === 'ok' || e?.result === 'locked' ? e.result : 'failed';
        this.#authAttempts.inc({ result });
      }),
    ];
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
