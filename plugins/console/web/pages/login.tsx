import { useEffect, useState } from 'preact/hooks';
import { api, errorText, session } from '../api.js';
import { Notice } from '../components/notice.js';
import { webauthnAssertion } from '../webauthn.js';

interface LoginAnswer {
  token: string;
}

/** Password plus a code from the authenticator app, or plus a security key when WebAuthn is enabled. */
export function Login() {
  const [configured, setConfigured] = useState<boolean | null>(null);
  const [webauthn, setWebauthn] = useState(false);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api<{ configured: boolean; webauthn?: boolean }>('GET', '/api/auth/status').then(
      (s) => {
        setConfigured(s.configured);
        setWebauthn(s.webauthn === true);
      },
      (err) => setError(errorText(err)),
    );
  }, []);

  const submit = async (body: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api<LoginAnswer>('POST', '/api/auth/login', { password, ...body });
      session.set(answer.token);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const withKey = async () => {
    try {
      const options = await api<Record<string, unknown>>('POST', '/api/auth/webauthn/login/options', {});
      await submit({ webauthn: await webauthnAssertion(options) });
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <main class="login" id="main">
      <h1>OpenRed console</h1>
      {configured === false && (
        <Notice kind="error">
          Owner login is not set up on this node yet: run <code>openred auth setup</code> on the machine that
          runs it.
        </Notice>
      )}
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void submit({ code });
        }}
      >
        <label for="password">Password</label>
        <input
          id="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <label for="code">Code from your authenticator app</label>
        <input
          id="code"
          inputMode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          required
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Log in
        </button>
        {webauthn && (
          <button type="button" class="secondary" disabled={busy || !password} onClick={withKey}>
            Log in with a security key
          </button>
        )}
        {error && <Notice kind="error">{error}</Notice>}
      </form>
    </main>
  );
}
