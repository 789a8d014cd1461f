import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Badge, Notice } from '../components/notice.js';
import { PeerId } from '../components/peer-id.js';
import { ago, time } from '../format.js';
import { useLoad } from '../hooks.js';
import type { DirectoryMember, PeerSession } from '../types.js';

/** Directory members, the sessions this node holds, and a way to open one. */
export function Peers(props: { self: string | null }) {
  const directory = useLoad(
    () => api<{ nodes: DirectoryMember[] }>('GET', '/api/peers/directory').then((r) => r.nodes),
    30_000,
  );
  const sessions = useLoad(
    () => api<{ sessions: PeerSession[] }>('GET', '/api/peers').then((r) => r.sessions),
    5_000,
  );
  const [target, setTarget] = useState('');
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const connect = async (nodeId: string) => {
    setBusy(nodeId);
    setResult(null);
    try {
      const s = await api<PeerSession>('POST', '/api/peers/connect', { node_id: nodeId });
      setResult({ kind: 'ok', text: `Connected to ${nodeId} (${s.method}, epoch ${s.epoch})` });
      await sessions.reload();
    } catch (err) {
      setResult({ kind: 'error', text: errorText(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <section aria-labelledby="directory-title">
        <h2 id="directory-title">Directory</h2>
        {directory.error && <Notice kind="error">{directory.error}</Notice>}
        <DataTable
          columns={['Node', 'Status', 'Last seen']}
          actions
          empty="No members."
          isEmpty={directory.data?.length === 0}
        >
          {directory.data?.map((n) => (
            <tr key={n.node_id}>
              <td>
                <PeerId id={n.node_id} />
                {n.node_id === props.self && <span class="muted"> (this node)</span>}
              </td>
              <td>
                <Badge state={n.status} />
              </td>
              <td>{ago(n.last_seen)}</td>
              <td>
                {n.node_id !== props.self && (
                  <button
                    type="button"
                    class="small"
                    disabled={busy !== null}
                    onClick={() => connect(n.node_id)}
                    aria-label={`Connect to ${n.node_id}`}
                  >
                    Connect
                  </button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      </section>

      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title">My sessions</h2>
        {sessions.error && <Notice kind="error">{sessions.error}</Notice>}
        <DataTable
          columns={['Peer', 'Method', 'Epoch', 'Since', 'Last activity']}
          empty="No sessions yet."
          isEmpty={sessions.data?.length === 0}
        >
          {sessions.data?.map((s) => (
            <tr key={s.id ?? s.peer}>
              <td>
                <PeerId id={s.peer} /> <span class="muted">({s.role})</span>
              </td>
              <td>{s.method}</td>
              <td>{s.epoch}</td>
              <td>{time(s.establishedAt)}</td>
              <td>{ago(s.lastActivityAt)}</td>
            </tr>
          ))}
        </DataTable>
      </section>

      <section aria-labelledby="connect-title">
        <h2 id="connect-title">Connect</h2>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void connect(target.trim());
          }}
        >
          <label for="connect-id">Node id</label>
          <input
            id="connect-id"
            required
            pattern="or[a-z2-7]{32}"
            autocomplete="off"
            spellcheck={false}
            value={target}
            onInput={(e) => setTarget(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy !== null}>
            Connect
          </button>
        </form>
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </section>
    </>
  );
}
