import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { Topology } from '../lib/api';
import { gatewayScope, link } from '../lib/scope';
import { SiteCrumb } from './SiteScope';
import { LiveStore } from '../lib/live';
import { stringState } from '../lib/format';
import { BarChart, Bar } from './BarChart';
import { Value } from './Value';
import { MaintenanceSection } from './MaintenanceSection';
import { OpenForMaintenance } from './OpenForMaintenance';
import { OpenStringBanner } from './OpenStringBanner';
import { ActiveAlarm } from '../lib/events';
import { Session, getJson } from '../lib/api';
import { barTones, limitLines } from '../lib/limits';
import { formatMonth, monthOf } from '../lib/monthly';

export function StringPage(props: {
  topology: Topology;
  store: LiveStore;
  string: number;
  now: number;
  alarms?: ActiveAlarm[];
  session?: Session;
  changeTick?: number;
}) {
  const { topology, store, now } = props;
  // Limits for the lines on the charts (the bars' colours come from the engine's alarms).
  const [config, setConfig] = useState<any>();
  useEffect(() => {
    getJson('/api/v1/config').then(
      (c) => setConfig(c.config ?? c),
      () => setConfig(undefined),
    );
  }, []);
  // Render cost of the page (3 charts x up to 120 bars) as a User Timing measure, from here to
  // the DOM being updated: visible in the browser's performance tools and read by the e2e test.
  const renderStart = performance.now();
  useLayoutEffect(() => {
    performance.clearMeasures('string-page-render');
    performance.measure('string-page-render', { start: renderStart });
  });
  const s = topology.strings.find((x) => x.id === props.string);
  if (!s) return <p>No string {props.string} on this gateway.</p>;
  const ups = topology.upses.find((u) => u.id === s.ups);
  const state = store.get(`string/${s.id}/state`)?.value;
  const limits = limitLines(config, s.id, s.cells, state === 0 || state === 1); // float or equalizing
  const tones = (q: 'voltage' | 'temperature' | 'resistance') => barTones(props.alarms, s.id, s.batteries, q);
  const pct = limits.resistancePct;
  // Balancing is marked on the voltage chart only: on the others its colour would read as a warning.
  const bars = (quantity: string): Bar[] =>
    Array.from({ length: s.batteries }, (_, k) => ({
      label: `Battery ${k + 1}`,
      href: link(`#/battery/${s.id}/${k + 1}`),
      v: store.get(`battery/${s.id}/${k + 1}/${quantity}`),
      balancing: quantity === 'voltage' && store.get(`battery/${s.id}/${k + 1}/balancing`)?.value === 1,
    }));
  return (
    <section>
      <nav class="crumbs">
        <SiteCrumb /> › <a href={link(`#/ups/${s.ups}`)}>{ups?.name}</a> › {s.name}
      </nav>
      <h1>{s.name}</h1>
      {/* The report reads the gateway's attention judgement, which the site aggregator does not forward. */}
      {!gatewayScope() && (
        <p>
          {/* The current month on the gateway's clock, which stamps the data the report reads. */}
          <a href={`#/string/${s.id}/report/${formatMonth(monthOf(now))}`} data-testid="monthly-report-link">
            Monthly report
          </a>
        </p>
      )}
      <OpenStringBanner stringId={s.id} store={store} alarms={props.alarms} session={props.session} changeTick={props.changeTick ?? 0} now={now} />
      <p class="summary">
        State {stringState(store.get(`string/${s.id}/state`)?.value)} · voltage{' '}
        <Value v={store.get(`string/${s.id}/voltage`)} digits={2} now={now} /> · current{' '}
        <Value v={store.get(`string/${s.id}/current`)} digits={2} now={now} /> · {s.batteries} batteries
      </p>
      <OpenForMaintenance stringId={s.id} store={store} session={props.session} />
      <BarChart title="Voltage" unit="V" bars={bars('voltage')} outlierAbs={0.05} digits={3} now={now} tones={tones('voltage')} limits={limits.voltage} />
      <BarChart title="Temperature" unit="°C" bars={bars('temperature')} outlierAbs={3} digits={1} now={now} tones={tones('temperature')} limits={limits.temperature} />
      <BarChart
        title="Internal resistance"
        unit="mΩ"
        bars={bars('resistance')}
        outlierAbs={0.3}
        digits={3}
        now={now}
        tones={tones('resistance')}
        limitNote={pct?.warning !== undefined ? `warning ${pct.warning} %, alarm ${pct.alarm} % over each battery's own baseline` : undefined}
      />
      <p class="legend" data-testid="bar-legend">
        <span class="bar-warning">■</span> warning <span class="bar-alarm">■</span> alarm (the engine's, at its limits){' '}
        <span class="outlier-mark">○</span> far from the string's mean <span class="balancing-mark">▲</span> balancing{' '}
        <span class="bar-stale">■</span> stale or lost — click a bar for the battery
      </p>
      <MaintenanceSection stringId={s.id} session={props.session} />
    </section>
  );
}
