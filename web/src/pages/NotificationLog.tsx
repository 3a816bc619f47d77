import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../lib/api';
import { DELIVERIES_URL, NOT_CONFIGURED_HINT, NotificationsState, countsText, resultLabel, stateFromAnswer, stateFromError } from '../lib/notifications';

const time = (ms: number) => new Date(ms).toLocaleString();

/**
 * The notifier's delivery log on the alarms page (newest 200 tries). Fetched again when the
 * page's alarm list changes (`alarmsStamp`) or on "Refresh"; no timer of its own. A gateway
 * without [notify] gets one quiet line.
 */
export function NotificationLog(props: { alarmsStamp: string }) {
  const [state, setState] = useState<NotificationsState>({ kind: 'loading' });
  const [refresh, setRefresh] = useState(0);
  useEffect(() => {
    let gone = false;
    getJson(DELIVERIES_URL).then(
      (a) => !gone && setState(stateFromAnswer(a)),
      (e) => !gone && setState(stateFromError(e)),
    );
    return () => {
      gone = true;
    };
  }, [props.alarmsStamp, refresh]);

  if (state.kind === 'not-configured')
    return (
      <section class="notifications">
        <h2>Notifications</h2>
        <p class="muted" data-testid="notifications-not-configured">{NOT_CONFIGURED_HINT}</p>
      </section>
    );
  const answer = state.kind === 'ok' ? state.answer : undefined;
  return (
    <section class="notifications" data-testid="notifications">
      <h2>
        Notifications{' '}
        {answer && (
          <small class="muted" data-testid="notification-counts">
            ({countsText(answer.counts)})
          </small>
        )}{' '}
        <button class="link-button" onClick={() => setRefresh((n) => n + 1)} title="messages go out after the grouping wait: fetch the log again">
          Refresh
        </button>
      </h2>
      {state.kind === 'loading' && <p class="muted">Loading the delivery log…</p>}
      {state.kind === 'error' && <p class="value-invalid" data-testid="notifications-error">Delivery log: {state.message}</p>}
      {answer && answer.deliveries.length === 0 && <p class="muted">Nothing sent yet.</p>}
      {answer && answer.deliveries.length > 0 && (
        <table class="grid deliveries" data-testid="deliveries">
          <thead>
            <tr>
              <th>Time</th>
              <th>Recipient</th>
              <th>Channel</th>
              <th>Group</th>
              <th>Reason</th>
              <th>Subject</th>
              <th>Result</th>
              <th>Try</th>
            </tr>
          </thead>
          <tbody>
            {answer.deliveries.map((d) => {
              const label = resultLabel(d);
              return (
                <tr key={d.id} class={d.result === 'failed' ? 'delivery-failed' : ''} data-testid={`delivery-${d.id}`}>
                  <td>{time(d.time_ms)}</td>
                  <td>{d.recipient}</td>
                  <td>{d.channel}</td>
                  <td>{d.group}</td>
                  <td>{d.reason}</td>
                  <td>{d.subject}</td>
                  <td data-testid="delivery-result">
                    <span class={label.cls}>{label.text}</span>
                    {d.detail && (d.result === 'failed' ? <div class="value-invalid">{d.detail}</div> : <div class="muted"><small>{d.detail}</small></div>)}
                  </td>
                  <td>{d.attempt}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
