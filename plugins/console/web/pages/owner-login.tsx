import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Notice } from '../components/notice.js';
import { ago, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { webauthnRegistration } from '../webauthn.js';

interface OwnerSession {
  id: string;
  method: string;
  createdAt: number;
  expiresAt: number;
  lastUsedAt?: number;
}

interface AccountState {
  session: OwnerSession;
  recovery_codes_left: number;
  /** Registered security keys, or null when WebAuthn is not enabled on the node. */
  webauthn: number | null;
}

interface SecurityKey {
  id: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** The owner's own login: live sessions (end one) and, when WebAuthn is enabled, security keys. */
export function OwnerLogin() {
  const account = useLoad(() => api<AccountState>('GET', '/api/auth/session'));
  const sessions = useLoad(
    () => api<{ sessions: OwnerSession[] }>('GET', '/api/auth/sessions').then((r) => r.sessions),
    30_000,
  );
  const [error, setError] = useState<string | null>(null);
  const current = account.data?.session.id;

  const end = async (id: string) => {
    try {
      await api('DELETE', `/api/auth/sessions/${id}`);
    } catch (err) {
      setError(errorText(err));
    }
    await sessions.reload();
  };

  return (
    <section aria-labelledby="owner-title">
      <h2 id="owner-title">Owner login</h2>
      {account.data && (
        <p>
          Logged in with {account.data.session.method}; {account.data.recovery_codes_left} recovery codes
          left.
        </p>
      )}
      {(sessions.error || error) && <Notice kind="error">{sessions.error ?? error}</Notice>}
      <DataTable columns={['Session', 'Method', 'Since', 'Last used', 'Expires']} actions>
        {sessions.data?.map((s) => (
          <tr key={s.id}>
            <td>
              <code>{s.id.slice(0, 8)}</code>
              {s.id === current && <span class="muted"> (this one)</span>}
            </td>
            <td>{s.method}</td>
            <td>{time(s.createdAt)}</td>
            <td>{ago(s.lastUsedAt)}</td>
            <td>{ago(s.expiresAt)}</td>
            <td>
              {s.id !== current && (
                <button
                  type="button"
                  class="small secondary"
                  aria-label={`End session ${s.id.slice(0, 8)}`}
                  onClick={() => end(s.id)}
                >
                  End
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      {account.data && account.data.webauthn !== null && <SecurityKeys onChange={() => account.reload()} />}
    </section>
  );
}

function SecurityKeys(props: { onChange(): void }) {
  const keys = useLoad(() =>
    api<{ credentials: SecurityKey[] }>('GET', '/api/auth/webauthn/credentials').then((r) => r.credentials),
  );
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const add = async () => {
    setBusy(true);
    setStatus(null);
    try {
      const options = await api<Record<string, unknown>>('POST', '/api/auth/webauthn/register/options');
      const response = await webauthnRegistration(options);
      await api('POST', '/api/auth/webauthn/register', { response });
      setStatus({ kind: 'ok', text: 'Security key added: it can replace the code when you log in.' });
      await keys.reload();
      props.onChange();
    } catch (err) {
      setStatus({ kind: 'error', text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const remove = async (id: string) => {
    try {
      await api('DELETE', `/api/auth/webauthn/credentials/${id}`);
    } catch (err) {
      setStatus({ kind: 'error', text: errorText(err) });
    }
    await keys.reload();
    props.onChange();
  };

  return (
    <>
      <h3>Security keys</h3>
      <ul class="key-list">
        {keys.data?.map((k) => (
          <li key={k.id}>
            <code>{k.id.slice(0, 12)}…</code> added {time(k.createdAt)}, last used {ago(k.lastUsedAt)}{' '}
            <button
              type="button"
              class="small danger"
              aria-label={`Remove security key ${k.id.slice(0, 12)}`}
              onClick={() => remove(k.id)}
            >
              Remove
            </button>
          </li>
        ))}
        {keys.data?.length === 0 && <li class="muted">None yet.</li>}
      </ul>
      <button type="button" class="secondary" disabled={busy} onClick={add}>
        Add a security key
      </button>
      {status && <Notice kind={status.kind}>{status.text}</Notice>}
    </>
  );
}
