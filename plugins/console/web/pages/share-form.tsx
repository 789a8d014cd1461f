import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { Notice } from '../components/notice.js';
import { bytes, shortId } from '../format.js';
import { useLoad } from '../hooks.js';
import type { DirectoryMember, Share } from '../types.js';
import { uploadFile } from '../upload.js';

const EXPIRIES = [
  { label: '1 hour', ms: 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
  { label: '7 days', ms: 7 * 86_400_000 },
];

/** Upload a file into the node's share folder (with progress), then share it with one peer. */
export function ShareForm(props: { self: string | null; onShared(): void }) {
  const members = useLoad(() =>
    api<{ nodes: DirectoryMember[] }>('GET', '/api/peers/directory').then((r) => r.nodes),
  );
  const [file, setFile] = useState<File | null>(null);
  const [peer, setPeer] = useState('');
  const [expires, setExpires] = useState(EXPIRIES[1]!.ms);
  const [uses, setUses] = useState(1);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [shared, setShared] = useState<Share | null>(null);
  const peers = (members.data ?? []).filter((n) => n.node_id !== props.self);

  const submit = async () => {
    if (!file || !peer) return;
    setError(null);
    setShared(null);
    try {
      setProgress({ sent: 0, total: file.size });
      const uploaded = await uploadFile(file, (sent, total) => setProgress({ sent, total }));
      const share = await api<Share>('POST', '/api/files/share', {
        path: uploaded.path,
        to: peer,
        expires_in_ms: expires,
        max_downloads: uses,
        name: file.name,
      });
      setShared(share);
      props.onShared();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setProgress(null);
    }
  };

  return (
    <section aria-labelledby="share-title">
      <h2 id="share-title">Share a file</h2>
      <form
        class="card form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label for="share-file">File</label>
        <input
          id="share-file"
          type="file"
          required
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
        <label for="share-peer">Share with</label>
        <select id="share-peer" required value={peer} onChange={(e) => setPeer(e.currentTarget.value)}>
          <option value="">Choose a peer…</option>
          {peers.map((n) => (
            <option key={n.node_id} value={n.node_id}>
              {shortId(n.node_id)} ({n.status})
            </option>
          ))}
        </select>
        <label for="share-expires">Link expires after</label>
        <select
          id="share-expires"
          value={String(expires)}
          onChange={(e) => setExpires(Number(e.currentTarget.value))}
        >
          {EXPIRIES.map((x) => (
            <option key={x.ms} value={String(x.ms)}>
              {x.label}
            </option>
          ))}
        </select>
        <label for="share-uses">Downloads allowed</label>
        <input
          id="share-uses"
          type="number"
          min={1}
          max={1000}
          value={uses}
          onInput={(e) => setUses(Number(e.currentTarget.value) || 1)}
        />
        <button type="submit" disabled={progress !== null}>
          Upload and share
        </button>
        {progress && (
          <p class="progress-line">
            <label for="upload-progress">Uploading</label>{' '}
            <progress id="upload-progress" max={progress.total || 1} value={progress.sent} />{' '}
            {bytes(progress.sent)} / {bytes(progress.total)}
          </p>
        )}
        {error && <Notice kind="error">{error}</Notice>}
      </form>
      {shared && (
        <div class="card">
          <Notice kind="ok">
            Shared {shared.name} with {shortId(shared.peer)}. Send the peer this link:
          </Notice>
          <label for="share-link">Link</label>
          <input id="share-link" readOnly value={shared.link} onFocus={(e) => e.currentTarget.select()} />
          <button
            type="button"
            class="small secondary"
            onClick={() => void navigator.clipboard?.writeText(shared.link)}
          >
            Copy link
          </button>
        </div>
      )}
    </section>
  );
}
