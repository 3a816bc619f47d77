import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { LiveStore } from '../lib/live';
import { Value } from './Value';
import { TimeRange, pointsForWidth } from '../lib/ranges';
import { historyCsvUrl } from '../lib/history';
import { HistoryPlot, Loaded, RefLine, useHistory } from './Plot';
import { LimitLine, limitLines } from '../lib/limits';
import { RangePicker, useRangeState } from './RangePicker';
import { resistanceVersusBaseline } from '../lib/format';
import { MaintenanceSection } from './MaintenanceSection';
import { OpenStringBanner } from './OpenStringBanner';
import { BatteryAlarms } from './BatteryAlarms';
import { axisStroke, themeTextColour } from '../lib/theme';
import { ActiveAlarm } from '../lib/events';
import { Session, getJson } from '../lib/api';
import { apiPath, link } from '../lib/scope';
import { SiteCrumb } from './SiteScope';

function minSpan(lo: number, hi: number, span: number): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, span];
  const mid = (lo + hi) / 2;
  const half = Math.max(span, hi - lo) / 2;
  return [mid - half * 1.1, mid + half * 1.1];
}

/** Live values of one battery and a trend of what arrived since the page opened. */
export function BatteryPage(props: {
  store: LiveStore;
  string: number;
  position: number;
  upsId?: number;
  /** Cells per battery (its battery type): voltage limits are per cell. */
  cells?: number;
  now: number;
  alarms?: ActiveAlarm[];
  session?: Session;
  changeTick?: number;
}) {
  const { store, now } = props;
  const id = `battery/${props.string}/${props.position}`;
  const chartRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const xs: number[] = [];
    const volts: number[] = [];
    const temps: number[] = [];
    const text = themeTextColour();
    const plot = new uPlot(
      {
        width: Math.min(960, innerWidth - 40),
        height: 260,
        series: [{}, { label: 'Voltage (V)', stroke: '#4aa3ff', scale: 'V' }, { label: 'Temperature (°C)', stroke: '#ff9f43', scale: 'C' }],
        // Axis colours follow the theme; ranges keep a minimum span so 1 mV of noise is not magnified.
        axes: [
          { stroke: text, grid: { stroke: 'rgba(128,128,128,0.25)' } },
          { scale: 'V', stroke: text, grid: { stroke: 'rgba(128,128,128,0.25)' } },
          { scale: 'C', side: 1, stroke: text, grid: { show: false } },
        ],
        scales: {
          x: { time: true },
          V: { range: (_u, lo, hi) => minSpan(lo, hi, 0.2) },
          C: { range: (_u, lo, hi) => minSpan(lo, hi, 2) },
        },
      },
      [xs, volts, temps],
      chartRef.current!,
    );
    chartRef.current!.dataset.axisStroke = axisStroke(plot as any, 1);
    let last = 0;
    const off = store.subscribe(() => {
      const v = store.get(`${id}/voltage`);
      const t = store.get(`${id}/temperature`);
      if (!v || v.quality !== 'ok' || v.time_ms === last) return;
      last = v.time_ms;
      xs.push(v.time_ms / 1000);
      volts.push(v.value);
      temps.push(t && t.quality === 'ok' ? t.value : NaN);
      plot.setData([xs, volts, temps]);
    });
    return () => {
      off();
      plot.destroy();
    };
  }, [id]);

  const field = (label: string, quantity: string, digits: number, invalidText?: string) => (
    <>
      <dt>{label}</dt>
      <dd data-testid={`${quantity}`}>
        <Value v={store.get(`${id}/${quantity}`)} digits={digits} now={now} invalidText={invalidText} />
      </dd>
    </>
  );
  return (
    <section>
      <nav class="crumbs">
        <SiteCrumb /> › {props.upsId !== undefined && <><a href={link(`#/ups/${props.upsId}`)}>UPS {props.upsId}</a> › </>}
        <a href={link(`#/string/${props.string}`)}>String {props.string}</a> › Battery {props.position}
      </nav>
      <h1>Battery {props.string}/{props.position}</h1>
      <OpenStringBanner stringId={props.string} store={store} alarms={props.alarms} session={props.session} changeTick={props.changeTick ?? 0} now={now} />
      <BatteryAlarms source={id} alarms={props.alarms} session={props.session} />
      <dl class="battery">
        {field('Voltage', 'voltage', 3)}
        {field('Temperature', 'temperature', 1)}
        {field('Internal resistance', 'resistance', 3)}
        {field('Resistance baseline', 'resistance_baseline', 3, 'learning (first resistance tests)')}
        {field('SOC', 'soc', 0)}
        {field('SOH', 'soh', 0)}
        <dt>Resistance vs baseline</dt>
        <dd data-testid="resistance-vs-baseline">{resistanceVersusBaseline(store.get(`${id}/resistance`), store.get(`${id}/resistance_baseline`), now)}</dd>
      </dl>
      <h2>Trend since this page opened</h2>
      <div ref={chartRef} />
      <BatteryHistory id={id} stringId={props.string} cells={props.cells} baseline_mOhm={store.get(`${id}/resistance_baseline`)?.value} now={now} />
      <MaintenanceSection stringId={props.string} position={props.position} session={props.session} />
    </section>
  );
}

/** The colour of a limit's tone as the theme defines it (canvas lines need the value). */
function toneColour(tone: 'warn' | 'err'): string {
  return getComputedStyle(document.documentElement).getPropertyValue(tone === 'warn' ? '--warn' : '--err').trim() || (tone === 'warn' ? '#f1c40f' : '#e74c3c');
}

/**
 * The limits drawn on a battery's trends: voltage (per cell times its cells, at 25 °C, the float
 * band), temperature (warning, alarm, trip) and resistance (warning and alarm over its own
 * learned baseline, once learned).
 */
function trendLimitLines(config: any, stringId: number, cells: number | undefined, baseline_mOhm: number | undefined): Record<string, RefLine[]> {
  const l = limitLines(config, stringId, cells);
  const line = (unit: string) => (x: LimitLine): RefLine => ({ value: x.value, unit, label: x.label, colour: toneColour(x.tone) });
  const resistance: RefLine[] = [];
  if (baseline_mOhm && baseline_mOhm > 0 && l.resistancePct) {
    const { warning, alarm } = l.resistancePct;
    if (warning !== undefined) resistance.push({ value: baseline_mOhm * (1 + warning / 100), unit: 'mΩ', label: `warning +${warning} %`, colour: toneColour('warn') });
    if (alarm !== undefined) resistance.push({ value: baseline_mOhm * (1 + alarm / 100), unit: 'mΩ', label: `alarm +${alarm} %`, colour: toneColour('err') });
  }
  return { voltage: l.voltage.map(line('V')), temperature: l.temperature.map(line('°C')), resistance };
}

const QUANTITIES = [
  ['voltage', 'Voltage'],
  ['temperature', 'Temperature'],
  ['resistance', 'Internal resistance'],
] as const;

/** Stored history of the battery from the last hour to all years; a drag zooms and re-queries. */
function BatteryHistory(props: { id: string; stringId: number; cells?: number; baseline_mOhm?: number; now: number }) {
  const [range, preset, setRangeAndPreset] = useRangeState('24h');
  // Limit lines on the trends, from the engine's configuration (the string's own limits).
  const [config, setConfig] = useState<any>();
  useEffect(() => {
    getJson('/api/v1/config').then(
      (c) => setConfig(c.config ?? c),
      () => setConfig(undefined),
    );
  }, []);
  const refLines = useMemo(() => trendLimitLines(config, props.stringId, props.cells, props.baseline_mOhm), [config, props.stringId, props.cells, props.baseline_mOhm]);
  const points = pointsForWidth(Math.min(1200, innerWidth));
  const channel = (q: string) => `${props.id}/${q}`;
  const loaded = [useHistory([channel('voltage')], range, points), useHistory([channel('temperature')], range, points), useHistory([channel('resistance')], range, points)];
  // The learned baseline on the resistance chart, when the gateway stores it (an unknown
  // channel is refused: then the chart shows the resistance alone).
  const baseline = useHistory([channel('resistance_baseline')], range, points);
  // Memoized: a new series array would make the chart redraw on every live tick.
  const resistance = loaded[2];
  const resistanceSeries = useMemo(
    () => (resistance.answer && baseline.answer && !baseline.loading ? [...resistance.answer.series, ...baseline.answer.series] : resistance.answer?.series),
    [resistance.answer, baseline.answer, baseline.loading],
  );
  const withBaseline = (l: Loaded): Loaded => (l.answer && resistanceSeries ? { ...l, answer: { ...l.answer, series: resistanceSeries } } : l);
  const zoom = (r: TimeRange) => setRangeAndPreset(r);
  return (
    <section class="battery-history">
      <h2>History</h2>
      <RangePicker
        range={range}
        now={props.now}
        preset={preset}
        onChange={setRangeAndPreset}
      />
      {QUANTITIES.map(([q, title], i) => (
        <figure>
          <figcaption>{title}</figcaption>
          <HistoryPlot loaded={q === 'resistance' ? withBaseline(loaded[i]) : loaded[i]} testid={`history-${q}`} onZoom={zoom} height={200} refLines={refLines[q]} />
        </figure>
      ))}
      <a href={apiPath(historyCsvUrl(QUANTITIES.map(([q]) => channel(q)), range, points))} download data-testid="battery-csv">
        Export CSV
      </a>{' '}
      · <a href={link(`#/history/${encodeURIComponent(QUANTITIES.map(([q]) => channel(q)).join(','))}`)}>open in the history explorer</a>
    </section>
  );
}
