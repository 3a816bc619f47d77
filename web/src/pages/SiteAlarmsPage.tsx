import { useEffect, useState } from 'preact/hooks';
import { useDebounced } from './useDebounced';
import { Session, getJsonAt, roleReason, sendJson } from '../lib/api';
import { ActiveAlarm, alarmValues } from '../lib/events';
import { formatAge } from '../lib/live';
import { SiteAlarm, acknowledgeableGateways, scopedHref, siteSourceHref, siteTrippedStrings } from '../lib/site_route';
import { ActionForm, SeverityChip } from './AlarmsPage';

type Alarm = ActiveAlarm & SiteAlarm;

/** Refetch also without stream news (a stream that cannot be opened, e.g. with a token only). */
const ALARMS_REFRESH_MS = 5_000;
const time = (ms: number) => new Date(ms).toLocaleString();

/**
 * One alarm list for the site: every gateway's alarms with the gateway they belong to, and the
 * site's own (a gateway offline). An acknowledgement goes to the aggregator, which forwards it to
 * the owning gateway; that gateway records it under the aggregator's token with this user in
 * the comment.
 */
export function SiteAlarmsPage(props: { session?: Session; now: number; changeTick: number }) {
  const [pollTick, setPollTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setPollTick((n) => n + 1), ALARMS_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const tick = useDebounced(props.changeTick + pollTick, 300);
  const [refresh, setRefresh] = useState(0);
  const [answer, setAnswer] = useState<{ count: number; unacknowledged: number; alarms: Alarm[] } | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    getJsonAt('/api/v1/alarms').then(
      (a) => {
        setAnswer(a);
        setError(undefined);
      },
      (e) => setError(e.message ?? String(e)),
    );
  }, [tick, refresh]);
  const operatorReason = roleReason(props.session, 'operator');
  const acknowledge = async (body: { key?: string; source?: string; comment: string }) => {
    const a = await sendJson('POST', '/api/v1/alarms/acknowledge', props.session, body);
    setRefresh((r) => r + 1);
    // Several gateways answer each for itself.
    if (Array.isArray(a.results)) return a.results.map((r: any) => `${r.gateway}: ${r.answer?.message ?? r.answer?.error ?? `HTTP ${r.status}`}`).join('; ');
    return a.message ?? 'done';
  };
  const reset = async (gateway: string, string: number, reason: string) => {
    const a = await sendJson('POST', `/api/v1/gateways/${gateway}/strings/${string}/reset`, props.session, { reason });
    setRefresh((r) => r + 1);
    return a.message ?? 'done';
  };
  const alarms = answer?.alarms ?? [];
  const gateways = acknowledgeableGateways(alarms);
  const tripped = siteTrippedStrings(alarms);
  return (
    <section>
      <h1>Site alarms</h1>
      <h2>Active {answer && <small class="muted">({answer.count} active, {answer.unacknowledged} unacknowledged)</small>}</h2>
      {error && <p class="value-invalid">Site alarms: {error}</p>}
      {operatorReason && (
        <p class="muted">
          Acknowledging: {operatorReason} (an operator token of the aggregator: <a href="#/token">use a token</a>).
        </p>
      )}
      {answer && alarms.length === 0 && <p data-testid="no-alarms">No active alarms on any gateway.</p>}
      {alarms.length > 0 && (
        <table class="grid alarms" data-testid="site-alarms">
          <thead>
            <tr>
              <th>Gateway</th>
              <th>Severity</th>
              <th>Source</th>
              <th>Since</th>
              <th>Alarm</th>
              <th>Values</th>
              <th>Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {alarms.map((a) => {
              const href = siteSourceHref(a.source);
              return (
                <tr key={a.key} class={`sev-row-${a.severity} ${a.stale ? 'value-stale' : ''}`} data-testid={`site-alarm-${a.key}`}>
                  <td data-testid="alarm-gateway">
                    <a href={`#/gw/${a.gateway}/`}>{a.gateway}</a>
                  </td>
                  <td>
                    <SeverityChip severity={a.severity} />
                  </td>
                  <td>{href ? <a href={href}>{a.source}</a> : a.source}</td>
                  <td title={time(a.since_ms)}>{formatAge(a.since_ms, props.now)}</td>
                  <td>
                    <span data-testid="alarm-text">{a.text}</span>
                    {a.stale && <small class="muted"> (last known: gateway {a.gateway} is not reached now)</small>}
                    {a.waiting_for_ack && <small class="muted"> (condition gone, waiting for acknowledgement)</small>}
                  </td>
                  <td>
                    {a.site
                      ? ''
                      : alarmValues(a).map((v) => (
                          <div>
                            <span class="muted">{v.label}</span> {v.text}
                          </div>
                        ))}
                  </td>
                  <td>
                    {a.site ? (
                      <span class="muted">clears when the gateway is back</span>
                    ) : a.acknowledged ? (
                      <span title={time(a.acknowledged_ms)}>by {a.acknowledged_by || '?'}</span>
                    ) : (
                      <ActionForm
                        label="Acknowledge"
                        placeholder="comment (optional)"
                        required={false}
                        disabledReason={operatorReason ?? (a.stale ? `gateway ${a.gateway} is not reached now` : undefined)}
                        testid="ack"
                        run={(comment) => acknowledge({ key: a.key, comment })}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {gateways.length > 0 && (
        <p class="actions">
          {gateways.map((g) => (
            <ActionForm
              key={g}
              label={`Acknowledge all of ${g}`}
              placeholder="comment (optional)"
              required={false}
              disabledReason={operatorReason}
              testid={`ack-gateway-${g}`}
              run={(comment) => acknowledge({ source: g, comment })}
            />
          ))}
        </p>
      )}
      {tripped.length > 0 && (
        <div class="tripped">
          <h3>Tripped strings</h3>
          {tripped.map((t) => (
            <p key={`${t.gateway}/${t.string}`}>
              <a href={scopedHref(t.gateway, `#/string/${t.string}`)}>
                {t.gateway} string {t.string}
              </a>
              : the protection opened it. The gateway refuses the reset while the cause persists or its trip alarm waits for an acknowledgement.{' '}
              <ActionForm
                label={`Reset and reconnect ${t.gateway} string ${t.string}`}
                placeholder="reason (required), e.g. cell 7 replaced"
                required
                disabledReason={operatorReason}
                testid={`reset-${t.gateway}-${t.string}`}
                run={(reason) => reset(t.gateway, t.string, reason)}
              />
            </p>
          ))}
        </div>
      )}
      <p class="muted">
        Alarm history and the notification log are each gateway's (its own web UI); a string opened by hand is reset from its string page (open the gateway by its name above).
      </p>
    </section>
  );
}
