import { useEffect, useMemo, useState } from 'preact/hooks';
import { useDebounced } from './useDebounced';
import { Topology, getJson } from '../lib/api';
import { HistoryAnswer, historyUrl } from '../lib/history';
import { ChannelValue } from '../lib/live';
import { Discharge, runtimeVersusPrediction, timeline, valuesAt, weakestPositions } from '../lib/playback';
import { BarChart } from './BarChart';
import { HistoryPlot, Loaded, useHistory } from './Plot';
import { serverNow } from '../lib/clock';

const time = (ms: number) => new Date(ms).toLocaleString();
// Values the gateway could not measure come as null (or 0 for "unknown").
const num = (v: number | null, digits: number, unit: string) => (typeof v === 'number' && Number.isFinite(v) && v !== 0 ? `${v.toFixed(digits)} ${unit}` : '—');

/** Recorded discharges of the last year, newest first, and the running ones. */
export function DischargesPage(props: { changeTick: number }) {
  const changeTick = useDebounced(props.changeTick, 1000);
  const [list, setList] = useState<Discharge[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    getJson('/api/v1/discharges').then(
      (a) => setList(a.discharges),
      (e) => setError(e.message ?? String(e)),
    );
  }, [changeTick]);
  return (
    <section>
      <h1>Discharges</h1>
      {error && <p class="value-invalid">Discharges: {error}</p>}
      {list && list.length === 0 && <p>No discharge recorded in the last 365 days.</p>}
      {list && list.length > 0 && (
        <table class="grid" data-testid="discharges">
          <thead>
            <tr>
              <th>String</th>
              <th>Start</th>
              <th>Duration</th>
              <th>Ah out</th>
              <th>Energy</th>
              <th>Min string voltage</th>
              <th>Weakest battery</th>
              <th>Runtime vs prediction</th>
              <th>Capacity test</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list
              .slice()
              .reverse()
              .map((d) => (
                <tr>
                  <td><a href={`#/string/${d.string_id}`}>String {d.string_id}</a></td>
                  <td>{time(d.start_ms)}</td>
                  <td>{d.running ? <strong>running</strong> : num(d.duration_min, 1, 'min')}</td>
                  <td>{num(d.ah_out, 1, 'Ah')}</td>
                  <td>{num(d.energy_out_kWh, 2, 'kWh')}</td>
                  <td>{num(d.min_string_voltage_V, 1, 'V')}</td>
                  <td>{d.weakest_position ? <a href={`#/battery/${d.string_id}/${d.weakest_position}`}>{d.string_id}/{d.weakest_position}</a> : '—'}</td>
                  <td>{runtimeVersusPrediction(d)}</td>
                  <td data-testid={`capacity-${d.id}`} title={d.capacity_test?.reason}>
                    {d.capacity_test?.result === 'pass' || d.capacity_test?.result === 'fail' ? `${d.capacity_test.result === 'pass' ? 'pass' : 'FAIL'} (${d.capacity_test.measured_pct} %)` : d.capacity_test ? 'no test' : '—'}
                  </td>
                  <td>
                    <a href={`#/discharge/${d.id}`} data-testid={`discharge-${d.id}`}>playback</a> ·{' '}
                    <a href={`/api/v1/discharges/${d.id}.csv`} download>CSV</a>
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const RUNNING_REFRESH_MS = 5_000;
const CHANNELS_PER_REQUEST = 32; // the API's limit per /api/v1/history request
const PLAYBACK_POINTS = 300;

/** Every battery's voltage over the discharge, fetched in groups of 32 channels. */
function useAllBatteryVoltages(stringId: number, batteries: number, from_ms: number, to_ms: number): Loaded {
  const [state, setState] = useState<Loaded>({ loading: true });
  useEffect(() => {
    if (!batteries || to_ms <= from_ms) return;
    const channels = Array.from({ length: batteries }, (_, k) => `battery/${stringId}/${k + 1}/voltage`);
    const groups: string[][] = [];
    for (let i = 0; i < channels.length; i += CHANNELS_PER_REQUEST) groups.push(channels.slice(i, i + CHANNELS_PER_REQUEST));
    let cancelled = false;
    Promise.all(groups.map((g) => getJson(historyUrl(g, { from_ms, to_ms }, PLAYBACK_POINTS)) as Promise<HistoryAnswer>)).then(
      (answers) => {
        if (cancelled) return;
        const merged: HistoryAnswer = { ...answers[0], series: answers.flatMap((a) => a.series) };
        setState({ answer: merged, loading: false, received_at: performance.now() });
      },
      (e) => !cancelled && setState({ loading: false, error: e.message ?? String(e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [stringId, batteries, from_ms, to_ms]);
  return state;
}

/** One discharge played back: curves, the bar chart at a moment chosen on a slider, weakest batteries. */
export function DischargePlayback(props: { id: string; topology: Topology }) {
  const [d, setD] = useState<Discharge | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [index, setIndex] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [refresh, setRefresh] = useState(0);
  useEffect(() => {
    getJson(`/api/v1/discharges/${encodeURIComponent(props.id)}`).then(setD, (e) => setError(e.message ?? String(e)));
  }, [props.id, refresh]);
  // A running discharge grows: its record and curves are fetched again until it ends.
  useEffect(() => {
    if (!d?.running) return;
    const timer = setTimeout(() => setRefresh((n) => n + 1), RUNNING_REFRESH_MS);
    return () => clearTimeout(timer);
  }, [d]);
  const batteries = props.topology.strings.find((s) => s.id === d?.string_id)?.batteries ?? d?.min_battery_voltage_V.length ?? 0;
  // The span of the discharge, and a running one up to now (fixed when the page opened).
  const span = useMemo(() => (d ? { from_ms: d.start_ms, to_ms: d.end_ms > d.start_ms ? d.end_ms : serverNow() } : { from_ms: 0, to_ms: 1 }), [d]);
  const weakest = d ? weakestPositions(d.min_battery_voltage_V, 5) : [];
  const stringCurves = useHistory(d ? [`string/${d.string_id}/voltage`, `string/${d.string_id}/current`] : [], span, 600);
  const weakCurves = useHistory(d ? weakest.map((p) => `battery/${d.string_id}/${p}/voltage`) : [], span, 600);
  const all = useAllBatteryVoltages(d?.string_id ?? 0, batteries, span.from_ms, span.to_ms);
  const moments = useMemo(() => (all.answer ? timeline(all.answer.series) : []), [all.answer]);
  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => setIndex((i) => (i + 1 < moments.length ? i + 1 : (setPlaying(false), i))), 100);
    return () => clearInterval(timer);
  }, [playing, moments.length]);

  if (error) return <p class="value-invalid">Discharge {props.id}: {error}</p>;
  if (!d) return <p>Loading discharge…</p>;
  const t = moments[Math.min(index, moments.length - 1)];
  const bucketMs = all.answer?.bucket_ms ?? 1000;
  const values = all.answer && t !== undefined ? valuesAt(all.answer.series, t, Math.max(2 * bucketMs, 5000)) : [];
  const bars = Array.from({ length: batteries }, (_, k) => {
    const v = values[k];
    const cv: ChannelValue | undefined = v === undefined ? undefined : { value: v, unit: 'V', time_ms: t, quality: 'ok' };
    return { label: `Battery ${k + 1}`, href: `#/battery/${d.string_id}/${k + 1}`, v: cv };
  });
  return (
    <section>
      <nav class="crumbs">
        <a href="#/discharges">Discharges</a> › String {d.string_id}, {time(d.start_ms)}
      </nav>
      <h1>Discharge of string {d.string_id}</h1>
      <dl>
        <dt>Start</dt>
        <dd>{time(d.start_ms)}</dd>
        <dt>End</dt>
        <dd>{d.running ? 'running' : time(d.end_ms)}</dd>
        <dt>Runtime vs prediction</dt>
        <dd data-testid="runtime-vs-prediction">{runtimeVersusPrediction(d)}</dd>
        <dt>Out</dt>
        <dd>
          {num(d.ah_out, 1, 'Ah')}, {num(d.energy_out_kWh, 2, 'kWh')}, peak {num(d.peak_current_A, 1, 'A')}
        </dd>
        <dt>SOC</dt>
        <dd>
          {num(d.soc_start_pct, 0, '%')} → {num(d.soc_end_pct, 0, '%')}
        </dd>
        <dt>Weakest batteries</dt>
        <dd data-testid="weakest">
          {weakest.length === 0
            ? '—'
            : weakest.map((p) => (
                <span>
                  <a href={`#/battery/${d.string_id}/${p}`}>{p}</a> ({d.min_battery_voltage_V[p - 1].toFixed(2)} V){' '}
                </span>
              ))}
        </dd>
      </dl>
      <p>
        <a href={`#/discharge/${encodeURIComponent(d.id)}/report`} data-testid="discharge-report-link">
          Report (printable, PDF)
        </a>{' '}
        ·{' '}
        <a href={`/api/v1/discharges/${encodeURIComponent(d.id)}.csv`} download data-testid="discharge-csv">
          Export CSV (string and every battery)
        </a>
      </p>
      <h2>String voltage and current</h2>
      <HistoryPlot loaded={stringCurves} testid="discharge-string" band={false} cursorX_s={t === undefined ? undefined : t / 1000} />
      <h2>Weakest batteries' voltage</h2>
      <HistoryPlot loaded={weakCurves} testid="discharge-weakest" band={false} cursorX_s={t === undefined ? undefined : t / 1000} />
      <h2>Batteries at a moment</h2>
      {all.error && <p class="value-invalid">Battery history: {all.error}</p>}
      {moments.length === 0 ? (
        <p class="muted">{all.loading ? 'Loading battery history…' : 'No stored battery values over this discharge.'}</p>
      ) : (
        <>
          <div class="playback-controls">
            <button onClick={() => setPlaying(!playing)} data-testid="play">
              {playing ? 'Pause' : 'Play'}
            </button>
            <input
              type="range"
              min={0}
              max={moments.length - 1}
              value={Math.min(index, moments.length - 1)}
              data-testid="playback-slider"
              onInput={(e) => setIndex(Number((e.target as HTMLInputElement).value))}
            />
            <span data-testid="playback-time">
              {new Date(t).toLocaleTimeString()} (+{Math.round((t - d.start_ms) / 1000)} s)
            </span>
          </div>
          <BarChart title="Battery voltage" unit="V" bars={bars} outlierAbs={0.05} digits={3} now={t} />
        </>
      )}
    </section>
  );
}

