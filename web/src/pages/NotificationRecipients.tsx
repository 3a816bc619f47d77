import { useEffect, useState } from 'preact/hooks';
import { Session, getJson, roleReason, sendJson } from '../lib/api';
import { DELIVERIES_URL, NOT_CONFIGURED_HINT, NotificationsState, Recipient, TEST_URL, recipientSummary, stateFromAnswer, stateFromError, testAnswerText } from '../lib/notifications';

/**
 * The notification recipients of the site file's [notify] table, read only (viewer), each with
 * "Send test message" (admin). Secrets are never shown: the gateway only says whether one is set.
 */
export function NotificationRecipients(props: { session?: Session }) {
  const [state, setState] = useState<NotificationsState>({ kind: 'loading' });
  useEffect(() => {
    getJson(DELIVERIES_URL).then(
      (a) => setState(stateFromAnswer(a)),
      (e) => setState(stateFromError(e)),
    );
  }, []);
  const reason = roleReason(props.session, 'admin');
  return (
    <section class="notification-recipients" data-testid="notification-recipients">
      <h2>Notification recipients</h2>
      {state.kind === 'loading' && <p class="muted">Loading recipients…</p>}
      {state.kind === 'not-configured' && <p class="muted" data-testid="recipients-not-configured">{NOT_CONFIGURED_HINT}</p>}
      {state.kind === 'error' && <p class="value-invalid">Recipients: {state.message}</p>}
      {state.kind === 'ok' && (
        <>
          <p class="muted">From the site file's [notify] table (edit it there, docs/notifications.md).{reason && ` Test messages: ${reason}.`}</p>
          {state.answer.recipients.length === 0 && <p class="muted">No recipients.</p>}
          {state.answer.recipients.map((r) => (
            <RecipientCard key={r.name} recipient={r} session={props.session} reason={reason} />
          ))}
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
