import { useEffect, useState } from 'preact/hooks';
import { ApiError, Session, getJson, roleReason, sendJson } from '../lib/api';
import { DELIVERIES_URL, NOT_CONFIGURED_HINT, NotificationsState, Recipient, TEST_URL, recipientSummary, stateFromAnswer, stateFromError, testAnswerText } from '../lib/notifications';
import { ADDRESS_KEY, Channel, FormProblem, RECIPIENTS_URL, RecipientForm, RecipientsAnswer, checkForms, emptyForm, formFromApi, problemOfField, recipientsBody, saveQuestion, sourceText } from '../lib/recipients';

/**
 * The notification recipients in force (site file, or the list edited here), read only for
 * viewers and operators, each with "Send test message" (admin); admins edit the list below.
 * Secrets are never shown: the gateway only says whether one is set.
 */
export function NotificationRecipients(props: { session?: Session }) {
  const [state, setState] = useState<NotificationsState>({ kind: 'loading' });
  const [edit, setEdit] = useState<RecipientsAnswer | undefined>();
  const load = () => {
    getJson(DELIVERIES_URL).then(
      (a) => setState(stateFromAnswer(a)),
      (e) => setState(stateFromError(e)),
    );
    getJson(RECIPIENTS_URL).then(
      (a) => setEdit(a as RecipientsAnswer),
      () => setEdit(undefined),
    );
  };
  useEffect(load, []);
  const reason = roleReason(props.session, 'admin');
  return (
    <section class="notification-recipients" data-testid="notification-recipients">
      <h2>Notification recipients</h2>
      {state.kind === 'loading' && <p class="muted">Loading recipients…</p>}
      {state.kind === 'not-configured' && <p class="muted" data-testid="recipients-not-configured">{NOT_CONFIGURED_HINT}</p>}
      {state.kind === 'error' && <p class="value-invalid">Recipients: {state.message}</p>}
      {state.kind === 'ok' && (
        <>
          <p class="muted" data-testid="recipients-source">
            {edit ? sourceText(edit.source) : "From the site file's [notify] table."}
            {reason && ` Editing and test messages: ${reason}.`}
          </p>
          {state.answer.recipients.length === 0 && <p class="muted">No recipients.</p>}
          {state.answer.recipients.map((r) => (
            <RecipientCard key={r.name} recipient={r} session={props.session} reason={reason} />
          ))}
          {!reason && edit && edit.editable && <RecipientsEditor answer={edit} session={props.session} onSaved={load} />}
        </>
      )}
    </section>
  );
}

function RecipientCard(props: { recipient: Recipient; session?: Session; reason?: string }) {
  const r = props.recipient;
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    setResult(undefined);
    try {
      const answer = await sendJson('POST', TEST_URL, props.session, { recipient: r.name });
      setResult({ ok: true, text: testAnswerText(answer, r.name) });
    } catch (e) {
      setResult({ ok: false, text: String((e as Error).message ?? e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="recipient" data-testid={`recipient-${r.name}`}>
      <h3>{r.name}</h3>
      <table class="grid">
        <tbody>
          {recipientSummary(r).map((row) => (
            <tr>
              <th>{row.label}</th>
              <td>{row.text}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <button disabled={!!props.reason || busy} title={props.reason ?? ''} onClick={send} data-testid="send-test">
          Send test message
        </button>
        {result && (
          <small class={result.ok ? 'ok-text' : 'value-invalid'} data-testid="send-test-result">
            {' '}
            {result.text}
          </small>
        )}
      </p>
    </div>
  );
}

/** The admin's editor of the whole list: add, change, remove; Save (confirmed) or Revert. */
function RecipientsEditor(props: { answer: RecipientsAnswer; session?: Session; onSaved: () => void }) {
  const [forms, setForms] = useState<RecipientForm[]>(() => props.answer.recipients.map(formFromApi));
  const [problem, setProblem] = useState<FormProblem | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setForms(props.answer.recipients.map(formFromApi)), [props.answer]);
  const saved = props.answer.recipients.map((r) => String(r.name));
  const change = (index: number, patch: Partial<RecipientForm>) => setForms(forms.map((f, i) => (i === index ? { ...f, ...patch } : f)));
  const send = async (method: 'PUT' | 'DELETE') => {
    setMessage(undefined);
    setProblem(undefined);
    if (method === 'PUT') {
      const local = checkForms(forms);
      if (local) {
        setProblem(local);
        return;
      }
      if (!window.confirm(saveQuestion(saved, forms))) return;
    } else if (!window.confirm("Revert to the site file's recipients? The list edited here is deleted and the site file's list takes effect at once.")) {
      return;
    }
    setBusy(true);
    try {
      await sendJson(method, RECIPIENTS_URL, props.session, method === 'PUT' ? recipientsBody(forms) : undefined);
      setMessage({ ok: true, text: method === 'PUT' ? 'Saved: the new list is in force.' : "Reverted: the site file's list is in force." });
      props.onSaved();
    } catch (e) {
      const body = e instanceof ApiError ? e.body : {};
      setProblem(problemOfField(body?.field, body?.error ?? ''));
      setMessage({ ok: false, text: String((e as Error).message ?? e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="recipients-editor" data-testid="recipients-editor">
      <h3>Edit recipients</h3>
      {!props.answer.mail_server && <p class="muted">Mail recipients need a [notify.mail] server in the site file.</p>}
      {forms.map((f, i) => (
        <RecipientFields key={i} index={i} form={f} problem={problem?.index === i ? problem : undefined} onChange={(patch) => change(i, patch)} onRemove={() => setForms(forms.filter((_, j) => j !== i))} />
      ))}
      <p>
        <button data-testid="recipient-add" onClick={() => setForms([...forms, emptyForm(props.answer.mail_server ? 'mail' : 'webhook')])}>
          Add recipient
        </button>{' '}
        <button data-testid="recipients-save" disabled={busy} onClick={() => send('PUT')}>
          Save
        </button>{' '}
        {props.answer.source === 'settings_page' && (
          <button data-testid="recipients-revert" disabled={busy} onClick={() => send('DELETE')}>
            Revert to site file
          </button>
        )}
      </p>
      {problem && problem.key === '' && <p class="value-invalid">{problem.error}</p>}
      {message && (
        <p class={message.ok ? 'ok-text' : 'value-invalid'} data-testid="recipients-message">
          {message.text}
        </p>
      )}
    </div>
  );
}

function RecipientFields(props: { index: number; form: RecipientForm; problem?: FormProblem; onChange: (patch: Partial<RecipientForm>) => void; onRemove: () => void }) {
  const f = props.form;
  const bad = (key: string) => (props.problem?.key === key ? props.problem.error : undefined);
  const field = (label: string, key: keyof RecipientForm & string, wireKey: string = key, placeholder = '') => (
    <label>
      {label}{' '}
      <input data-testid={`r${props.index}-${wireKey}`} value={String(f[key])} placeholder={placeholder} onInput={(e) => props.onChange({ [key]: (e.target as HTMLInputElement).value } as Partial<RecipientForm>)} />
      {bad(wireKey) && (
        <small class="value-invalid" data-testid={`r${props.index}-${wireKey}-error`}>
          {' '}
          {bad(wireKey)}
        </small>
      )}
    </label>
  );
  const secretLabel = f.channel === 'webhook' ? 'HMAC secret' : f.channel === 'snmp' ? 'Community' : undefined;
  return (
    <fieldset class="recipient-form" data-testid={`recipient-form-${props.index}`}>
      {field('Name', 'name')}
      <label>
        Channel{' '}
        <select data-testid={`r${props.index}-channel`} value={f.channel} onChange={(e) => props.onChange({ channel: (e.target as HTMLSelectElement).value as Channel })}>
          <option value="mail">Mail</option>
          <option value="webhook">Webhook</option>
          <option value="snmp">SNMP</option>
        </select>
      </label>
      {field(f.channel === 'mail' ? 'To' : f.channel === 'webhook' ? 'URL' : 'Target', 'address', ADDRESS_KEY[f.channel])}
      {secretLabel && (
        <label>
          {secretLabel}{' '}
          <input type="password" autocomplete="new-password" data-testid={`r${props.index}-secret`} value={f.secret} placeholder={f.secret_set ? 'set (blank keeps it)' : 'not set'} onInput={(e) => props.onChange({ secret: (e.target as HTMLInputElement).value })} />
          {(bad('secret') ?? bad('community')) && <small class="value-invalid"> {bad('secret') ?? bad('community')}</small>}
        </label>
      )}
      {f.channel === 'webhook' && f.secret_set && (
        <label>
          <input type="checkbox" checked={f.clear_secret} onChange={(e) => props.onChange({ clear_secret: (e.target as HTMLInputElement).checked })} /> no secret (unsigned)
        </label>
      )}
      <label>
        Level{' '}
        <select data-testid={`r${props.index}-level`} value={f.level} onChange={(e) => props.onChange({ level: (e.target as HTMLSelectElement).value as RecipientForm['level'] })}>
          <option value="warnings">Warnings and alarms</option>
          <option value="alarms">Alarms only</option>
          <option value="trips">Trips only</option>
        </select>
      </label>
      {field('Sources', 'sources', 'sources', 'site, string/3, battery/3/17')}
      {field('Rules', 'rules', 'rules', 'battery_temperature')}
      {field('Tier', 'tier')}
      {field('Quiet hours', 'quiet_hours', 'quiet_hours', '22:00-06:00')}
      {field('UTC offset (min)', 'utc_offset_min')}
      <button data-testid={`r${props.index}-remove`} onClick={props.onRemove}>
        Remove
      </button>
    </fieldset>
  );
}
