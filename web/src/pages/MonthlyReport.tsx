import { useEffect, useState } from 'preact/hooks';
import { Session, Topology, getJson } from '../lib/api';
import { AttentionAnswer, LABEL, tone } from '../lib/attention';
import { LogEvent, sourceHref } from '../lib/events';
import { HistoryAnswer, historyUrl } from '../lib/history';
import {
  AlarmLine,
  BatteryMonth,
  Month,
  alarmLines,
  batteryMonths,
  countByKind,
  dischargeLines,
  formatMonth,
  hourlyPoints,
  joinEventPage,
  monthLabel,
  monthOf,
  monthRange,
  parseMonth,
  resistanceChannels,
  shiftMonth,
  stringEvents,
} from '../lib/monthly';
import { Discharge } from '../lib/playback';
import { TimeRange } from '../lib/ranges';
import { endVoltages } from '../lib/report';
import { serverNow } from '../lib/clock';
import { HistoryPlot } from './Plot';

/** The API's limit of channels per history request (docs/api.md). */
const MAX_CHANNELS = 32;
/** Events per request, the API's maximum: a month of a busy string is a few pages at most. */
const EVENTS_PAGE = 10_000;
/** Pages asked before the list is declared incomplete (a runaway log must not hang the page). */
const MAX_EVENT_PAGES = 20;

/** What a request gave: its answer, or why not (shown, never replaced by an empty answer). */
type Fetched<T> = { value?: T; error?: string };

const errorText = (e: any) => String(e?.message ?? e);
const time = (ms: number) => new Date(ms).toLocaleString();
const mOhm = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '—');
const signedPct = (v: number | null | undefined, digits = 1) =>
  typeof v === 'number' && Number.isFinite(v) ? `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(digits)} %` : '—';

/**
 * Every channel's hourly buckets over the month, in as many requests as the API's channel
 * limit needs, joined into one answer (series in the order asked).
 */
async function monthHistory(channels: string[], range: TimeRange, points: number): Promise<HistoryAnswer> {
  const chunks: string[][] = [];
  for (let i = 0; i < channels.length; i += MAX_CHANNELS) chunks.push(channels.slice(i, i + MAX_CHANNELS));
  const answers: HistoryAnswer[] = await Promise.all(chunks.map((c) => getJson(historyUrl(c, range, points))));
  if (answers.length === 0) return { tier: 'hour', bucket_ms: 0, from_ms: range.from_ms, to_ms: range.to_ms, points, series: [] };
  return { ...answers[0], series: answers.flatMap((a) => a.series) };
}

/** The month's events of the whole site, every page of them (the API answers the newest first). */
async function monthEvents(range: TimeRange): Promise<{ events: LogEvent[]; complete: boolean }> {
  let events: LogEvent[] = [];
  let to = range.to_ms;
  for (let page = 0; page < MAX_EVENT_PAGES; page++) {
    const answer = await getJson(`/api/v1/events?from=${Math.round(range.from_ms)}&to=${Math.round(to)}&limit=${EVENTS_PAGE}`);
    const joined = joinEventPage(events, answer, range.from_ms);
    events = joined.events;
    const fullPageWithoutNews = answer.limit_reached && joined.nextTo_ms === undefined;
    if (joined.nextTo_ms === undefined) return { events, complete: !fullPageWithoutNews };
    to = joined.nextTo_ms;
  }
  return { events, complete: false };
}

/** Runs `load` for the month and keeps its answer or its error; re-runs when `key` changes. */
function useFetched<T>(key: string, load: () => Promise<T>): Fetched<T> | undefined {
  const [state, setState] = useState<{ key: string; fetched: Fetched<T> } | undefined>();
  useEffect(() => {
    let cancelled = false;
    load().then(
      (value) => !cancelled && setState({ key, fetched: { value } }),
      (e) => !cancelled && setState({ key, fetched: { error: errorText(e) } }),
    );
    return () => {
      cancelled = true;
    };
  }, [key]);
  return state?.key === key ? state.fetched : undefined;
}

/** The month picker: previous / next and a month field; each opens that month's report. */
function MonthPicker(props: { stringId: number; month?: Month; now: number }) {
  const go = (m: Month) => (location.hash = `#/string/${props.stringId}/report/${formatMonth(m)}`);
  const shown = props.month ?? monthOf(props.now);
  return (
    <p class="no-print month-picker">
      <a href={`#/string/${props.stringId}`}>‹ string</a> ·{' '}
      <button onClick={() => go(shiftMonth(shown, -1))} data-testid="month-previous">
        ‹ previous month
      </button>{' '}
      <input
        type="month"
        value={props.month ? formatMonth(props.month) : ''}
        data-testid="month-picker"
        onChange={(e) => {
          const m = parseMonth((e.target as HTMLInputElement).value);
          if (m) go(m);
        }}
      />{' '}
      <button onClick={() => go(shiftMonth(shown, 1))} data-testid="month-next">
        next month ›
      </button>{' '}
      · <button onClick={() => print()} data-testid="print-report">Print / save as PDF</button>
    </p>
  );
}

/**
 * A string's month as a report a facility manager signs: every battery's internal resistance
 * over the month (plot and table, worst first, with the gateway's recommendation), the alarms
 * and who acknowledged them, and the discharges. Printable as A4 (style.css, "Reports").
 */
export function MonthlyReport(props: { topology: Topology; string: number; month: string; session?: Session }) {
  const s = props.topology.strings.find((x) => x.id === props.string);
  const month = parseMonth(props.month);
  const now = serverNow();
  if (!s) return <p class="value-invalid">No string {props.string} on this gateway.</p>;
  if (!month)
    return (
      <section class="report monthly">
        <MonthPicker stringId={s.id} now={now} />
        <p class="value-invalid" data-testid="monthly-invalid-month">
          “{props.month}” is not a month: the address ends in the month as YYYY-MM, e.g. {formatMonth(monthOf(now))}. Pick one above.
        </p>
      </section>
    );
  // Keyed: another month or string is a new report (its own "generated" time, no old rows).
  return <MonthlyReportOf key={`${s.id}|${formatMonth(month)}`} topology={props.topology} stringId={s.id} month={month} session={props.session} now={now} />;
}

function MonthlyReportOf(props: { topology: Topology; stringId: number; month: Month; session?: Session; now: number }) {
  const s = props.topology.strings.find((x) => x.id === props.stringId)!;
  const ups = props.topology.upses.find((u) => u.id === s.ups);
  const range = monthRange(props.month);
  const points = hourlyPoints(range);
  const key = `${s.id}|${formatMonth(props.month)}`;
  const notBegun = range.from_ms > props.now;
  const inProgress = !notBegun && props.now < range.to_ms;
  const resistance = useFetched(key, () => monthHistory(resistanceChannels(s.id, s.batteries), range, points));
  // Asked apart from the resistances: a gateway that does not store the baseline channel
  // refuses the request, which then costs the baseline columns only (and says so).
  const baseline = useFetched(key, () => monthHistory(resistanceChannels(s.id, s.batteries, 'resistance_baseline'), range, points));
  const attention = useFetched<AttentionAnswer>(key, () => getJson(`/api/v1/attention?string=${s.id}`));
  const events = useFetched(key, () => monthEvents(range));
  const discharges = useFetched<Discharge[]>(key, () =>
    getJson(`/api/v1/discharges?string=${s.id}&from=${range.from_ms}&to=${range.to_ms}&limit=1000`).then((a) =>
      // Discharges that began in the month (one running over midnight of the 1st is last month's).
      (a.discharges as Discharge[]).filter((d) => d.string_id === s.id && d.start_ms >= range.from_ms && d.start_ms < range.to_ms),
    ),
  );
  const config = useFetched(key, () => getJson('/api/v1/config').then((c) => c.config ?? c));
  const [generated] = useState(() => serverNow());

  const rows = resistance?.value ? batteryMonths(s.id, s.batteries, resistance.value.series, baseline?.value?.series, attention?.value?.batteries) : undefined;
  const withData = rows?.filter((r) => r.figures !== null).length ?? 0;
  const label = monthLabel(props.month);
  return (
    <section class="report monthly" data-testid="monthly-report">
      <MonthPicker stringId={s.id} month={props.month} now={props.now} />
      <h1>Monthly string report</h1>
      <dl class="report-head">
        <dt>Site</dt>
        <dd data-testid="report-site">{props.topology.name}</dd>
        <dt>UPS</dt>
        <dd data-testid="report-ups">{ups?.name ?? `UPS ${s.ups}`}</dd>
        <dt>String</dt>
        <dd data-testid="report-string">
          {s.name} ({s.batteries} batteries)
        </dd>
        <dt>Month</dt>
        <dd data-testid="report-month" data-month={formatMonth(props.month)} data-from-ms={range.from_ms} data-to-ms={range.to_ms} data-points={points}>
          {label} ({formatMonth(props.month)}): {time(range.from_ms)} – {time(range.to_ms)}
          {inProgress ? ', in progress: figures up to now' : ''}
        </dd>
        <dt>Generated</dt>
        <dd data-testid="report-generated">
          {time(generated)} by {props.session?.authenticated ? props.session.user : 'nobody logged in'}
        </dd>
      </dl>
      {notBegun && (
        <p class="value-invalid" data-testid="monthly-not-begun">
          {label} has not begun: there is no data for this month yet.
        </p>
      )}

      <h2>Internal resistance</h2>
      {resistance === undefined ? (
        <p class="muted">Loading the month's resistance history…</p>
      ) : resistance.error ? (
        <p class="value-invalid" data-testid="monthly-resistance-error">
          Resistance history could not be read: {resistance.error}
        </p>
      ) : withData === 0 ? (
        <p class="value-invalid" data-testid="monthly-no-data">
          No data for this month: no battery of {s.name} has a stored resistance reading in {label}.
        </p>
      ) : (
        <div class="monthly-plot">
          {/* A mid grey reads on the dark panel and on paper: the canvas keeps the colour it was drawn with when printed. */}
          <HistoryPlot loaded={{ answer: resistance.value, loading: false }} testid="monthly-resistance-plot" band={false} height={240} axisColour="#808080" />
        </div>
      )}
      {baseline?.error && (
        <p class="value-invalid" data-testid="monthly-baseline-error">
          Learned baselines could not be read, so the baseline columns are empty: {baseline.error}
        </p>
      )}
      {attention?.error && (
        <p class="value-invalid" data-testid="monthly-attention-error">
          Recommendations could not be read: {attention.error}
        </p>
      )}
      {rows && withData > 0 && <ResistanceTable rows={rows} stringId={s.id} inProgress={inProgress} baselineRead={baseline?.value !== undefined} />}

      <h2>Alarms</h2>
      <AlarmsOfMonth fetched={events} stringId={s.id} label={label} />

      <h2>Discharges</h2>
      <DischargesOfMonth fetched={discharges} config={config} string={s} label={label} />

      <p class="signature">
        Reviewed and signed: ______________________________ Name: ______________________ Date: ____________
      </p>
    </section>
  );
}

function ResistanceTable(props: { rows: BatteryMonth[]; stringId: number; inProgress: boolean; baselineRead: boolean }) {
  return (
    <>
      <p class="muted">
        Hourly means of each battery's internal resistance: its first and {props.inProgress ? 'latest' : 'last'} hour in the month, the change
        between them, and the least-squares slope per 30 days as % of its learned baseline (* of its start value when none is learned; none from under a
        day of data). Baseline: the one learned by the end of the month. Recommendation: the gateway's judgement now (attention page). Worst first.
      </p>
      <table class="grid monthly-batteries" data-testid="monthly-batteries">
        <thead>
          <tr>
            <th>Battery</th>
            <th>Start (mΩ)</th>
            <th>{props.inProgress ? 'Latest' : 'End'} (mΩ)</th>
            <th>Change</th>
            <th>Slope (%/month)</th>
            <th>Baseline (mΩ)</th>
            <th>Over baseline</th>
            <th>Recommendation now</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => {
            const f = r.figures;
            return (
              <tr data-testid="monthly-battery" data-battery={r.battery} data-end-mohm={f?.end_mOhm ?? ''} data-start-mohm={f?.start_mOhm ?? ''}>
                <td>
                  <a href={`#/battery/${props.stringId}/${r.position}`}>
                    {props.stringId}/{r.position}
                  </a>
                </td>
                {f ? (
                  <>
                    <td data-testid="start">{mOhm(f.start_mOhm)}</td>
                    <td data-testid="end">{mOhm(f.end_mOhm)}</td>
                    <td>{signedPct(f.change_pct)}</td>
                    <td>
                      {signedPct(f.slope_pct_per_month)}
                      {f.slope_pct_per_month !== null && f.slope_reference === 'start' ? ' *' : ''}
                    </td>
                    {/* Unread (the error is said above the table) is not the same as not learned. */}
                    <td>{f.baseline_mOhm !== null ? mOhm(f.baseline_mOhm) : props.baselineRead ? 'not learned' : '—'}</td>
                    <td>{signedPct(f.over_baseline_pct)}</td>
                  </>
                ) : (
                  <td colSpan={6} class="muted">
                    no resistance reading in this month
                  </td>
                )}
                <td>
                  {r.attention ? (
                    <>
                      <span class={`state-chip tone-${tone(r.attention.recommendation)}`}>{LABEL[r.attention.recommendation]}</span>
                      <ul class="reasons">
                        {r.attention.reasons.map((x) => (
                          <li>{x}</li>
                        ))}
                      </ul>
                    </>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

const kindText = (kind: string) => kind.replace(/_/g, ' ');

function AlarmsOfMonth(props: { fetched?: Fetched<{ events: LogEvent[]; complete: boolean }>; stringId: number; label: string }) {
  const { fetched } = props;
  if (!fetched) return <p class="muted">Loading the month's events…</p>;
  if (fetched.error)
    return (
      <p class="value-invalid" data-testid="monthly-events-error">
        Events could not be read: {fetched.error}
      </p>
    );
  const events = stringEvents(fetched.value!.events, props.stringId);
  const counts = countByKind(events);
  const lines = alarmLines(events);
  return (
    <>
      {!fetched.value!.complete && (
        <p class="value-invalid" data-testid="monthly-events-incomplete">
          The event log holds more events in this month than could be read: the lists below may be incomplete.
        </p>
      )}
      {events.length === 0 ? (
        <p data-testid="monthly-no-events">No alarm or other event of this string or its batteries in {props.label}.</p>
      ) : (
        <table class="grid monthly-counts" data-testid="monthly-event-counts">
          <thead>
            <tr>
              <th>Events of the string and its batteries</th>
              <th>Count</th>
            </tr>
          </thead>
          <tbody>
            {counts.map((c) => (
              <tr data-kind={c.kind}>
                <td>{kindText(c.kind)}</td>
                <td>{c.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {lines.length > 0 && (
        <table class="grid monthly-alarms" data-testid="monthly-alarms">
          <thead>
            <tr>
              <th>Raised</th>
              <th>Severity</th>
              <th>Source</th>
              <th>Alarm</th>
              <th>Acknowledged</th>
              <th>Cleared</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l: AlarmLine) => {
              const href = sourceHref(l.raised.source);
              return (
                <tr data-testid="monthly-alarm" data-source={l.raised.source} data-rule={l.raised.rule}>
                  <td>{time(l.raised.time_ms)}</td>
                  <td>
                    <span class={`sev sev-${l.raised.severity}`}>{l.raised.severity}</span>
                  </td>
                  <td>{href ? <a href={href}>{l.raised.source}</a> : l.raised.source}</td>
                  <td>{l.raised.text}</td>
                  <td data-testid="acknowledged-by">
                    {l.acknowledged ? `by ${l.acknowledged.user || 'unknown'}, ${time(l.acknowledged.time_ms)}` : <span class="muted">not in this month</span>}
                  </td>
                  <td>{l.cleared_ms !== undefined ? time(l.cleared_ms) : <span class="muted">not in this month</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}

function DischargesOfMonth(props: {
  fetched?: Fetched<Discharge[]>;
  config?: Fetched<any>;
  string: { id: number; batteries: number; cells?: number };
  label: string;
}) {
  const { fetched } = props;
  if (!fetched || !props.config) return <p class="muted">Loading the month's discharges…</p>;
  if (fetched.error)
    return (
      <p class="value-invalid" data-testid="monthly-discharges-error">
        Discharges could not be read: {fetched.error}
      </p>
    );
  const end = endVoltages(props.config.value, props.string);
  const lines = dischargeLines(fetched.value!, end.string_V);
  if (lines.length === 0) return <p data-testid="monthly-no-discharges">No discharge of this string began in {props.label}.</p>;
  return (
    <>
      {props.config.error && (
        <p class="value-invalid">The configuration could not be read, so no discharge is judged full or partial: {props.config.error}</p>
      )}
      <table class="grid monthly-discharges" data-testid="monthly-discharges">
        <thead>
          <tr>
            <th>Began</th>
            <th>Kind</th>
            <th>Runtime against the prediction</th>
            <th>Lowest string voltage</th>
            <th>Report</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr data-testid="monthly-discharge" data-id={l.discharge.id} data-kind={l.kind}>
              <td>{time(l.discharge.start_ms)}</td>
              <td>{l.kind}</td>
              <td>{l.runtime}</td>
              <td>{typeof l.discharge.min_string_voltage_V === 'number' && l.discharge.min_string_voltage_V > 0 ? `${l.discharge.min_string_voltage_V.toFixed(1)} V` : '—'}</td>
              <td>
                <a href={`#/discharge/${encodeURIComponent(l.discharge.id)}/report`}>discharge report</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
