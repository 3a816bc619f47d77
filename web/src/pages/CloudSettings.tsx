import { useEffect, useState } from 'preact/hooks';
import { ApiError, Session, getJson, roleReason, sendJson } from '../lib/api';
import {
  CloudForm,
  CloudSettings,
  ConnectionTestAnswer,
  FormatChoice,
  NUMBER_FIELDS,
  NUMBER_RANGES,
  NumberField,
  checkForm,
  describeTest,
  formFromSettings,
  passwordNote,
  refusalField,
  saveConfirmation,
  saveRequest,
  sourceOf,
  testRequest,
} from '../lib/cloud';

type Result = { ok: boolean; text: string };

/**
 * The cloud link (MQTT) on the settings page: the settings the gateway runs with, where each
 * comes from (the site file's [cloud] table or an edit saved in the gateway's data folder), and
 * for an admin an edit form: Save (the link restarts with the new settings, nothing queued is
 * lost), Revert to site file, and "Test connection" of the form as typed, which never disturbs
 * the running link. The password is write-only. Other roles see the settings read only.
 */
export function CloudSettingsSection(props: { session?: Session }) {
  const reason = roleReason(props.session, 'admin');
  const [stored, setStored] = useState<CloudSettings | undefined>();
  const [form, setForm] = useState<CloudForm | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [result, setResult] = useState<Result | undefined>();
  const [saved, setSaved] = useState<Result | undefined>();
  const [serverField, setServerField] = useState<string | undefined>();
  const [changingPassword, setChangingPassword] = useState(false);
  const [busy, setBusy] = useState<'test' | 'save' | 'revert' | undefined>();
  const load = (s: CloudSettings) => {
    setStored(s);
    setForm(formFromSettings(s));
    setChangingPassword(false);
  };
  useEffect(() => {
    getJson('/api/v1/cloud/settings').then(load, (e) => setError(e.message ?? String(e)));
  }, [props.session?.role]);

  if (error) return <section><h2>Cloud link (MQTT)</h2><p class="value-invalid">{error}</p></section>;
  if (!stored || !form) return <p>Loading cloud link…</p>;
  const readOnly = !!reason || !stored.editable;
  const problems = checkForm(form, stored);
  const fit = Object.keys(problems).length === 0;
  const update = (change: Partial<CloudForm>) => {
    setForm({ ...form, ...change });
    setSaved(undefined);
    setServerField(undefined);
  };
  const text = (key: 'broker' | 'client_id' | 'username' | 'ca_file' | 'cert_file' | 'key_file' | 'site_id' | 'gateway_id') => (e: Event) => update({ [key]: (e.target as HTMLInputElement).value });
  const number = (key: NumberField) => (e: Event) => update({ numbers: { ...form.numbers, [key]: (e.target as HTMLInputElement).value } });
  const runTest = async () => {
    setBusy('test');
    setResult(undefined);
    try {
      const answer: ConnectionTestAnswer = await sendJson('POST', '/api/v1/cloud/test', props.session, testRequest(form, stored));
      setResult({ ok: answer.ok, text: describeTest(answer) });
    } catch (e) {
      setResult({ ok: false, text: String((e as Error).message ?? e) });
    } finally {
      setBusy(undefined);
    }
  };
  const change = async (kind: 'save' | 'revert') => {
    const question =
      kind === 'save'
        ? saveConfirmation(form, stored)
        : 'Revert the cloud link to the site file\'s settings? Every edit (the password too) is dropped and the link restarts; messages waiting in the outbox are kept.';
    if (!confirm(question)) return;
    setBusy(kind);
    setSaved(undefined);
    try {
      const answer: CloudSettings =
        kind === 'save' ? await sendJson('PUT', '/api/v1/cloud/settings', props.session, saveRequest(form)) : await sendJson('DELETE', '/api/v1/cloud/settings', props.session);
      load(answer);
      setSaved({ ok: true, text: kind === 'save' ? 'Saved; the link runs with these settings.' : 'Reverted to the site file\'s settings.' });
    } catch (e) {
      setServerField(e instanceof ApiError ? refusalField(e.body) : undefined);
      setSaved({ ok: false, text: `Not saved: ${String((e as Error).message ?? e)}` });
    } finally {
      setBusy(undefined);
    }
  };
  const link = stored.link;
  // One row: label, the input, where the saved value comes from, and the field's problem.
  const row = (label: string, field: string, input: preact.ComponentChild, note?: preact.ComponentChild) => {
    const problem = problems[field] ?? (serverField === field ? 'refused by the gateway (see below)' : undefined);
    return (
      <tr data-testid={`cloud-row-${field}`}>
        <th>{label}</th>
        <td>
          {input}
          {problem && !readOnly && (
            <>
              <br />
              <small class="value-invalid" data-testid={`cloud-problem-${field}`}>{problem}</small>
            </>
          )}
          {note && (
            <>
              <br />
              <small class="muted">{note}</small>
            </>
          )}
        </td>
        <td class="muted" data-testid={`cloud-source-${field}`}>{sourceOf(stored, field)}</td>
      </tr>
    );
  };
  const invalid = (field: string) => (problems[field] || serverField === field) && !readOnly ? 'invalid' : '';
  return (
    <section data-testid="cloud-settings">
      <h2>Cloud link (MQTT)</h2>
      <p class="muted" data-testid="cloud-status">
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
          <>The cloud link is off. The test below helps to choose a broker.</>
        )}{' '}
        Edited settings are saved in the gateway's data folder and override the site file's <code>[cloud]</code> table field by field (docs/cloud.md).
        {reason && <> Read only: {reason}.</>}
        {!reason && !stored.editable && <> Read only: the gateway has no data folder to save edits in.</>}
      </p>
      <table class="grid settings">
        <thead>
          <tr>
            <th>Setting</th>
            <th>Value</th>
            <th>From</th>
          </tr>
        </thead>
        <tbody>
          {row('Link on', 'enabled', <input type="checkbox" checked={form.enabled} disabled={readOnly} onChange={(e) => update({ enabled: (e.target as HTMLInputElement).checked })} data-testid="cloud-enabled" />)}
          {row('Broker', 'broker', <input size={36} class={invalid('broker')} value={form.broker} disabled={readOnly} placeholder="mqtts://broker.example.com:8883" onInput={text('broker')} data-testid="cloud-broker" />)}
          {row('Client id', 'client_id', <input size={36} class={invalid('client_id')} value={form.client_id} disabled={readOnly} onInput={text('client_id')} data-testid="cloud-client-id" />)}
          {row('User', 'username', <input size={24} value={form.username} autocomplete="off" disabled={readOnly} onInput={text('username')} data-testid="cloud-username" />)}
          {row(
            'Password',
            'password',
            <>
              <span data-testid="cloud-password-state">{form.removePassword ? 'to be removed' : stored.password_set ? 'set' : 'not set'}</span>{' '}
              {!readOnly && !changingPassword && (
                <button type="button" onClick={() => setChangingPassword(true)} data-testid="cloud-password-change">
                  Change
                </button>
              )}
              {!readOnly && changingPassword && (
                <>
                  <input type="password" size={24} class={invalid('password')} value={form.password} autocomplete="new-password" placeholder="new password" disabled={form.removePassword} onInput={(e) => update({ password: (e.target as HTMLInputElement).value })} data-testid="cloud-password" />{' '}
                  {stored.password_set && (
                    <label>
                      <input type="checkbox" checked={form.removePassword} onChange={(e) => update({ removePassword: (e.target as HTMLInputElement).checked, password: '' })} data-testid="cloud-password-remove" /> no password
                    </label>
                  )}
                </>
              )}
            </>,
            !readOnly && <>Write-only: the gateway never shows it. Left blank, the stored one is kept. The test uses {passwordNote(form, stored)}.</>,
          )}
          {row('CA file', 'ca_file', <input size={36} class={invalid('ca_file')} value={form.ca_file} disabled={readOnly} placeholder="(the system's CAs)" onInput={text('ca_file')} data-testid="cloud-ca-file" />, form.broker.startsWith('mqtts://') ? 'the broker\'s certificate is verified against it' : 'used with mqtts:// only')}
          {row('Client certificate', 'cert_file', <input size={36} class={invalid('cert_file')} value={form.cert_file} disabled={readOnly} placeholder="(none)" onInput={text('cert_file')} data-testid="cloud-cert-file" />)}
          {row('Client key', 'key_file', <input size={36} class={invalid('key_file')} value={form.key_file} disabled={readOnly} placeholder="(none)" onInput={text('key_file')} data-testid="cloud-key-file" />)}
          {row(
            'Format',
            'format',
            <select value={form.format} disabled={readOnly} onChange={(e) => update({ format: (e.target as HTMLSelectElement).value as FormatChoice })} data-testid="cloud-format">
              <option value="json">JSON topic tree</option>
              <option value="home_assistant">JSON topic tree + Home Assistant discovery</option>
              <option value="sparkplug">Sparkplug B</option>
            </select>,
          )}
          {row('Site id (topic level)', 'site_id', <input size={24} class={invalid('site_id')} value={form.site_id} disabled={readOnly} onInput={text('site_id')} data-testid="cloud-site-id" />)}
          {row('Gateway id (topic level)', 'gateway_id', <input size={24} class={invalid('gateway_id')} value={form.gateway_id} disabled={readOnly} onInput={text('gateway_id')} data-testid="cloud-gateway-id" />)}
          {NUMBER_FIELDS.map((f) => row(`${NUMBER_RANGES[f].label} (${NUMBER_RANGES[f].unit})`, f, <input size={8} class={invalid(f)} value={form.numbers[f]} disabled={readOnly} inputMode="decimal" onInput={number(f)} data-testid={`cloud-${f}`} />))}
        </tbody>
      </table>
      <p>
        {!readOnly && (
          <>
            <button disabled={!!busy || !fit} title={fit ? '' : 'fix the marked fields first'} onClick={() => change('save')} data-testid="cloud-save">
              {busy === 'save' ? 'Saving…' : 'Save'}
            </button>{' '}
            <button disabled={!!busy || !stored.edited} title={stored.edited ? '' : 'nothing is edited: the link runs on the site file\'s settings'} onClick={() => change('revert')} data-testid="cloud-revert">
              {busy === 'revert' ? 'Reverting…' : 'Revert to site file'}
            </button>{' '}
          </>
        )}
        <button disabled={!!busy || !!reason || !!problems.broker || form.broker.trim() === ''} title={reason ?? ''} onClick={runTest} data-testid="cloud-test">
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>{' '}
        {result && (
          <span class={result.ok ? 'ok-text' : 'value-invalid'} data-testid="cloud-test-result">
            {result.text}
          </span>
        )}
      </p>
      {saved && (
        <p class={saved.ok ? 'ok-text' : 'value-invalid'} data-testid="cloud-save-result">
          {saved.text}
        </p>
      )}
    </section>
  );
}
