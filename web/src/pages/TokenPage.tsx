import { useState } from 'preact/hooks';
import { setAggregatorToken } from '../lib/scope';

/**
 * The aggregator's sign-in: an API token of the aggregator (viewer to read from another machine,
 * operator to acknowledge), kept for this browser tab only.
 */
export function TokenPage() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    const r = await fetch('/api/v1/session', { headers: { Authorization: `Bearer ${t}` } }).catch(() => undefined);
    const s = r?.ok ? await r.json().catch(() => ({})) : {};
    if (!s.authenticated || !String(s.user ?? '').startsWith('token:')) {
      setError('the aggregator does not know this token (or it was revoked)');
      return;
    }
    setAggregatorToken(t);
    location.hash = '#/';
    location.reload();
  };
  return (
    <section>
      <h1>Sign in to the site aggregator</h1>
      <p>
        The aggregator has no password accounts. Ask its administrator for an API token (<code>btms token add NAME --role operator --data-dir AGGREGATOR_DATA_DIR</code>): a viewer token
        reads the site from another machine, an operator token also acknowledges alarms, which the owning gateway records under the aggregator's name with yours in the comment. The token is kept
        in this browser tab only.
      </p>
      <form class="login" onSubmit={submit}>
        <label>
          Token <input type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} data-testid="token-input" />
        </label>
        <button type="submit" disabled={!token.trim()}>
          Use this token
        </button>
        {error && <p class="value-invalid">{error}</p>}
      </form>
    </section>
  );
}
