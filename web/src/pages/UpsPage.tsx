import { Topology } from '../lib/api';
import { link } from '../lib/scope';
import { SiteCrumb } from './SiteScope';
import { LiveStore } from '../lib/live';
import { stringState } from '../lib/format';
import { formatAge, freshness } from '../lib/live';
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
      <nav class="crumbs"><SiteCrumb /> › {ups.name}</nav>
      <h1>{ups.name}</h1>
      <table class="grid">
        <thead>
          <tr>
            <th />
            {strings.map((s) => (
              <th><a href={link(`#/string/${s.id}`)} data-testid={`string-${s.id}`}>{s.name}</a></th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th>State</th>
            {strings.map((s) => {
              const v = store.get(`string/${s.id}/state`);
              const f = freshness(v, now);
              return (
                <td class={`value-${f}`} title={v ? `${v.quality}, ${formatAge(v.time_ms, now)}` : 'no data'}>
                  {stringState(v?.value)}
                  {v && f !== 'fresh' && <small class="age"> ({f}, {formatAge(v.time_ms, now)})</small>}
                </td>
              );
            })}
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
              const f = freshness(v, now);
              return (
                <td class={`value-${f}`}>
                  {v === undefined ? '—' : v.value === 1 ? 'closed' : <strong class="value-invalid">OPEN</strong>}
                  {v && f !== 'fresh' && <small class="age"> ({f}, {formatAge(v.time_ms, now)})</small>}
                </td>
              );
            })}
          </tr>
          {row('Insulation R+', (id) => `string/${id}/insulation_pos`, 0)}
          {row('Insulation R−', (id) => `string/${id}/insulation_neg`, 0)}
        </tbody>
      </table>
    </section>
  );
}
