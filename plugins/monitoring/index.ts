import { join } from 'node:path';
import {
  definePlugin,
  errors,
  KERNEL_HEALTH_SERVICE,
  KERNEL_PLUGINS_SERVICE,
  KERNEL_REQUESTS_SERVICE,
  KERNEL_STATUS_SERVICE,
  METRICS_ENDPOINT_SERVICE,
  nodeSigner,
  type KernelHealth,
  type MetricsEndpoint,
  type PluginStatusInfo,
  type RequestObservers,
} from '@openred/plugin-sdk';
import { AuditLog } from './audit/audit-log.js';
import { AUDIT_SIGNATURE_PURPOSE } from './audit/entry.js';
import { subscribeAuditEvents } from './audit/recorder.js';
import { configSchema, type MonitoringConfig } from './config.js';
import { healthReport } from './health.js';
import { MetricsHistory } from './history.js';
import { NodeMetrics } from './metrics.js';
import { loadScrapeToken, scrapeAuthorizer } from './scrape-auth.js';

const auditQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    since: { type: 'string', pattern: '^[0-9]{1,15}$' },
    event: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}\\*?$' },
    peer: { type: 'string', pattern: '^or[a-z2-7]{32}$' },
    limit: { type: 'string', pattern: '^[0-9]{1,5}$' },
  },
} as const;

const HISTORY_STEP_MS = 10_000;

/**
 * Monitoring: Prometheus metrics (`GET /metrics` on the owner surface), detailed health
 * (`GET /api/monitoring/health`) and the audit log: security events appended as hash-chained, signed,
 * encrypted JSON lines, checked by `openred audit verify`. See docs/modules/monitoring.md.
 */
export default definePlugin({
  name: 'monitoring',
  version: '2.0.0',
  description: 'Prometheus metrics, health, and the signed audit log.',
  config: configSchema,
  async setup(ctx) {
    const config = ctx.config as unknown as MonitoringConfig;
    const status = ctx.service<() => Record<string, unknown>>(KERNEL_STATUS_SERVICE);
    const plugins = ctx.service<() => PluginStatusInfo[]>(KERNEL_PLUGINS_SERVICE);
    const kernelHealth = ctx.service<() => Promise<KernelHealth>>(KERNEL_HEALTH_SERVICE);
    const signer = nodeSigner(ctx);
    const probe = await ctx.storage.collection<{ checkedAt: number }>('health-probe', { checkedAt: 0 });

    // The audit log: a failure to open it leaves metrics and health running, and health says so.
    let audit: AuditLog | undefined;
    let auditError: string | null = null;
    if (config.audit.enabled) {
      try {
        const opened = await AuditLog.open({
          dir: join(ctx.storage.dir, 'audit'),
          key: await ctx.deriveKey('audit-log'),
          idKey: await ctx.deriveKey('audit-ids'),
          nodeId: ctx.node.id,
          publicKey: ctx.node.publicKeys.ed25519,
          sign: (hash) => signer.sign(AUDIT_SIGNATURE_PURPOSE, hash),
          verify: signer.verify,
          head: await ctx.storage.collection<{ sealed: string | null }>('audit-head', { sealed: null }),
          clock: ctx.clock,
          maxFileBytes: config.audit.maxFileBytes,
          log: ctx.log,
        });
        audit = opened.log;
        const log = audit;
        ctx.onTeardown(() => log.release());
        const idKey = await ctx.deriveKey('audit-ids');
        for (const off of subscribeAuditEvents(
          ctx.events,
          idKey,
          config.audit.events,
          (event, source, data) => {
            void log.record(event, source, data);
          },
        )) {
          ctx.onTeardown(off);
        }
        if (opened.findings) {
          const f = opened.findings;
          if (f.gap) ctx.log.error(f.gap, 'audit log is shorter than its head: entries are missing');
          void audit.record('audit.opened', 'monitoring', {
            plugins: plugins()
              .filter((p) => p.state === 'active')
              .map((p) => p.name),
            ...(f.partialLine ? { partial_line_in: f.partialLine } : {}),
            ...(f.gap ? { missing_from: f.gap.lastEntrySeq + 1, missing_to: f.gap.headSeq } : {}),
          });
        }
      } catch (err) {
        auditError = (err as Error).message ?? String(err);
        ctx.log.error({ err: auditError }, 'audit log unavailable');
      }
    }

    if (config.metrics.enabled) {
      const metrics = new NodeMetrics({
        sessions: () => ctx.peers.sessions(),
        plugins,
        health: kernelHealth,
        audit: () => (audit ? audit.stats : undefined),
        startedAt: ctx.clock.now() - (Number(status().uptime_ms) || 0),
        now: () => ctx.clock.now(),
      });
      ctx.onTeardown(ctx.service<RequestObservers>(KERNEL_REQUESTS_SERVICE).observe(metrics.observe));
      for (const off of metrics.subscribe(ctx.events)) ctx.onTeardown(off);
      const tokenHash =
        config.metrics.auth === 'token'
          ? await loadScrapeToken(join(ctx.storage.dir, 'metrics-token'))
          : undefined;
      const authorize = scrapeAuthorizer(ctx, config.metrics.auth, tokenHash);
      const endpoint: MetricsEndpoint = async (koa) => {
        await authorize(koa.headers);
        koa.body = await metrics.metrics();
        koa.type = metrics.contentType;
        koa.status = 200;
      };
      ctx.provide(METRICS_ENDPOINT_SERVICE, endpoint);
    }

    ctx.api.get(
      '/monitoring/health',
      { summary: 'Component states, plugins and their last errors' },
      async () => {
        let storage = { ok: true, error: null as string | null };
        try {
          probe.data.checkedAt = ctx.clock.now();
          await probe.commit();
        } catch (err) {
          storage = { ok: false, error: (err as Error).message };
        }
        const a = audit?.stats;
        return healthReport({
          status: status(),
          kernel: await kernelHealth(),
          plugins: plugins(),
          storage,
          audit: !config.audit.enabled
            ? { state: 'disabled' }
            : a
              ? { state: a.lastError ? 'degraded' : 'ok', seq: a.seq, file: a.file, last_error: a.lastError }
              : { state: 'failing', seq: 0, file: '', last_error: auditError },
        });
      },
    );

    const history = new MetricsHistory({
      now: () => ctx.clock.now(),
      sessions: () => ctx.peers.sessions().length,
      stepMs: HISTORY_STEP_MS,
      spanMs: 60 * 60_000,
    });
    ctx.onTeardown(ctx.service<RequestObservers>(KERNEL_REQUESTS_SERVICE).observe(history.observe));
    ctx.api.get(
      '/monitoring/history',
      { summary: 'Requests, latency, sessions and bytes over the last hour, in 10 s steps' },
      () => ({ step_ms: HISTORY_STEP_MS, points: history.points() }),
    );

    const requireAudit = (): AuditLog => {
      if (!audit)
        throw errors.unavailable('OR_ERR_AUDIT_UNAVAILABLE', auditError ?? 'the audit log is disabled');
      return audit;
    };
    ctx.api.get(
      '/monitoring/audit/verify',
      { summary: 'Check the audit log: chain, signatures, continuity' },
      () => requireAudit().verify(),
    );
    ctx.api.get(
      '/monitoring/audit',
      { query: auditQuerySchema, summary: 'Decrypted audit entries (filters: since, event, peer, limit)' },
      (req) =>
        requireAudit().query({
          since: req.query.since === undefined ? undefined : Number(req.query.since),
          event: req.query.event,
          peer: req.query.peer,
          limit: req.query.limit === undefined ? undefined : Number(req.query.limit),
        }),
    );
  },
});
