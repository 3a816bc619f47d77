// What a string is doing, in words a facility engineer cannot miss: one chip per string on the
// overview (closed, open for maintenance, tripped by what, on battery, discharging, stale), the
// colour of a UPS tile, and the banner of an open string (who or what opened it, the value and
// the limit, when, and the steps to reconnect). Pure logic over the live channels, the active
// alarms and the event log, all read from the API: no DOM, no gateway-only globals, so an
// aggregator serving the same pages feeds it the same way.
import { ChannelValue, freshness } from './live';
import { ActiveAlarm, LogEvent } from './events';

/** model::ProtectionState as published in string/N/protection. */
export const PROTECTION = { closed: 0, tripped: 1, held_last_string: 2, manual_open: 3 } as const;
/** model::StringState codes used here. */
const STATE_DISCHARGE = 2;

export type Tone = 'ok' | 'warn' | 'err' | 'muted';

export interface Chip {
  kind: 'closed' | 'maintenance' | 'tripped' | 'trip_held' | 'open' | 'on_battery' | 'discharging' | 'stale' | 'no_data';
  text: string;
  tone: Tone;
  /** Longer words for the tooltip (the cause of a trip, the age of a stale value). */
  detail?: string;
}

export type Lookup = (channel: string) => ChannelValue | undefined;

/** Whether an alarm's source is the string or one of its batteries. */
export function isOfString(source: string, stringId: number): boolean {
  return source === `string/${stringId}` || source.startsWith(`battery/${stringId}/`);
}

/** Trip-severity alarms of a string and its batteries, oldest first (what opened it). */
export function tripAlarmsOf(alarms: ActiveAlarm[], stringId: number): ActiveAlarm[] {
  return alarms.filter((a) => a.severity === 'trip' && isOfString(a.source, stringId)).sort((a, b) => a.since_ms - b.since_ms);
}

/** "Battery 2/7 temperature high: 56.3 °C > 55.0 °C" -> "Battery 2/7 temperature high". */
export function shortCause(text: string): string {
  const colon = text.indexOf(':');
  return colon > 0 ? text.slice(0, colon) : text;
}

/**
 * The chips of one string, most important first. The first chip is the relay state (never
 * omitted); on battery, discharging and stale follow when they apply. `upsOnBattery` comes from
 * ups/U/on_battery.
 */
export function stringChips(stringId: number, get: Lookup, now_ms: number, alarms: ActiveAlarm[] | undefined, upsOnBattery: boolean): Chip[] {
  const chips: Chip[] = [];
  const protection = get(`string/${stringId}/protection`);
  const relay = get(`string/${stringId}/relay_closed`);
  const state = get(`string/${stringId}/state`);
  const current = get(`string/${stringId}/current`);
  const trips = alarms ? tripAlarmsOf(alarms, stringId) : [];
  const cause = trips.length ? shortCause(trips[0].text) : undefined;

  if (protection?.value === PROTECTION.tripped) {
    chips.push({ kind: 'tripped', text: cause ? `TRIPPED: ${cause}` : 'TRIPPED', tone: 'err', detail: trips[0]?.text });
  } else if (protection?.value === PROTECTION.manual_open) {
    chips.push({ kind: 'maintenance', text: 'open for maintenance', tone: 'warn' });
  } else if (relay?.value === 0) {
    // Open without the engine having opened it: a contactor that does not follow its command.
    chips.push({ kind: 'open', text: 'OPEN (not commanded)', tone: 'err' });
  } else if (relay === undefined && protection === undefined) {
    chips.push({ kind: 'no_data', text: 'no data', tone: 'muted' });
  } else {
    chips.push({ kind: 'closed', text: 'closed', tone: 'ok' });
    if (protection?.value === PROTECTION.held_last_string) {
      chips.push({ kind: 'trip_held', text: cause ? `trip held (last string): ${cause}` : 'trip held (last string)', tone: 'err', detail: trips[0]?.text });
    }
  }
  if (upsOnBattery) chips.push({ kind: 'on_battery', text: 'on battery', tone: 'err' });
  const discharging =
    (state?.value === STATE_DISCHARGE && freshness(state, now_ms) === 'fresh') ||
    (current !== undefined && freshness(current, now_ms) === 'fresh' && current.value < -1);
  if (discharging) {
    chips.push({
      kind: 'discharging',
      text: current && freshness(current, now_ms) === 'fresh' ? `discharging ${Math.abs(current.value).toFixed(1)} A` : 'discharging',
      tone: 'warn',
    });
  }
  const stale = [relay, state, current].filter((v) => v !== undefined && freshness(v, now_ms) !== 'fresh');
  if (stale.length) chips.push({ kind: 'stale', text: 'data stale', tone: 'muted', detail: 'values of this string are not fresh: it may not be what is shown' });
  return chips;
}

/**
 * A UPS tile's tone: never ok while the UPS runs on battery or one of its strings is open (a
 * tripped or open-for-maintenance string means less backup than the tile would otherwise say).
 */
export function upsTone(upsStatus: number | undefined, onBattery: boolean, chipsOfStrings: Chip[][]): Tone {
  const kinds = chipsOfStrings.flat().map((c) => c.kind);
  if (upsStatus === 2 || onBattery || kinds.some((k) => k === 'tripped' || k === 'open' || k === 'trip_held')) return 'err';
  if (kinds.some((k) => k === 'maintenance' || k === 'discharging' || k === 'stale' || k === 'no_data')) return 'warn';
  if (upsStatus === 1) return 'ok';
  return 'muted';
}

export interface OpenBanner {
  stringId: number;
  /** "String 2 is OPEN: tripped by protection" / "... opened for maintenance by olga". */
  title: string;
  /** Who or what opened it: the operator, or the alarm text with value, unit and limit. */
  cause: string;
  /** The battery whose alarm opened it, e.g. "2/7", to link to its page. */
  battery?: { string: number; position: number };
  /** When it opened (ms), from the trip/open event, else the oldest trip alarm. */
  since_ms?: number;
  steps: string[];
}

const OPENED_BY = /opened by ([^:]+): (.*)$/;

/** The newest event that opened the string (a trip or an operator's open), if in `events`. */
export function openingEvent(events: LogEvent[], stringId: number): LogEvent | undefined {
  const mine = events.filter(
    (e) => e.source === `string/${stringId}` && (e.kind === 'string_tripped' || (e.kind === 'note' && OPENED_BY.test(e.text))),
  );
  mine.sort((a, b) => a.time_ms - b.time_ms);
  return mine[mine.length - 1];
}

function batteryOf(source: string): { string: number; position: number } | undefined {
  const m = /^battery\/(\d+)\/(\d+)$/.exec(source);
  return m ? { string: +m[1], position: +m[2] } : undefined;
}

/** The banner of a string that is open, or undefined when it is closed. */
export function openBanner(stringId: number, get: Lookup, alarms: ActiveAlarm[], events: LogEvent[]): OpenBanner | undefined {
  const protection = get(`string/${stringId}/protection`)?.value;
  const relayOpen = get(`string/${stringId}/relay_closed`)?.value === 0;
  if (protection !== PROTECTION.tripped && protection !== PROTECTION.manual_open && !relayOpen) return undefined;
  const opening = openingEvent(events, stringId);
  const trips = tripAlarmsOf(alarms, stringId);
  const name = `String ${stringId}`;

  if (protection === PROTECTION.manual_open) {
    const m = opening && OPENED_BY.exec(opening.text);
    const who = m ? m[1] : opening?.user || 'an operator';
    return {
      stringId,
      title: `${name} is OPEN for maintenance`,
      cause: m ? `Opened by ${who}: ${m[2]}` : `Opened by ${who}`,
      since_ms: opening?.time_ms,
      steps: ['Finish the work on the string.', 'Reset the string with a reason to reconnect it.'],
    };
  }
  if (protection === PROTECTION.tripped) {
    const first = trips[0];
    // The trip event keeps the cause with its value and limit even after the alarm is gone.
    const causeText = first?.text ?? opening?.text.replace(/^String \d+ tripped \(opened\): /, '') ?? 'a trip alarm (no longer listed)';
    const steps: string[] = [];
    const present = trips.filter((a) => !a.waiting_for_ack);
    const unacked = trips.filter((a) => !a.acknowledged);
    if (present.length) steps.push(`Remove the cause: ${shortCause(present[0].text)} must return within its limit (it still is beyond it).`);
    else steps.push('The cause is gone (the value is back within its limit).');
    if (unacked.length) steps.push(`Acknowledge the trip alarm${unacked.length > 1 ? 's' : ''} (a reset is refused until then).`);
    steps.push('Reset the string with a reason to reconnect it.');
    return {
      stringId,
      title: `${name} is OPEN: tripped by protection`,
      cause: causeText,
      battery: first ? batteryOf(first.source) : undefined,
      since_ms: opening?.time_ms ?? first?.since_ms,
      steps,
    };
  }
  return {
    stringId,
    title: `${name} is OPEN but was not commanded open`,
    cause: 'The contactor feedback says open while the string is commanded closed.',
    steps: ['Check the contactor, its feedback wiring and the string fuse on site.'],
  };
}

/** A named digital input of the site (door, leak, fire, ...), from the topology. */
export interface InputInfo {
  channel: string;
  name: string;
  alarm_text: string;
  active_high: boolean;
}

/** The channel of an input at {lc, index}: mc/input/N on the MC, lc/L/input/N on a BM-LC. */
export function inputChannel(point: { lc: number; index: number }): string {
  return point.lc === 0 ? `mc/input/${point.index}` : `lc/${point.lc}/input/${point.index}`;
}

/** What a digital input says now: its alarm text when active, "normal", or why it is unknown. */
export function inputState(input: InputInfo, v: ChannelValue | undefined, now_ms: number): { text: string; tone: Tone } {
  const f = freshness(v, now_ms);
  if (!v || f === 'missing' || f === 'invalid') return { text: 'no reading', tone: 'muted' };
  const active = input.active_high ? v.value !== 0 : v.value === 0;
  const text = active ? input.alarm_text || `${input.name} active` : 'normal';
  if (f !== 'fresh') return { text: `${text} (${f})`, tone: 'muted' };
  return { text, tone: active ? 'err' : 'ok' };
}
