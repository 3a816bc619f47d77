import { Topology } from '../lib/api';
import { LiveStore } from '../lib/live';
import { stringState } from '../lib/format';
import { Value } from './Value';

export function UpsPage(props: { topology: Topology; store: LiveStore; ups: number; now: number }) {
  const { topology, store, now } = props;
  const ups = topology.upses.find((u) => u.id === props.ups);
  if (!ups) return <p>No UPS {props.ups} on this gateway.</p>;
  const strings = topology.strings.filter((s) => s.ups === ups.id);
  const row = (label: string, channel: (id: number) => string, digits: number) => (
    <tr>
      <th>{label}</th>
      {strings.map((s) => (
        <td><Value v={store.get(channel(s.id))} digits={digits} now={now} /></td>
      ))}
    </tr>
  );
  return (
    <section>
      <nav class="crumbs"><a href="#/">Site</a> › {ups.name}</nav>
      <h1>{ups.name}</h1>
      <table class="grid">
        <thead>
          <tr>
            <th />
            {strings.map((s) => (
              <th><a href={`#/string/${s.id}`} data-testid={`string-${s.id}`}>{s.name}</a></th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th>State</th>
            {strings.map((s) => <td>{stringState(store.get(`string/${s.id}/state`)?.value)}</td>)}
          </tr>
          {row('Voltage', (id) => `string/${id}/voltage`, 2)}
          {row('Current (+ charge / − discharge)', (id) => `string/${id}/current`, 2)}
          {row('SOC', (id) => `string/${id}/soc`, 0)}
          {row('Balance index (100 % = all equal)', (id) => `string/${id}/balance`, 1)}
          {row('Spread', (id) => `string/${id}/spread`, 3)}
          <tr>
            <th>Disconnect relay</th>
            {strings.map((s) => {
              const v = store.get(`string/${s.id}/relay_closed`);
              return <td>{v === undefined ? '—' : v.value === 1 ? 'closed' : <strong class="value-invalid">OPEN</strong>}</td>;
            })}
          </tr>
          {row('Insulation R+', (id) => `string/${id}/insulation_pos`, 0)}
          {row('Insulation R−', (id) => `string/${id}/insulation_neg`, 0)}
        </tbody>
      </table>
    </section>
  );
}
