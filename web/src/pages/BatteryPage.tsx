import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { LiveStore } from '../lib/live';
import { Value } from './Value';

/** Live values of one battery and a trend of what arrived since the page opened. */
export function BatteryPage(props: { store: LiveStore; string: number; position: number; now: number }) {
  const { store, now } = props;
  const id = `battery/${props.string}/${props.position}`;
  const chartRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const xs: number[] = [];
    const volts: number[] = [];
    const temps: number[] = [];
    const plot = new uPlot(
      {
        width: Math.min(960, innerWidth - 40),
        height: 260,
        series: [{}, { label: 'Voltage (V)', stroke: '#4aa3ff', scale: 'V' }, { label: 'Temperature (°C)', stroke: '#ff9f43', scale: 'C' }],
        axes: [{}, { scale: 'V' }, { scale: 'C', side: 1 }],
      },
      [xs, volts, temps],
      chartRef.current!,
    );
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

  const field = (label: string, quantity: string, digits: number) => (
    <>
      <dt>{label}</dt>
      <dd data-testid={`${quantity}`}><Value v={store.get(`${id}/${quantity}`)} digits={digits} now={now} /></dd>
    </>
  );
  return (
    <section>
      <nav class="crumbs">
        <a href="#/">Site</a> › <a href={`#/string/${props.string}`}>String {props.string}</a> › Battery {props.position}
      </nav>
      <h1>Battery {props.string}/{props.position}</h1>
      <dl class="battery">
        {field('Voltage', 'voltage', 3)}
        {field('Temperature', 'temperature', 1)}
        {field('Internal resistance', 'resistance', 3)}
        {field('Resistance baseline', 'resistance_baseline', 3)}
        {field('SOC', 'soc', 0)}
        {field('SOH', 'soh', 0)}
      </dl>
      <h2>Trend since this page opened</h2>
      <div ref={chartRef} />
    </section>
  );
}
