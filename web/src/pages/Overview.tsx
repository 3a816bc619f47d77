import { Topology } from '../lib/api';
import { gatewayScope, link } from '../lib/scope';
import { LiveStore } from '../lib/live';
import { Value } from './Value';
import { ActiveAlarm, stringOfSource } from '../lib/events';
import { Chip, inputState, stringChips, upsTone } from '../lib/string_state';

/** One string as chips: relay state first (tripped by what), then on battery, discharging, stale. */
function StringChips(props: { id: number; name: string; chips: Chip[] }) {
  return (
    <li class="string-chips" data-testid={`string-chips-${props.id}`}>
      <span class="string-name">{props.name}</span>
      {props.chips.map((c) => (
        <span class={`state-chip tone-${c.tone}`} data-kind={c.kind} title={c.detail ?? c.text}>
          {c.text}
        </span>
      ))}
    </li>
  );
}

/** Ambient temperature/humidity and the site's named inputs (door, leak, fire), live. */
function RoomPanel(props: { topology: Topology; store: LiveStore; now: number }) {
  const { topology, store, now } = props;
  if (!topology.ambients.length && !topology.inputs.length) return null;
  return (
    <section class="room" data-testid="room-panel">
      <h2>Room</h2>
      <ul class="room-list">
        {topology.ambients.map((a) => (
          <li data-testid={`ambient-${a.index}`}>
            <span class="muted">{a.name}</span> <Value v={store.get(`ambient/${a.index}/temperature`)} digits={1} now={now} /> ·{' '}
            <Value v={store.get(`ambient/${a.index}/humidity`)} digits={0} now={now} />
          </li>
        ))}
        {topology.inputs.map((i) => {
          const st = inputState(i, store.get(i.channel), now);
          return (
            <li data-testid={`input-${i.channel}`}>
              <span class="muted">{i.name}</span> <span class={`state-chip tone-${st.tone}`}>{st.text}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Active alarms of a UPS: its own and those of its strings and their batteries. */
function alarmsOfUps(alarms: ActiveAlarm[], topology: Topology, upsId: number): ActiveAlarm[] {
  const strings = new Set(topology.strings.filter((s) => s.ups === upsId).map((s) => s.id));
  return alarms.filter((a) => a.source === `ups/${upsId}` || strings.has(stringOfSource(a.source) ?? -1));
}

export function Overview(props: { topology: Topology; store: LiveStore; now: number; alarms?: ActiveAlarm[] }) {
  const { topology, store, now } = props;
  return (
    <section>
      <h1>{gatewayScope() ? `Gateway ${gatewayScope()}` : 'Site overview'}</h1>
      <RoomPanel topology={topology} store={store} now={now} />
      <div class="tiles">
        {topology.upses.map((u) => {
          const strings = topology.strings.filter((s) => s.ups === u.id);
          const status = store.get(`ups/${u.id}/status`)?.value;
          const onBattery = store.get(`ups/${u.id}/on_battery`)?.value === 1;
          const get = (c: string) => store.get(c);
          const chips = strings.map((s) => stringChips(s.id, get, now, props.alarms, onBattery));
          const tone = upsTone(status, onBattery, chips);
          return (
            <a class={`tile tone-${tone}`} href={link(`#/ups/${u.id}`)} data-testid={`ups-${u.id}`} data-tone={tone}>
              <h2>{u.name}</h2>
              <div class={`mains ${onBattery ? 'tone-err' : ''}`}>{onBattery ? 'ON BATTERY (mains lost)' : 'on mains'}</div>
              <ul class="chips">
                {strings.map((s, k) => (
                  <StringChips id={s.id} name={s.name} chips={chips[k]} />
                ))}
              </ul>
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
