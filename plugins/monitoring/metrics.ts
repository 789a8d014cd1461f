/**
 * The node's Prometheus metrics (prom-client, one registry per module version). Request metrics come from
 * the kernel's request observers (request-metrics.ts); the rest from kernel and plugin events, and from gauges read at scrape
 * time. Label values are bounded: routes are patterns (never raw paths), plugins and states are few.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { KernelHealth, PeerSessionInfo, PluginStatusInfo } from '@openred/plugin-sdk';
import { RequestMetrics } from './request-metrics.js';

export interface MetricsSources {
  sessions(): PeerSessionInfo[];
  plugins(): PluginStatusInfo[];
  /** Kernel health (measured at most every 10 s by the gauges that show it). */
  health(): Promise<KernelHealth>;
  audit(): { seq: number; failed: number } | undefined;
  startedAt: number;
  now(): number;
}

const HEALTH_TTL_MS = 10_000;

type Events = { on<T>(event: string, handler: (payload: T) => void): () => void };

export class NodeMetrics {
  readonly registry = new Registry();
  readonly #requests: RequestMetrics;
  readonly #handshakes: Counter<'role' | 'result'>;
  readonly #renewals: Counter;
  readonly #tokens: Counter<'event'>;
  readonly #pluginEvents: Counter<'plugin' | 'event'>;
  readonly #messages: Counter<'direction' | 'result'>;
  readonly #messageBytes: Counter<'direction'>;
  readonly #authAttempts: Counter<'result'>;

  constructor(sources: MetricsSources) {
    const r = [this.registry];
    this.#requests = new RequestMetrics(this.registry);
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
    // Known label sets start at 0, so the series exist (and rates work) before the first event.
    for (const result of ['ok', 'failed', 'locked']) this.#authAttempts.labels(result).inc(0);
    for (const event of ['received', 'expired', 'rejected']) this.#tokens.labels(event).inc(0);
    for (const role of ['initiator', 'responder']) {
      for (const result of ['ok', 'error']) this.#handshakes.labels(role, result).inc(0);
    }
    for (const direction of ['in', 'out']) {
      for (const result of ['ok', 'error']) this.#messages.labels(direction, result).inc(0);
    }
    this.#messageBytes.labels('in').inc(0);
    for (const p of sources.plugins()) {
      for (const event of ['loaded', 'reloaded', 'failed', 'unloaded'])
        this.#pluginEvents.labels(p.name, event).inc(0);
    }
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
    // Kernel health (a signature through the crypto engine, a request to the directory) is measured at most
    // once per HEALTH_TTL_MS: frequent scrapes stay cheap and never hammer the directory.
    let health: { at: number; value: Promise<KernelHealth> } | undefined;
    const measured = (): Promise<KernelHealth> => {
      const now = sources.now();
      if (!health || now - health.at >= HEALTH_TTL_MS) health = { at: now, value: sources.health() };
      return health.value;
    };
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

  /** The kernel's per-request callback (see RequestMetrics). */
  get observe(): RequestMetrics['observe'] {
    return this.#requests.observe;
  }

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
