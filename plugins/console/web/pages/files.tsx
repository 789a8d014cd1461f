import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Badge, Notice } from '../components/notice.js';
import { PeerId } from '../components/peer-id.js';
import { ago, bytes, time } from '../format.js';
import { useLoad } from '../hooks.js';
import type { Download, Share } from '../types.js';
import { ShareForm } from './share-form.js';

/** Share a file with a peer, manage the links, and download what peers shared. */
export function Files(props: { self: string | null }) {
  const shares = useLoad(() => api<{ shares: Share[] }>('GET', '/api/files').then((r) => r.shares), 3_000);
  const downloads = useLoad(
    () => api<{ downloads: Download[] }>('GET', '/api/files/downloads').then((r) => r.downloads),
    1_000,
  );
  return (
    <>
      <ShareForm self={props.self} onShared={() => void shares.reload()} />
      <section aria-labelledby="links-title">
        <h2 id="links-title">Links</h2>
        {shares.error && <Notice kind="error">{shares.error}</Notice>}
        <DataTable
          columns={['File', 'For', 'Expires', 'Uses', 'State']}
          actions
          empty="No links."
          isEmpty={shares.data?.length === 0}
        >
          {shares.data?.map((s) => (
            <tr key={s.file_id} data-file-id={s.file_id}>
              <td>
                {s.name} <span class="muted">{bytes(s.size)}</span>
              </td>
              <td>
                <PeerId id={s.peer} />
              </td>
              <td title={time(s.expires_at)}>{ago(s.expires_at)}</td>
              <td>
                {s.downloads} / {s.max_downloads}
              </td>
              <td>
                <Badge state={s.state} />
              </td>
              <td>
                {s.state === 'active' && (
                  <button
                    type="button"
                    class="small danger"
                    aria-label={`Revoke the link to ${s.name}`}
                    onClick={async () => {
                      await api('DELETE', `/api/files/${s.file_id}`).catch(() => undefined);
                      await shares.reload();
                    }}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      </section>
      <DownloadForm onStarted={() => void downloads.reload()} />
      <section aria-labelledby="downloads-title">
        <h2 id="downloads-title">Downloads</h2>
        {downloads.error && <Notice kind="error">{downloads.error}</Notice>}
        <DataTable
          columns={['File', 'From', 'Progress', 'State', 'Verification']}
          empty="No downloads."
          isEmpty={downloads.data?.length === 0}
        >
          {downloads.data?.map((d) => (
            <tr key={d.id} data-download-id={d.id}>
              <td title={d.target}>{d.name}</td>
              <td>
                <PeerId id={d.peer} />
              </td>
              <td>
                <progress max={d.size || 1} value={d.bytes} aria-label={`Download progress of ${d.name}`} />{' '}
                <span class="muted">
                  {bytes(d.bytes)} / {bytes(d.size)}
                  {d.state === 'running' && d.rate_bps > 0 && ` · ${bytes(d.rate_bps)}/s`}
                </span>
              </td>
              <td>
                <Badge state={d.state} />
              </td>
              <td>{verification(d)}</td>
            </tr>
          ))}
        </DataTable>
      </section>
    </>
  );
}

/** What the node checked: every chunk and the whole file against the sharer's SHA-256. */
function verification(d: Download): string {
  if (d.state === 'done') return `SHA-256 verified (${d.sha256.slice(0, 12)}…)`;
  if (d.error) return `${d.error.message} (${d.error.code})`;
  return d.state === 'running' ? 'checking chunk by chunk' : '—';
}

function DownloadForm(props: { onStarted(): void }) {
  const [link, setLink] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-labelledby="download-title">
      <h2 id="download-title">Download a link</h2>
      <form
        class="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await api('POST', '/api/files/download', { link: link.trim() });
            setLink('');
            props.onStarted();
          } catch (err) {
            setError(errorText(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="download-link">Link</label>
        <input
          id="download-link"
          required
          placeholder="openred://…"
          autocomplete="off"
          spellcheck={false}
          value={link}
          onInput={(e) => setLink(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Download
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
    </section>
  );
}
