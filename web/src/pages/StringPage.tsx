import { useLayoutEffect } from 'preact/hooks';
import { Topology } from '../lib/api';
import { LiveStore } from '../lib/live';
import { stringState } from '../lib/format';
import { BarChart, Bar } from './BarChart';
import { Value } from './Value';
import { OpenStringBanner } from './OpenStringBanner';
import { ActiveAlarm } from '../lib/events';
import { Session } from '../lib/api';

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
  // Balancing is marked on the voltage chart only: on the others its colour would read as a warning.
  const bars = (quantity: string): Bar[] =>
    Array.from({ length: s.batteries }, (_, k) => ({
      label: `Battery ${k + 1}`,
      href: `#/battery/${s.id}/${k + 1}`,
      v: store.get(`battery/${s.id}/${k + 1}/${quantity}`),
      balancing: quantity === 'voltage' && store.get(`battery/${s.id}/${k + 1}/balancing`)?.value === 1,
    }));
  return (
    <section>
      <nav class="crumbs">
        <a href="#/">Site</a> › <a href={`#/ups/${s.ups}`}>{ups?.name}</a> › {s.name}
      </nav>
      <h1>{s.name}</h1>
      <OpenStringBanner stringId={s.id} store={store} alarms={props.alarms} session={props.session} changeTick={props.changeTick ?? 0} now={now} />
      <p class="summary">
        State {stringState(store.get(`string/${s.id}/state`)?.value)} · voltage{' '}
        <Value v={store.get(`string/${s.id}/voltage`)} digits={2} now={now} /> · current{' '}
        <Value v={store.get(`string/${s.id}/current`)} digits={2} now={now} /> · {s.batteries} batteries
      </p>
      <BarChart title="Voltage" unit="V" bars={bars('voltage')} outlierAbs={0.05} digits={3} now={now} />
      <BarChart title="Temperature" unit="°C" bars={bars('temperature')} outlierAbs={3} digits={1} now={now} />
      <BarChart title="Internal resistance" unit="mΩ" bars={bars('resistance')} outlierAbs={0.3} digits={3} now={now} />
      <p class="legend">
        <span class="bar-outlier">■</span> outlier <span class="bar-balancing">■</span> balancing{' '}
        <span class="bar-stale">■</span> stale or lost — click a bar for the battery
      </p>
    </section>
  );
}
