import { Topology } from '../lib/api';
import { LiveStore } from '../lib/live';
import { STATUS_CLASS } from '../lib/format';
import { Value } from './Value';
import { ActiveAlarm, stringOfSource } from '../lib/events';

/** Active alarms of a UPS: its own and those of its strings and their batteries. */
function alarmsOfUps(alarms: ActiveAlarm[], topology: Topology, upsId: number): ActiveAlarm[] {
  const strings = new Set(topology.strings.filter((s) => s.ups === upsId).map((s) => s.id));
  return alarms.filter((a) => a.source === `ups/${upsId}` || strings.has(stringOfSource(a.source) ?? -1));
}

export function Overview(props: { topology: Topology; store: LiveStore; now: number; alarms?: ActiveAlarm[] }) {
  const { topology, store, now } = props;
  return (
    <section>
      <h1>Site overview</h1>
      <div class="tiles">
        {topology.upses.map((u) => {
          const strings = topology.strings.filter((s) => s.ups === u.id);
          const status = store.get(`ups/${u.id}/status`)?.value;
          const onBattery = store.get(`ups/${u.id}/on_battery`)?.value === 1;
          return (
            <a class={`tile status-${STATUS_CLASS[status ?? 0] ?? 'unknown'}`} href={`#/ups/${u.id}`} data-testid={`ups-${u.id}`}>
              <h2>{u.name}</h2>
              <div class="mains">{onBattery ? 'ON BATTERY' : 'mains'}</div>
              <dl>
                <dt>Voltage</dt>
                <dd><Value v={store.get(`ups/${u.id}/voltage`)} digits={1} now={now} /></dd>
                <dt>Current</dt>
                <dd><Value v={store.get(`ups/${u.id}/current`)} digits={1} now={now} /></dd>
                <dt>SOC</dt>
                <dd><Value v={store.get(`ups/${u.id}/soc`)} digits={0} now={now} /></dd>
                <dt>Runtime</dt>
                <dd>
                  {onBattery ? (
                    <Value v={store.get(`ups/${u.id}/runtime`)} digits={0} now={now} />
                  ) : (
                    <span class="value value-na">n/a on mains</span>
                  )}
                </dd>
                <dt>Strings</dt>
                <dd>{strings.length}</dd>
                <dt>Active alarms</dt>
                <dd data-testid={`alarms-ups-${u.id}`}>
                  {props.alarms === undefined ? (
                    <span class="value-na">—</span>
                  ) : (
                    (() => {
                      const mine = alarmsOfUps(props.alarms, topology, u.id);
                      const unacked = mine.filter((a) => !a.acknowledged).length;
                      return mine.length === 0 ? 'none' : <strong class="value-invalid">{mine.length}{unacked ? ` (${unacked} unacknowledged)` : ''}</strong>;
                    })()
                  )}
                </dd>
              </dl>
            </a>
          );
        })}
      </div>
    </section>
  );
}
