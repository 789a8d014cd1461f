/**
 * `GET /api/monitoring/health`: each component's state, worst first deciding the overall status.
 * `failing` when the node cannot do its core job (crypto engine not answering, token store not loaded);
 * `degraded` when something is wrong but the node serves (a plugin failed, the directory unreachable, the
 * audit log not writing).
 */
import type { KernelHealth, PluginStatusInfo } from '@openred/plugin-sdk';

export type ComponentState = 'ok' | 'degraded' | 'failing' | 'not_configured';

export interface HealthInput {
  status: Record<string, unknown>;
  kernel: KernelHealth;
  plugins: PluginStatusInfo[];
  audit:
    { state: ComponentState; seq: number; file: string; last_error: string | null } | { state: 'disabled' };
  storage: { ok: boolean; error: string | null };
}

export function healthReport(input: HealthInput) {
  const k = input.kernel;
  const crypto = {
    state: (k.crypto.ok ? 'ok' : 'failing') as ComponentState,
    isolation: k.crypto.isolation,
    latency_ms: k.crypto.latencyMs,
    error: k.crypto.error,
  };
  const directory = {
    state: (!k.directory.configured
      ? 'not_configured'
      : k.directory.reachable && k.directory.registered
        ? 'ok'
        : 'degraded') as ComponentState,
    url: k.directory.url,
    embedded: k.directory.embedded,
    registered: k.directory.registered,
    reachable: k.directory.reachable,
    latency_ms: k.directory.latencyMs,
    error: k.directory.error,
  };
  const stores = {
    tokens: { state: (k.tokens.ok ? 'ok' : 'failing') as ComponentState, held: k.tokens.held },
    plugin_storage: {
      state: (input.storage.ok ? 'ok' : 'degraded') as ComponentState,
      error: input.storage.error,
    },
    audit_log: input.audit,
  };
  const plugins = input.plugins.map((p) => ({
    name: p.name,
    version: p.version,
    state: p.state,
    last_error: p.lastError,
    reloads: p.reloads,
    loaded_at: p.loadedAt,
  }));
  const states: ComponentState[] = [
    crypto.state,
    directory.state,
    stores.tokens.state,
    stores.plugin_storage.state,
    input.audit.state === 'disabled' ? 'ok' : input.audit.state,
    ...input.plugins.map((p): ComponentState => (p.state === 'failed' ? 'degraded' : 'ok')),
  ];
  const status = states.includes('failing') ? 'failing' : states.includes('degraded') ? 'degraded' : 'ok';
  return {
    status,
    node: input.status,
    components: {
      kernel: {
        state: 'ok' as ComponentState,
        uptime_ms: input.status.uptime_ms,
        version: input.status.version,
      },
      crypto,
      directory,
      sessions: { state: 'ok' as ComponentState, open: k.sessions.open },
      stores,
    },
    plugins,
  };
}
