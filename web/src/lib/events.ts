// The event log and the active alarms: filters of the alarm history, links from a source to
// its page, and what an alarm did (the events of the same string around it).

export type Severity = 'info' | 'warning' | 'alarm' | 'trip';
export const SEVERITIES: Severity[] = ['info', 'warning', 'alarm', 'trip'];
export const SEVERITY_RANK: Record<string, number> = { info: 0, warning: 1, alarm: 2, trip: 3 };

export const EVENT_KINDS = [
  'alarm_raised',
  'alarm_cleared',
  'alarm_acknowledged',
  'string_tripped',
  'string_reset',
  'string_reconnected',
  'relay_mismatch',
  'discharge_started',
  'discharge_ended',
  'note',
] as const;

/** Kinds that are consequences of an alarm, shown under "what it did". */
export const ACTION_KINDS = new Set(['string_tripped', 'string_reset', 'string_reconnected', 'relay_mismatch', 'alarm_cleared', 'alarm_acknowledged']);

export interface LogEvent {
  id: number;
  time_ms: number;
  time_iso?: string;
  kind: string;
  severity: Severity;
  source: string;
  rule: string;
  text: string;
  user: string;
  value: number | null;
}

export interface ActiveAlarm {
  key: string;
  source: string;
  rule: string;
  severity: Severity;
  text: string;
  since_ms: number;
  value: number | null;
  acknowledged: boolean;
  acknowledged_by: string;
  acknowledged_ms: number;
  waiting_for_ack: boolean;
  /** The value that raised it, the unit of both values and the limit (absent on older gateways). */
  raised_value?: number | null;
  unit?: string;
  limit?: number | null;
}

function withUnit(v: number, unit: string | undefined): string {
  const n = Number(v.toPrecision(4)).toString();
  if (!unit) return n;
  return unit === '%' ? `${n} %` : `${n} ${unit}`;
}

/**
 * The values of an alarm, each labelled: what raised it, what it is now, and the limit. Flags
 * (runaway, comm lost, inputs) carry no number worth showing: their text says it all.
 */
export function alarmValues(a: ActiveAlarm): { label: string; text: string }[] {
  const hasLimit = a.limit !== undefined && a.limit !== null;
  // A gateway that does not send unit and limit yet: the current value alone, as it comes.
  if (a.unit === undefined && a.limit === undefined)
    return a.value === null || a.value === undefined ? [] : [{ label: 'now', text: withUnit(a.value, undefined) }];
  if (!hasLimit && !a.unit) return [];
  const out: { label: string; text: string }[] = [];
  if (a.raised_value !== undefined && a.raised_value !== null) out.push({ label: 'raised at', text: withUnit(a.raised_value, a.unit) });
  if (a.value !== null && a.value !== undefined) out.push({ label: a.waiting_for_ack ? 'now (back within limit)' : 'now', text: withUnit(a.value, a.unit) });
  if (hasLimit) out.push({ label: 'limit', text: withUnit(a.limit as number, a.unit) });
  return out;
}

export interface EventFilter {
  /** Empty = every severity. */
  severities: Severity[];
  /** "" = everything; "string/1" also takes the string's batteries (battery/1/...). */
  sourcePrefix: string;
  /** Empty = every kind. */
  kinds: string[];
}

export const NO_FILTER: EventFilter = { severities: [], sourcePrefix: '', kinds: [] };

/** The string a source belongs to: string/3, battery/3/17 and string/3/... give 3. */
export function stringOfSource(source: string): number | undefined {
  const m = /^(?:string|battery)\/(\d+)(?:\/|$)/.exec(source);
  return m ? Number(m[1]) : undefined;
}

export function sourceMatches(source: string, prefix: string): boolean {
  const p = prefix.trim().replace(/\/+$/, '');
  if (p === '') return true;
  if (source === p || source.startsWith(`${p}/`)) return true;
  const m = /^string\/(\d+)$/.exec(p);
  return m !== null && source.startsWith(`battery/${m[1]}/`);
}

export function filterEvents(events: LogEvent[], f: EventFilter): LogEvent[] {
  return events.filter(
    (e) =>
      (f.severities.length === 0 || f.severities.includes(e.severity)) &&
      (f.kinds.length === 0 || f.kinds.includes(e.kind)) &&
      sourceMatches(e.source, f.sourcePrefix),
  );
}

/** The page of a source: #/battery/1/7, #/string/1, #/ups/2; undefined for site-wide ones. */
export function sourceHref(source: string): string | undefined {
  let m = /^battery\/(\d+)\/(\d+)/.exec(source);
  if (m) return `#/battery/${m[1]}/${m[2]}`;
  m = /^string\/(\d+)/.exec(source);
  if (m) return `#/string/${m[1]}`;
  m = /^ups\/(\d+)/.exec(source);
  if (m) return `#/ups/${m[1]}`;
  return undefined;
}

/**
 * What an alarm did: the events of its own source and of its string (trip, reconnect, relay
 * mismatch, clear, acknowledgement) from when it was raised to `window_ms` later; the raising
 * event itself is left out.
 */
export function consequences(alarm: { source: string; rule: string; time_ms: number }, events: LogEvent[], window_ms = 30 * 60_000): LogEvent[] {
  const string = stringOfSource(alarm.source);
  return events.filter((e) => {
    if (e.time_ms < alarm.time_ms || e.time_ms > alarm.time_ms + window_ms) return false;
    if (e.kind === 'alarm_raised' && e.source === alarm.source && e.rule === alarm.rule) return false;
    const sameSource = e.source === alarm.source && (e.rule === alarm.rule || !e.rule || !e.kind.startsWith('alarm_'));
    const sameString = string !== undefined && e.source === `string/${string}` && ACTION_KINDS.has(e.kind) && !e.kind.startsWith('alarm_');
    return sameSource || sameString;
  });
}

/** Alarms of a string (and its batteries) that still want an acknowledgement. */
export function unacknowledgedOf(alarms: ActiveAlarm[], stringId: number): ActiveAlarm[] {
  return alarms.filter((a) => !a.acknowledged && stringOfSource(a.source) === stringId);
}

/** Strings with a trip among the active alarms: candidates for reset. */
export function trippedStrings(alarms: ActiveAlarm[]): number[] {
  const ids = new Set<number>();
  for (const a of alarms) {
    const s = stringOfSource(a.source);
    if (a.severity === 'trip' && s !== undefined) ids.add(s);
  }
  return [...ids].sort((a, b) => a - b);
}

export function eventsUrl(from_ms: number, to_ms: number, limit = 1000): string {
  return `/api/v1/events?from=${Math.round(from_ms)}&to=${Math.round(to_ms)}&limit=${limit}`;
}
