import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useDebounced } from './useDebounced';
import { ApiError, Session, getJson, roleReason, sendJson } from '../lib/api';
import {
  ActiveAlarm,
  EVENT_KINDS,
  EventFilter,
  LogEvent,
  SEVERITIES,
  Severity,
  consequences,
  eventsUrl,
  filterEvents,
  sourceHref,
  stringOfSource,
  trippedStrings,
} from '../lib/events';
import { alarmValues } from '../lib/events';
import { formatAge } from '../lib/live';
import { PresetKey, TimeRange, presetRange } from '../lib/ranges';
import { RangePicker } from './RangePicker';
import { serverNow } from '../lib/clock';
import { alarmsStamp } from '../lib/notifications';
import { NotificationLog } from './NotificationLog';

const time = (ms: number) => new Date(ms).toLocaleString();

function SourceLink(props: { source: string }) {
  const href = sourceHref(props.source);
  return href ? <a href={href}>{props.source}</a> : <span>{props.source || 'site'}</span>;
}

export function SeverityChip(props: { severity: string }) {
  return <span class={`sev sev-${props.severity}`}>{props.severity}</span>;
}

/** Acknowledge / reset controls ask for their text inline; the answer or the refusal is shown. */
export function ActionForm(props: { label: string; placeholder: string; required: boolean; disabledReason?: string; testid: string; run: (text: string) => Promise<string> }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  if (props.disabledReason)
    return (
      <button disabled title={props.disabledReason} data-testid={props.testid}>
        {props.label}
      </button>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      setResult({ ok: true, text: await props.run(text) });
      setOpen(false);
      setText('');
    } catch (err) {
      setResult({ ok: false, text: err instanceof ApiError ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      {open ? (
        <form onSubmit={submit} class="inline-form">
          <input
            value={text}
            placeholder={props.placeholder}
            maxLength={500}
            required={props.required}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            data-testid={`${props.testid}-text`}
          />
          <button type="submit" disabled={busy} data-testid={`${props.testid}-confirm`}>
            {props.label}
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button onClick={() => setOpen(true)} data-testid={props.testid}>
          {props.label}
        </button>
      )}
      {result && <small class={result.ok ? 'ok-text' : 'value-invalid'}> {result.text}</small>}
    </span>
  );
}

export interface AlarmsAnswer {
  time_ms: number;
  count: number;
  unacknowledged: number;
  alarms: ActiveAlarm[];
}

/** Active alarms (refreshed when the stream says something changed), actions, and history. */
/** Refetch also without stream events (a gateway or proxy that does not forward them). */
const ALARMS_REFRESH_MS = 15_000;

export function AlarmsPage(props: { session?: Session; now: number; changeTick: number; openStrings?: number[] }) {
  const [pollTick, setPollTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setPollTick((n) => n + 1), ALARMS_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const changeTick = useDebounced(props.changeTick + pollTick, 300);
  const [active, setActive] = useState<AlarmsAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [refresh, setRefresh] = useState(0);
  useEffect(() => {
    getJson('/api/v1/alarms').then(
      (a) => {
        setActive(a);
        setError(undefined);
      },
      (e) => setError(e.message ?? String(e)),
    );
  }, [changeTick, refresh]);
  const operatorReason = roleReason(props.session, 'operator');
  const after = async (p: Promise<any>) => {
    const answer = await p;
    setRefresh((r) => r + 1);
    return answer.message ?? 'done';
  };
  const alarms = active?.alarms ?? [];
  // Strings to offer a reset for: a trip among the alarms, or a disconnect relay reported open.
  const resettable = [...new Set([...trippedStrings(alarms), ...(props.openStrings ?? [])])].sort((a, b) => a - b);
  const stringsWithUnacked = [...new Set(alarms.filter((a) => !a.acknowledged).map((a) => stringOfSource(a.source)).filter((s): s is number => s !== undefined))].sort((a, b) => a - b);
  return (
    <section>
      <h1>Alarms</h1>
      <h2>
        Active {active && <small class="muted">({active.count} active, {active.unacknowledged} unacknowledged)</small>}
      </h2>
      {error && <p class="value-invalid">Active alarms: {error}</p>}
      {operatorReason && <p class="muted">Acknowledging and resetting: {operatorReason}.</p>}
      {active && alarms.length === 0 && <p data-testid="no-alarms">No active alarms.</p>}
      {alarms.length > 0 && (
        <table class="grid alarms" data-testid="active-alarms">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Source</th>
              <th>Since</th>
              <th>Alarm</th>
              <th>Values</th>
              <th>Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {alarms.map((a) => (
              // Keyed: the list reorders as alarms come and go, an open comment form stays with its alarm.
              <tr key={a.key} class={`sev-row-${a.severity}`} data-testid={`alarm-${a.key}`}>
                <td><SeverityChip severity={a.severity} /></td>
                <td><SourceLink source={a.source} /></td>
                <td title={time(a.since_ms)}>{formatAge(a.since_ms, props.now)}</td>
                <td>
                  <span data-testid="alarm-text">{a.text}</span>
                  {a.waiting_for_ack && <small class="muted"> (condition gone, waiting for acknowledgement)</small>}
                  <br />
                  <small class="muted alarm-key" data-testid="alarm-key">key {a.key}</small>
                </td>
                <td data-testid="alarm-values">
                  {alarmValues(a).map((v) => (
                    <div>
                      <span class="muted">{v.label}</span> {v.text}
                    </div>
                  ))}
                </td>
                <td>
                  {a.acknowledged ? (
                    <span title={time(a.acknowledged_ms)}>by {a.acknowledged_by || '?'}</span>
                  ) : (
                    <ActionForm
                      label="Acknowledge"
                      placeholder="comment (optional)"
                      required={false}
                      disabledReason={operatorReason}
                      testid="ack"
                      run={(comment) => after(sendJson('POST', '/api/v1/alarms/acknowledge', props.session, { key: a.key, comment }))}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {alarms.some((a) => !a.acknowledged) && (
        <p class="actions">
          <ActionForm
            label="Acknowledge all (site)"
            placeholder="comment (optional)"
            required={false}
            disabledReason={operatorReason}
            testid="ack-site"
            run={(comment) => after(sendJson('POST', '/api/v1/alarms/acknowledge', props.session, { source: '', comment }))}
          />
        </p>
      )}
      {stringsWithUnacked.length > 0 && (
        <p class="actions">
          {stringsWithUnacked.map((s) => (
            <ActionForm
              key={s}
              label={`Acknowledge all of string ${s}`}
              placeholder="comment (optional)"
              required={false}
              disabledReason={operatorReason}
              testid={`ack-string-${s}`}
              run={(comment) => after(sendJson('POST', '/api/v1/alarms/acknowledge', props.session, { source: `string/${s}`, comment }))}
            />
          ))}
        </p>
      )}
      {resettable.length > 0 && (
        <div class="tripped">
          <h3>Tripped or open strings</h3>
          {resettable.map((s) => (
            <p key={s}>
              String {s}: {trippedStrings(alarms).includes(s) ? 'the protection opened it' : 'its disconnect relay is open'}.{' '}
              <ActionForm
                label={`Reset and reconnect string ${s}`}
                placeholder="reason (required), e.g. cell 7 replaced"
                required
                disabledReason={operatorReason}
                testid={`reset-string-${s}`}
                run={(reason) => after(sendJson('POST', `/api/v1/strings/${s}/reset`, props.session, { reason }))}
              />
            </p>
          ))}
        </div>
      )}
      <NotificationLog alarmsStamp={alarmsStamp(active?.alarms)} />
      <AlarmHistory now={props.now} changeTick={props.changeTick + pollTick} />
    </section>
  );
}

/** The event log with filters; each raised alarm unfolds into what followed it. */
function AlarmHistory(props: { now: number; changeTick: number }) {
  const changeTick = useDebounced(props.changeTick, 300);
  const [range, setRange] = useState<TimeRange>(() => presetRange('24h', serverNow()));
  const [preset, setPreset] = useState<PresetKey | undefined>('24h');
  const [filter, setFilter] = useState<EventFilter>({ severities: [], sourcePrefix: '', kinds: [] });
  const [events, setEvents] = useState<LogEvent[]>([]);
  const [limitReached, setLimitReached] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [open, setOpen] = useState<number | undefined>();
  useEffect(() => {
    // A preset follows "now" so new events appear; a custom range stays where it was put.
    const r = preset ? presetRange(preset, serverNow()) : range;
    getJson(eventsUrl(r.from_ms, r.to_ms + (preset ? 60_000 : 0))).then(
      (a) => {
        setEvents(a.events);
        setLimitReached(a.limit_reached);
        setError(undefined);
      },
      (e) => setError(e.message ?? String(e)),
    );
  }, [range, preset, changeTick]);
  const toggle = <T,>(list: T[], x: T) => (list.includes(x) ? list.filter((y) => y !== x) : [...list, x]);
  const shown = filterEvents(events, filter).slice().reverse();
  return (
    <section class="alarm-history">
      <h2>History</h2>
      <RangePicker range={range} now={props.now} preset={preset} onChange={(r, p) => { setPreset(p); setRange(r); }} />
      <div class="filters">
        <span>
          Severity:{' '}
          {SEVERITIES.map((s: Severity) => (
            <label>
              <input type="checkbox" checked={filter.severities.includes(s)} onChange={() => setFilter({ ...filter, severities: toggle(filter.severities, s) })} /> {s}
            </label>
          ))}
        </span>
        <label>
          Source{' '}
          <input
            placeholder="string/1, battery/1/7…"
            value={filter.sourcePrefix}
            data-testid="filter-source"
            onInput={(e) => setFilter({ ...filter, sourcePrefix: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          Kind{' '}
          <select
            data-testid="filter-kind"
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              setFilter({ ...filter, kinds: v ? [v] : [] });
            }}
          >
            <option value="">all</option>
            {EVENT_KINDS.map((k) => (
              <option value={k}>{k}</option>
            ))}
          </select>
        </label>
      </div>
      {error && <p class="value-invalid">Events: {error}</p>}
      {limitReached && <p class="muted">Only the newest 1000 events of the range are shown: narrow the range for older ones.</p>}
      <table class="grid events" data-testid="event-history">
        <thead>
          <tr>
            <th>Time</th>
            <th>Kind</th>
            <th>Severity</th>
            <th>Source</th>
            <th>Text</th>
            <th>User</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((e) => {
            const did = e.kind === 'alarm_raised' && open === e.id ? consequences(e, events) : undefined;
            return (
              <Fragment key={e.id}>
                <tr class={`sev-row-${e.severity}`}>
                  <td>{time(e.time_ms)}</td>
                  <td>
                    {e.kind === 'alarm_raised' ? (
                      <button class="link-button" onClick={() => setOpen(open === e.id ? undefined : e.id)} title="what this alarm did">
                        {open === e.id ? '▾' : '▸'} {e.kind}
                      </button>
                    ) : (
                      e.kind
                    )}
                  </td>
                  <td><SeverityChip severity={e.severity} /></td>
                  <td><SourceLink source={e.source} /></td>
                  <td>{e.text}</td>
                  <td>{e.user}</td>
                </tr>
                {did && (
                  <tr class="consequences">
                    <td colSpan={6}>
                      {did.length === 0
                        ? 'Nothing followed it within 30 min (no trip, clear or acknowledgement in this range).'
                        : did.map((c) => (
                            <div>
                              +{Math.round((c.time_ms - e.time_ms) / 1000)} s: <SeverityChip severity={c.severity} /> {c.kind} {c.source} — {c.text}
                              {c.user && ` (${c.user})`}
                            </div>
                          ))}
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      {shown.length === 0 && <p class="muted">No events match.</p>}
    </section>
  );
}
