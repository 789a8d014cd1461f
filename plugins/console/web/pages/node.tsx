import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { Chart } from '../components/chart.js';
import { DataTable } from '../components/data-table.js';
import { Badge, Notice } from '../components/notice.js';
import { bytes, duration, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { OwnerLogin } from './owner-login.js';
import type { AuditEntry, AuditVerify, Health, HistoryPoint, PluginInfo } from '../types.js';

/** Health, plugins, the last hour's metrics, the audit log, and the owner's own login. */
export function NodePage() {
  return (
    <>
      <HealthSection />
      <PluginsSection />
      <MetricsSection />
      <AuditSection />
      <OwnerLogin />
    </>
  );
}

function HealthSection() {
  const health = useLoad(() => api<Health>('GET', '/api/monitoring/health'), 10_000);
  const h = health.data;
  return (
    <section aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      {health.error && <Notice kind="error">{health.error}</Notice>}
      {h && (
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <Badge state={h.status} />
          </dd>
          <dt>Crypto isolation</dt>
          <dd data-testid="isolation">
            {h.components.crypto.isolation} <Badge state={h.components.crypto.state} />
          </dd>
          <dt>Directory</dt>
          <dd>
            {h.components.directory.registered ? 'registered' : 'not registered'}{' '}
            <Badge state={h.components.directory.state} />
            {h.components.directory.error && <span class="muted"> {h.components.directory.error}</span>}
          </dd>
          <dt>Sessions</dt>
          <dd>{h.components.sessions.open} open</dd>
          <dt>Up for</dt>
          <dd>
            {duration(Math.round(h.components.kernel.uptime_ms / 1000))} (version{' '}
            {h.components.kernel.version})
          </dd>
        </dl>
      )}
    </section>
  );
}

function PluginsSection() {
  const plugins = useLoad(
    () => api<{ plugins: PluginInfo[] }>('GET', '/api/node/plugins').then((r) => r.plugins),
    10_000,
  );
  const [error, setError] = useState<string | null>(null);
  const toggle = async (p: PluginInfo) => {
    const enable = p.state === 'disabled';
    if (!enable && p.name === 'console' && !confirm('Disabling the console closes this page. Continue?'))
      return;
    try {
      setError(null);
      await api('POST', `/api/node/plugins/${p.name}/enabled`, { enabled: enable });
    } catch (err) {
      setError(errorText(err));
    }
    await plugins.reload();
  };
  return (
    <section aria-labelledby="plugins-title">
      <h2 id="plugins-title">Plugins</h2>
      {(plugins.error || error) && <Notice kind="error">{plugins.error ?? error}</Notice>}
      <DataTable columns={['Plugin', 'Version', 'State', 'Last reload error']} actions>
        {plugins.data?.map((p) => (
          <tr key={p.name}>
            <td>{p.name}</td>
            <td>{p.version ?? '—'}</td>
            <td>
              <Badge state={p.state} />
              {p.reloads > 0 && <span class="muted"> {p.reloads} reloads</span>}
            </td>
            <td class="error-text">{p.lastError ?? '—'}</td>
            <td>
              {p.name !== 'authentication' && (
                <button
                  type="button"
                  class="small secondary"
                  aria-label={`${p.state === 'disabled' ? 'Enable' : 'Disable'} ${p.name}`}
                  onClick={() => toggle(p)}
                >
                  {p.state === 'disabled' ? 'Enable' : 'Disable'}
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}

function MetricsSection() {
  const history = useLoad(
    () => api<{ step_ms: number; points: HistoryPoint[] }>('GET', '/api/monitoring/history'),
    10_000,
  );
  const pts = history.data?.points ?? [];
  const series = (pick: (p: HistoryPoint) => number) => pts.map((p) => ({ t: p.t, v: pick(p) }));
  const perStep = (n: number) => `${Math.round(n)} / 10 s`;
  return (
    <section aria-labelledby="metrics-title">
      <h2 id="metrics-title">Last hour</h2>
      {history.error && <Notice kind="error">{history.error}</Notice>}
      <div class="charts">
        <Chart title="Requests" points={series((p) => p.requests)} format={perStep} />
        <Chart
          title="Latency (mean)"
          points={series((p) => p.latency_ms)}
          format={(v) => `${v.toFixed(1)} ms`}
        />
        <Chart title="Peer sessions" points={series((p) => p.sessions)} format={(v) => String(v)} />
        <Chart
          title="Bytes"
          points={series((p) => p.bytes_in + p.bytes_out)}
          format={(v) => `${bytes(Math.round(v))} / 10 s`}
        />
      </div>
    </section>
  );
}

function AuditSection() {
  const verify = useLoad(() => api<AuditVerify>('GET', '/api/monitoring/audit/verify'));
  const entries = useLoad(
    () => api<{ entries: AuditEntry[] }>('GET', '/api/monitoring/audit?limit=50').then((r) => r.entries),
    15_000,
  );
  const v = verify.data;
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      {verify.error && <Notice kind="error">{verify.error}</Notice>}
      {v && (
        <Notice kind={v.ok ? 'ok' : 'error'}>
          {v.ok
            ? `Verified: ${v.entries} entries in ${v.files.length} file(s); chain, signatures and continuity hold.`
            : `Verification failed: ${v.problem?.code ?? ''} ${v.problem?.message ?? ''}`}
        </Notice>
      )}
      <button type="button" class="small secondary" onClick={() => void verify.reload()}>
        Verify again
      </button>
      {entries.error && <Notice kind="error">{entries.error}</Notice>}
      <DataTable columns={['#', 'Time', 'Event', 'Details']}>
        {[...(entries.data ?? [])].reverse().map((e) => (
          <tr key={e.seq}>
            <td>{e.seq}</td>
            <td>{time(e.ts)}</td>
            <td>{e.event}</td>
            <td class="details">{details(e.data)}</td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}

function details(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}
