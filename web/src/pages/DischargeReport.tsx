import { useEffect, useMemo, useState } from 'preact/hooks';
import { Session, Topology, getJson } from '../lib/api';
import { CapacityTest, Discharge, runtimeVersusPrediction } from '../lib/playback';
import { batteryDeviations, dischargeKind, endVoltages } from '../lib/report';
import { themeTextColour } from '../lib/theme';
import { HistoryPlot, useHistory } from './Plot';

const time = (ms: number) => new Date(ms).toLocaleString();
const num = (v: number | null | undefined, digits: number, unit: string) =>
  typeof v === 'number' && Number.isFinite(v) && v !== 0 ? `${v.toFixed(digits)} ${unit}` : '—';

const KIND_TEXT = {
  full: 'Full discharge: the string reached its end voltage, so the runtime measures its capacity.',
  partial: 'Partial discharge: it ended before the end voltage. The runtime says nothing about capacity and is not compared with the prediction.',
  running: 'Running: the report is final once the discharge has ended.',
  unknown: 'Not judged: the string voltage or the end voltage is not known.',
};

/**
 * A discharge as a report a manager signs: what happened, whether it measured the capacity, every
 * battery against the string, and the curves with the end voltage. Printable (print stylesheet:
 * "Print / save as PDF" gives an A4 PDF).
 */
export function DischargeReport(props: { id: string; topology: Topology; session?: Session }) {
  const [d, setD] = useState<Discharge | undefined>();
  const [config, setConfig] = useState<any>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    getJson(`/api/v1/discharges/${encodeURIComponent(props.id)}`).then(setD, (e) => setError(e.message ?? String(e)));
    getJson('/api/v1/config').then(
      (c) => setConfig(c.config ?? c),
      () => setConfig(undefined),
    );
  }, [props.id]);
  const s = props.topology.strings.find((x) => x.id === d?.string_id);
  const ups = props.topology.upses.find((u) => u.id === s?.ups);
  const { perCell_V: endPerCell, perBattery_V: endPerBattery, string_V: endString } = endVoltages(config, s);
  const span = useMemo(() => (d ? { from_ms: d.start_ms, to_ms: d.end_ms > d.start_ms ? d.end_ms : d.start_ms + 1000 } : { from_ms: 0, to_ms: 1 }), [d]);
  const curves = useHistory(d ? [`string/${d.string_id}/voltage`] : [], span, 600);
  if (error) return <p class="value-invalid">Discharge {props.id}: {error}</p>;
  if (!d) return <p>Loading discharge…</p>;
  const kind = dischargeKind(d, endString);
  const rows = batteryDeviations(d.min_battery_voltage_V, endPerBattery);
  const measured = rows.filter((r) => r.min_V !== undefined);
  const printed = new Date();
  return (
    <section class="report" data-testid="discharge-report">
      <p class="no-print">
        <a href={`#/discharge/${encodeURIComponent(d.id)}`}>‹ playback</a> ·{' '}
        <button onClick={() => print()} data-testid="print-report">
          Print / save as PDF
        </button>
      </p>
      <h1>Discharge report</h1>
      <dl class="report-head">
        <dt>Site</dt>
        <dd data-testid="report-site">{props.topology.name}</dd>
        <dt>String</dt>
        <dd data-testid="report-string">
          {s?.name ?? `String ${d.string_id}`}
          {ups ? ` (${ups.name})` : ''}
        </dd>
        <dt>Time</dt>
        <dd>
          {time(d.start_ms)} – {d.running ? 'running' : time(d.end_ms)}, {num(d.duration_min, 1, 'min')}
        </dd>
        <dt>Operator</dt>
        <dd data-testid="report-operator">{props.session?.user ?? 'not logged in'}</dd>
        <dt>Printed</dt>
        <dd>{printed.toLocaleString()}</dd>
      </dl>
      <h2 data-testid="report-kind" data-kind={kind}>
        {kind === 'full' ? 'Full discharge' : kind === 'partial' ? 'Partial discharge' : kind === 'running' ? 'Discharge running' : 'Discharge'}
      </h2>
      <p>{KIND_TEXT[kind]}</p>
      <table class="grid report-figures">
        <tbody>
          <tr>
            <th>Charge and energy out</th>
            <td data-testid="report-ah">
              {num(d.ah_out, 1, 'Ah')}, {num(d.energy_out_kWh, 2, 'kWh')}
            </td>
          </tr>
          <tr>
            <th>Peak current</th>
            <td>{num(d.peak_current_A, 1, 'A')}</td>
          </tr>
          <tr>
            <th>Lowest string voltage</th>
            <td data-testid="report-min-voltage">
              {num(d.min_string_voltage_V, 1, 'V')}
              {endString !== undefined ? ` (end voltage ${endString.toFixed(1)} V: ${endPerCell} V per cell)` : ''}
            </td>
          </tr>
          <tr>
            <th>State of charge</th>
            <td>
              {num(d.soc_start_pct, 0, '%')} → {num(d.soc_end_pct, 0, '%')}
            </td>
          </tr>
          <tr class={`capacity-${d.capacity_test?.result ?? 'unknown'}`}>
            <th>Capacity test</th>
            <td data-testid="report-capacity" data-result={d.capacity_test?.result ?? 'unknown'}>
              {capacityVerdict(d.capacity_test)}
            </td>
          </tr>
          <tr>
            <th>Runtime against the prediction</th>
            <td data-testid="report-runtime">{kind === 'full' ? runtimeVersusPrediction(d) : `${num(d.duration_min, 1, 'min')} (not compared: ${kind} discharge)`}</td>
          </tr>
        </tbody>
      </table>
      <h2>String voltage</h2>
      <HistoryPlot
        loaded={curves}
        testid="report-string-voltage"
        band={false}
        height={220}
        refLines={endString !== undefined ? [{ value: endString, unit: 'V', label: `end voltage ${endString.toFixed(1)} V`, colour: themeTextColour() }] : []}
      />
      <h2>Every battery against the string</h2>
      <p class="muted">
        Each battery's lowest voltage in the discharge, against the median of all {measured.length} (the string's typical block).
        {endPerBattery !== undefined ? ` Marked: below the end voltage per block (${endPerBattery.toFixed(2)} V).` : ''}
      </p>
      <table class="grid report-batteries" data-testid="report-batteries">
        <thead>
          <tr>
            <th>Battery</th>
            <th>Lowest voltage</th>
            <th>Against the median</th>
            <th>Rank (1 = lowest)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr class={r.belowEnd ? 'below-end' : ''} data-position={r.position}>
              <td>
                {d.string_id}/{r.position}
              </td>
              <td>{r.min_V === undefined ? '—' : `${r.min_V.toFixed(3)} V`}</td>
              <td>{r.deviation_mV === undefined ? '—' : `${r.deviation_mV > 0 ? '+' : ''}${r.deviation_mV} mV (${r.deviation_pct! > 0 ? '+' : ''}${r.deviation_pct} %)`}</td>
              <td>
                {r.rank ?? '—'}
                {r.belowEnd ? ' · below end voltage' : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="signature">Checked by: ______________________ Date: ____________</p>
    </section>
  );
}

/** The capacity test's verdict in words: PASS or FAIL with the figure, or why it was no test. */
function capacityVerdict(t: CapacityTest | null | undefined) {
  if (!t) return 'not judged: the string\'s battery type (rated capacity) is not known';
  if (t.result === 'pass' || t.result === 'fail')
    return (
      <>
        <strong class={t.result === 'pass' ? 'verdict-pass' : 'verdict-fail'}>{t.result === 'pass' ? 'PASS' : 'FAIL'}</strong>: {t.reason}
        {t.result === 'fail' ? ' — plan the replacement of the string\'s weakest blocks (IEEE 1188).' : ''}
      </>
    );
  return `${t.reason} (pass limit ${t.pass_pct} % of the rated ${t.rated_Ah} Ah)`;
}
