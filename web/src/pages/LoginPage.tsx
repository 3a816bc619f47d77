import { useState } from 'preact/hooks';

/**
 * Login, or creation of the first admin on a new gateway (setup). On success the page reloads
 * so every request carries the new session cookie.
 */
export function LoginPage(props: { setup: boolean }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await fetch(props.setup ? '/api/v1/setup' : '/api/v1/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user, password }),
      });
      if (r.ok) {
        // Back to the overview with the new session cookie on every request.
        location.hash = '#/';
        location.reload();
        return;
      }
      const body = await r.json().catch(() => ({}));
      setError(body.error ?? `HTTP ${r.status}`);
    } catch (err) {
      setError(String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>{props.setup ? 'Create the first administrator' : 'Log in'}</h1>
      {props.setup && <p>This gateway has no accounts yet. The account you create here is an admin.</p>}
      <label>
        User <input value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} autocomplete="username" required />
      </label>
      <label>
        Password{' '}
        <input
          type="password"
          value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          autocomplete={props.setup ? 'new-password' : 'current-password'}
          minLength={props.setup ? 10 : undefined}
          required
        />
      </label>
      <button type="submit" disabled={busy}>{props.setup ? 'Create' : 'Log in'}</button>
      {error && <p class="value-invalid">{error}</p>}
    </form>
  );
}
