// The monthly string report's judgement, without DOM: which calendar month (in the browser's
// time zone, like every other time the UI shows), each battery's resistance at the start and
// end of it and its slope, the order of the batteries (worst first), the string's events of the
// month grouped by kind, and the alarms with who acknowledged them.
import { BatteryAttention, RECOMMENDATIONS } from './attention';
import { EVENT_KINDS, LogEvent, sourceMatches } from './events';
import { Bucket, HistorySeries } from './history';
import { Discharge, runtimeVersusPrediction } from './playback';
import { HOUR_MS, DAY_MS, TimeRange } from './ranges';
import { dischargeKind } from './report';

/** A calendar month; `month` is 1..12 (as written, not as Date counts). */
export interface Month {
  year: number;
  month: number;
}

/**
 * "2026-12" as a month; undefined for anything else (no day, no "2026-1", no month 13), so a
 * mistyped URL says so instead of showing some other month. Years as the history API accepts.
 */
export function parseMonth(text: string): Month | undefined {
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (month < 1 || month > 12 || year < 1970 || year > 2199) return undefined;
  return { year, month };
}

export function formatMonth(m: Month): string {
  return `${String(m.year).padStart(4, '0')}-${String(m.month).padStart(2, '0')}`;
}

/** The month `ms` falls in, in the browser's time zone. */
export function monthOf(ms: number): Month {
  const d = new Date(ms);
  return { year: d.getFullYear(), month: d.getMonth() + 1 };
}

/** `delta` months later (earlier when negative): December + 1 is January of the next year. */
export function shiftMonth(m: Month, delta: number): Month {
  const k = m.year * 12 + (m.month - 1) + delta;
  return { year: Math.floor(k / 12), month: (k % 12) + 1 };
}

/**
 * [local midnight of the 1st, local midnight of the next month's 1st): the API's ranges are
 * half-open, so an event at midnight belongs to exactly one month. A month with a DST change is
 * an hour shorter or longer than its days times 24 h; Date's local constructor accounts for it.
 */
export function monthRange(m: Month): TimeRange {
  return { from_ms: new Date(m.year, m.month - 1, 1).getTime(), to_ms: new Date(m.year, m.month, 1).getTime() };
}

/** "December 2026" in the browser's language. */
export function monthLabel(m: Month, locale?: string): string {
  return new Date(m.year, m.month - 1, 15).toLocaleString(locale, { month: 'long', year: 'numeric' });
}

/**
 * Buckets to ask the history API for over a month: one per hour. (to − from) / points is then
 * at least an hour, so the gateway answers from its hour tier, which it keeps for 10 years (the
 * minute tier 2, raw 30 days): last year's report still has data, and 743..745 buckets per
 * channel are what an A4 plot can show.
 */
export function hourlyPoints(range: TimeRange): number {
  return Math.max(1, Math.floor((range.to_ms - range.from_ms) / HOUR_MS));
}

/** The gateway's trend month (src/web/battery_attention.cpp): 30 days. */
export const TREND_MONTH_MS = 30 * DAY_MS;

/**
 * Least-squares slope of (time_ms, value) per 30-day month, as the gateway computes the
 * attention page's trend; null for fewer than 3 points or less than `minSpan_ms` between the
 * first and the last (a slope over minutes extrapolated to a month is noise, not ageing).
 */
export function slopePerMonth(points: [number, number][], minSpan_ms = DAY_MS): number | null {
  if (points.length < 3) return null;
  const t0 = Math.min(...points.map((p) => p[0]));
  const t1 = Math.max(...points.map((p) => p[0]));
  if (t1 - t0 < minSpan_ms) return null;
  const n = points.length;
  // Centred on the first point, in months, so the sums stay well conditioned.
  const ts = points.map((p) => (p[0] - t0) / TREND_MONTH_MS);
  const meanT = ts.reduce((a, b) => a + b, 0) / n;
  const meanV = points.reduce((a, p) => a + p[1], 0) / n;
  let stt = 0;
  let stv = 0;
  points.forEach((p, i) => {
    stt += (ts[i] - meanT) ** 2;
    stv += (ts[i] - meanT) * (p[1] - meanV);
  });
  return stt > 0 ? stv / stt : null;
}

export interface ResistanceFigures {
  /** Mean of the month's first and last hour bucket that has samples. */
  start_mOhm: number;
  start_ms: number;
  end_mOhm: number;
  end_ms: number;
  change_pct: number | null;
  /** Slope of the hourly means, % of `slope_reference` per 30 days; null under a day of data. */
  slope_pct_per_month: number | null;
  /** The baseline when learned (as the attention page's trend), else the month's start value. */
  slope_reference: 'baseline' | 'start';
  /** The learned baseline in force at the end of the month (its channel's last bucket). */
  baseline_mOhm: number | null;
  /** The end value over that baseline. */
  over_baseline_pct: number | null;
  buckets: number;
}

const pct = (value: number, reference: number) => (100 * (value - reference)) / reference;

/**
 * A battery's month from its hourly resistance buckets and (optionally) those of its learned
 * baseline; null when it has no resistance sample in the month.
 */
export function resistanceFigures(resistance: Bucket[], baseline?: Bucket[]): ResistanceFigures | null {
  // Buckets come ascending from the API; sorted anyway so a merged answer cannot mislead.
  const rs = resistance.filter((b) => b[4] > 0 && Number.isFinite(b[3])).sort((a, b) => a[0] - b[0]);
  if (rs.length === 0) return null;
  const first = rs[0];
  const last = rs[rs.length - 1];
  const bs = (baseline ?? []).filter((b) => b[4] > 0 && b[3] > 0).sort((a, b) => a[0] - b[0]);
  const baseline_mOhm = bs.length ? bs[bs.length - 1][3] : null;
  const slope = slopePerMonth(rs.map((b) => [b[0], b[3]]));
  const reference = baseline_mOhm ?? (first[3] > 0 ? first[3] : null);
  return {
    start_mOhm: first[3],
    start_ms: first[0],
    end_mOhm: last[3],
    end_ms: last[0],
    change_pct: first[3] > 0 ? pct(last[3], first[3]) : null,
    slope_pct_per_month: slope !== null && reference !== null ? (100 * slope) / reference : null,
    slope_reference: baseline_mOhm !== null ? 'baseline' : 'start',
    baseline_mOhm,
    over_baseline_pct: baseline_mOhm !== null ? pct(last[3], baseline_mOhm) : null,
    buckets: rs.length,
  };
}

export interface BatteryMonth {
  position: number;
  /** battery/S/P, the channel prefix and the attention answer's name. */
  battery: string;
  /** null: no resistance sample in the month (new, silent or not in the answer at all). */
  figures: ResistanceFigures | null;
  /** The gateway's recommendation now, when it is one (anything but "ok"). */
  attention?: BatteryAttention;
}

/** battery/S/P/resistance and battery/S/P/resistance_baseline of every battery, in order. */
export function resistanceChannels(stringId: number, batteries: number, quantity: 'resistance' | 'resistance_baseline' = 'resistance'): string[] {
  return Array.from({ length: batteries }, (_, k) => `battery/${stringId}/${k + 1}/${quantity}`);
}

/**
 * A row for every battery of the string (1..batteries, whatever the answers hold: a battery
 * missing from them shows as "no data", never disappears), sorted worst first.
 */
export function batteryMonths(
  stringId: number,
  batteries: number,
  resistance: HistorySeries[],
  baseline: HistorySeries[] | undefined,
  attention: BatteryAttention[] | undefined,
): BatteryMonth[] {
  const byChannel = new Map(resistance.map((s) => [s.channel, s.buckets]));
  const baselineByChannel = new Map((baseline ?? []).map((s) => [s.channel, s.buckets]));
  const rows = Array.from({ length: batteries }, (_, k): BatteryMonth => {
    const battery = `battery/${stringId}/${k + 1}`;
    const a = attention?.find((x) => x.battery === battery);
    return {
      position: k + 1,
      battery,
      figures: resistanceFigures(byChannel.get(`${battery}/resistance`) ?? [], baselineByChannel.get(`${battery}/resistance_baseline`)),
      attention: a && a.recommendation !== 'ok' ? a : undefined,
    };
  });
  return sortWorstFirst(rows);
}

/** Descending, unknown (null) last whatever the direction. */
function byFigure(a: number | null | undefined, b: number | null | undefined): number {
  const ka = a ?? null;
  const kb = b ?? null;
  if (ka === null && kb === null) return 0;
  if (ka === null) return 1;
  if (kb === null) return -1;
  return kb - ka;
}

/**
 * Worst first: the gateway's recommendation (replace now .. watch; none = ok), then furthest
 * over its baseline, then the largest rise in the month, then by position. Batteries without
 * data in the month come last: there is nothing in them to judge, and the table says so.
 */
export function sortWorstFirst(rows: BatteryMonth[]): BatteryMonth[] {
  const rank = (r: BatteryMonth) => RECOMMENDATIONS.indexOf(r.attention?.recommendation ?? 'ok');
  return [...rows].sort((a, b) => {
    if ((a.figures === null) !== (b.figures === null)) return a.figures === null ? 1 : -1;
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    return (
      byFigure(a.figures?.over_baseline_pct, b.figures?.over_baseline_pct) ||
      byFigure(a.figures?.change_pct, b.figures?.change_pct) ||
      a.position - b.position
    );
  });
}

/** The events of a string and its batteries (string/S, string/S/..., battery/S/...). */
export function stringEvents(events: LogEvent[], stringId: number): LogEvent[] {
  return events.filter((e) => sourceMatches(e.source, `string/${stringId}`));
}

/** How many of each kind, in the log's order of kinds (others after, by name); none left out as 0. */
export function countByKind(events: LogEvent[]): { kind: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  const known: string[] = [...EVENT_KINDS];
  const order = (k: string) => (known.includes(k) ? known.indexOf(k) : known.length);
  return [...counts.entries()]
    .map(([kind, count]) => ({ kind, count }))
    .sort((a, b) => order(a.kind) - order(b.kind) || a.kind.localeCompare(b.kind));
}

export interface AlarmLine {
  raised: LogEvent;
  /** Who acknowledged it and when, if within the events given (the month). */
  acknowledged?: { user: string; time_ms: number };
  cleared_ms?: number;
}

/**
 * Each alarm raised, with the acknowledgement and clearing that followed it: the events of the
 * same source and rule after it and before that alarm was raised again.
 */
export function alarmLines(events: LogEvent[]): AlarmLine[] {
  const sorted = [...events].sort((a, b) => a.time_ms - b.time_ms || a.id - b.id);
  const lines: AlarmLine[] = [];
  const open = new Map<string, AlarmLine>();
  for (const e of sorted) {
    const key = `${e.source}:${e.rule}`;
    if (e.kind === 'alarm_raised') {
      const line: AlarmLine = { raised: e };
      lines.push(line);
      open.set(key, line);
    } else if (e.kind === 'alarm_acknowledged') {
      const line = open.get(key);
      if (line && !line.acknowledged) line.acknowledged = { user: e.user, time_ms: e.time_ms };
    } else if (e.kind === 'alarm_cleared') {
      const line = open.get(key);
      if (line && line.cleared_ms === undefined) line.cleared_ms = e.time_ms;
    }
  }
  return lines;
}

/**
 * Pages of /api/v1/events (the newest `limit` of a range, ascending) joined: the next page is
 * asked with `to` one millisecond past the oldest event seen (the range is [from, to), so events
 * sharing that millisecond are asked again and dropped here by id rather than missed).
 * Returns the joined events and the next `to`, or undefined when the range is complete.
 */
export function joinEventPage(
  have: LogEvent[],
  page: { events: LogEvent[]; limit_reached: boolean },
  from_ms: number,
): { events: LogEvent[]; nextTo_ms?: number } {
  const ids = new Set(have.map((e) => e.id));
  const fresh = page.events.filter((e) => !ids.has(e.id));
  const events = [...fresh, ...have].sort((a, b) => a.time_ms - b.time_ms || a.id - b.id);
  // No new event in a full page: more events share one millisecond than a page holds. Stop
  // rather than loop; the caller says the list may be incomplete.
  if (!page.limit_reached || fresh.length === 0) return { events };
  const oldest = Math.min(...page.events.map((e) => e.time_ms));
  return oldest + 1 > from_ms ? { events, nextTo_ms: oldest + 1 } : { events };
}

export interface DischargeLine {
  discharge: Discharge;
  kind: ReturnType<typeof dischargeKind>;
  /** Runtime against the prediction for a full discharge only (the discharge report's rule). */
  runtime: string;
}

/** The month's discharges of the string, oldest first, judged as the discharge report does. */
export function dischargeLines(discharges: Discharge[], endString_V: number | undefined): DischargeLine[] {
  return [...discharges]
    .sort((a, b) => a.start_ms - b.start_ms)
    .map((d) => {
      const kind = dischargeKind(d, endString_V);
      const minutes = typeof d.duration_min === 'number' && d.duration_min > 0 ? `${d.duration_min.toFixed(1)} min` : 'unknown duration';
      return { discharge: d, kind, runtime: kind === 'full' ? runtimeVersusPrediction(d) : `${minutes} (not compared: ${kind} discharge)` };
    });
}
