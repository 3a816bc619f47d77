import { useEffect, useState } from 'preact/hooks';
import { Session, getJson, roleReason, sendJson } from '../lib/api';
import { CloudForm, CloudSettings, ConnectionTestAnswer, checkBrokerUrl, describeTest, formFromSettings, passwordNote, testRequest } from '../lib/cloud';

/**
 * The cloud link (MQTT) on the settings page (admin): the settings the gateway runs with, read
 * only (they live in the site file's [cloud] table), and "Test connection" to the broker and
 * credentials typed here, which never disturbs the running link. The password is write-only.
 */
export function CloudSettingsSection(props: { session?: Session }) {
  const reason = roleReason(props.session, 'admin');
  const [stored, setStored] = useState<CloudSettings | undefined>();
  const [form, setForm] = useState<CloudForm | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const [testing, setTesting] = useState(false);
  useEffect(() => {
    if (reason) return;
    getJson('/api/v1/cloud/settings').then(
      (s: CloudSettings) => {
        setStored(s);
        setForm(formFromSettings(s));
      },
      (e) => setError(e.message ?? String(e)),
    );
  }, [reason]);

  if (reason) return <section><h2>Cloud link (MQTT)</h2><p class="muted">{reason}.</p></section>;
  if (error) return <section><h2>Cloud link (MQTT)</h2><p class="value-invalid">{error}</p></section>;
  if (!stored || !form) return <p>Loading cloud link…</p>;
  const brokerProblem = checkBrokerUrl(form.broker);
  const set = (key: keyof CloudForm) => (e: Event) => setForm({ ...form, [key]: (e.target as HTMLInputElement).value });
  const runTest = async () => {
    setTesting(true);
    setResult(undefined);
    try {
      const answer: ConnectionTestAnswer = await sendJson('POST', '/api/v1/cloud/test', props.session, testRequest(form, stored));
      setResult({ ok: answer.ok, text: describeTest(answer) });
    } catch (e) {
      setResult({ ok: false, text: String((e as Error).message ?? e) });
    } finally {
      setTesting(false);
    }
  };
  const link = stored.link;
  return (
    <section data-testid="cloud-settings">
      <h2>Cloud link (MQTT)</h2>
      <p class="muted">
        {stored.enabled ? (
          <>
            Publishing to <code>{stored.broker}</code> under <code>{stored.topics}</code>
            {link && (
              <>
                {' '}— {link.connected ? <span class="ok-text">connected</span> : <span class="value-invalid">not connected{link.last_error ? `: ${link.last_error}` : ''}</span>}, {link.outbox_messages} waiting in the outbox
              </>
            )}
            .
          </>
        ) : (
          <>The cloud link is off (no [cloud] table in the site file). The test below helps to choose a broker.</>
        )}{' '}
        Settings are changed in the site file's <code>[cloud]</code> table (docs/cloud.md).
      </p>
      <table class="grid settings">
        <tbody>
          <tr>
            <th>Broker</th>
            <td>
              <input size={36} class={brokerProblem ? 'invalid' : ''} title={brokerProblem ?? ''} value={form.broker} placeholder="mqtts://broker.example.com:8883" onInput={set('broker')} data-testid="cloud-broker" />
            </td>
          </tr>
          <tr>
            <th>Client id</th>
            <td>
              <input size={36} value={form.client_id} onInput={set('client_id')} data-testid="cloud-client-id" />
            </td>
          </tr>
          <tr>
            <th>Format</th>
            <td data-testid="cloud-format">{stored.format === 'sparkplug' ? 'Sparkplug B' : 'JSON topic tree'}</td>
          </tr>
          <tr>
            <th>TLS</th>
            <td>{form.broker.startsWith('mqtts://') ? `yes, broker verified against ${stored.ca_file || 'the system CAs'}` : 'no'}{stored.cert_file && ', client certificate'}</td>
          </tr>
          <tr>
            <th>User</th>
            <td>
              <input size={24} value={form.username} autocomplete="off" onInput={set('username')} data-testid="cloud-username" />
            </td>
          </tr>
          <tr>
            <th>Password</th>
            <td>
              <input type="password" size={24} value={form.password} autocomplete="new-password" placeholder={stored.password_set ? '(set; type to test another)' : '(none)'} onInput={set('password')} data-testid="cloud-password" />
              <br />
              <small class="muted">The test uses {passwordNote(form, stored)}.</small>
            </td>
          </tr>
        </tbody>
      </table>
      <p>
        <button disabled={testing || !!brokerProblem} onClick={runTest} data-testid="cloud-test">
          {testing ? 'Testing…' : 'Test connection'}
        </button>{' '}
        {result && (
          <span class={result.ok ? 'ok-text' : 'value-invalid'} data-testid="cloud-test-result">
            {result.text}
          </span>
        )}
      </p>
    </section>
  );
}
