import { useState } from 'preact/hooks';
import { roleReason, sendJson, Session } from '../lib/api';
import { LiveStore } from '../lib/live';

/**
 * Opens a closed string for maintenance (its contactor opens, the engine holds it open until an
 * operator resets it): a reason is required and the consequence is confirmed first, since the
 * UPS then runs without this string's batteries. Shown only while the string is closed; the
 * open-string banner takes over after that.
 */
export function OpenForMaintenance(props: { stringId: number; store: LiveStore; session?: Session }) {
  const { stringId, store } = props;
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const closed = store.get(`string/${stringId}/relay_closed`)?.value === 1 && (store.get(`string/${stringId}/protection`)?.value ?? 0) === 0;
  if (!closed && !message) return null;
  const denied = roleReason(props.session, 'operator');
  const open = async () => {
    try {
      const r = await sendJson('POST', `/api/v1/strings/${stringId}/open`, props.session, { reason: `maintenance: ${reason.trim()}` });
      setMessage({ ok: true, text: r.message ?? 'string opened' });
      setReason('');
    } catch (e: any) {
      setMessage({ ok: false, text: e.body?.error ?? String(e.message ?? e) });
    }
    setConfirming(false);
  };
  return (
    <section class="open-maintenance" data-testid="open-maintenance">
      {closed && !confirming && (
        <span class="inline-form">
          <input placeholder="reason (work to be done)" value={reason} maxLength={400} onInput={(e) => setReason((e.target as HTMLInputElement).value)} data-testid="open-maintenance-reason" />
          <button disabled={!!denied || !reason.trim()} title={denied ?? (reason.trim() ? undefined : 'give the reason first')} onClick={() => setConfirming(true)} data-testid="open-maintenance-button">
            Open string {stringId} for maintenance…
          </button>
        </span>
      )}
      {closed && confirming && (
        <div class="confirm" role="alertdialog" data-testid="open-maintenance-confirm">
          <p>
            Open string {stringId}? Its contactor opens and the UPS runs without this string's batteries (less backup time) until an operator resets it after the work.
          </p>
          <button onClick={open} data-testid="open-maintenance-yes">
            Open string {stringId}
          </button>{' '}
          <button onClick={() => setConfirming(false)}>Back</button>
        </div>
      )}
      {message && (
        <p class={message.ok ? 'ok' : 'value-invalid'} role="status" data-testid="open-maintenance-message">
          {message.text}
        </p>
      )}
    </section>
  );
}
