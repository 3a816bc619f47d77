import { sendJson, roleReason, Session } from '../lib/api';
import { ActiveAlarm, alarmValues } from '../lib/events';
import { ActionForm } from './AlarmsPage';

/** The active alarms of one battery, with their values labelled and acknowledge with a comment. */
export function BatteryAlarms(props: { source: string; alarms?: ActiveAlarm[]; session?: Session }) {
  const mine = (props.alarms ?? []).filter((a) => a.source === props.source);
  if (props.alarms === undefined) return null;
  if (!mine.length) return <p class="muted" data-testid="battery-alarms">No active alarms on this battery.</p>;
  const denied = roleReason(props.session, 'operator');
  return (
    <ul class="battery-alarms" data-testid="battery-alarms">
      {mine.map((a) => (
        <li key={a.key} data-key={a.key}>
          <span class={`sev sev-${a.severity}`}>{a.severity}</span> {a.text}{' '}
          {alarmValues(a).map((v) => (
            <small>
              <span class="muted">{v.label}</span> {v.text}{' '}
            </small>
          ))}
          {a.acknowledged ? (
            <small class="muted">acknowledged by {a.acknowledged_by || '?'}</small>
          ) : (
            <ActionForm
              label="Acknowledge"
              placeholder="comment, e.g. what you checked"
              required={false}
              disabledReason={denied}
              testid={`battery-ack`}
              run={async (comment) => (await sendJson('POST', '/api/v1/alarms/acknowledge', props.session, { key: a.key, comment })).message ?? 'done'}
            />
          )}
        </li>
      ))}
    </ul>
  );
}
