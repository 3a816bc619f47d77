import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alarmLines,
  batteryMonths,
  countByKind,
  dischargeLines,
  formatMonth,
  hourlyPoints,
  joinEventPage,
  monthOf,
  monthRange,
  parseMonth,
  resistanceFigures,
  shiftMonth,
  slopePerMonth,
  stringEvents,
} from './monthly';
import { BatteryAttention } from './attention';
import { Bucket } from './history';
import { LogEvent } from './events';
import { Discharge } from './playback';

// Month boundaries are local time: the tests run in a zone with DST (Berlin: CET/CEST), set
// before any Date is made; Node re-reads TZ when it is assigned.
// (No @types/node in this project: the one Node global used here, declared.)
declare const process: { env: Record<string, string | undefined> };
const savedTz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'Europe/Berlin';
});
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const H = 3_600_000;
const D = 24 * H;

describe('months', () => {
  it('the zone is the one the tests assume', () => {
    // 2026-07-01 00:00 CEST is 2026-06-30 22:00 UTC.
    expect(new Date(2026, 6, 1).getTime()).toBe(Date.UTC(2026, 5, 30, 22));
  });
  it('parses only YYYY-MM with a real month', () => {
    expect(parseMonth('2026-12')).toEqual({ year: 2026, month: 12 });
    expect(parseMonth('2027-01')).toEqual({ year: 2027, month: 1 });
    for (const bad of ['2026-13', '2026-00', '2026-1', '2026-12-01', 'december', '', '1969-12', '12-2026']) expect(parseMonth(bad)).toBeUndefined();
    expect(formatMonth({ year: 2027, month: 1 })).toBe('2027-01');
  });
  it('December + 1 is January of the next year, and back', () => {
    expect(shiftMonth({ year: 2026, month: 12 }, 1)).toEqual({ year: 2027, month: 1 });
    expect(shiftMonth({ year: 2027, month: 1 }, -1)).toEqual({ year: 2026, month: 12 });
    expect(shiftMonth({ year: 2026, month: 5 }, -17)).toEqual({ year: 2024, month: 12 });
  });
  it('December runs from local midnight of the 1st to local midnight of 1 January', () => {
    const r = monthRange({ year: 2026, month: 12 });
    expect(r.from_ms).toBe(Date.UTC(2026, 10, 30, 23)); // 1 Dec 00:00 CET
    expect(r.to_ms).toBe(Date.UTC(2026, 11, 31, 23)); // 1 Jan 2027 00:00 CET
    expect(r.to_ms).toBe(monthRange({ year: 2027, month: 1 }).from_ms);
    // The last millisecond of the year is December's, midnight is January's.
    expect(monthOf(r.to_ms - 1)).toEqual({ year: 2026, month: 12 });
    expect(monthOf(r.to_ms)).toEqual({ year: 2027, month: 1 });
    expect(hourlyPoints(r)).toBe(31 * 24);
  });
  it('a month with a DST change is an hour shorter (March) or longer (October), one bucket per hour', () => {
    const march = monthRange({ year: 2026, month: 3 });
    expect(march.to_ms - march.from_ms).toBe(31 * D - H);
    expect(march.to_ms).toBe(Date.UTC(2026, 2, 31, 22)); // 1 Apr 00:00 CEST
    expect(hourlyPoints(march)).toBe(743);
    const october = monthRange({ year: 2026, month: 10 });
    expect(october.to_ms - october.from_ms).toBe(31 * D + H);
    expect(hourlyPoints(october)).toBe(745);
    // Every bucket at least an hour: the gateway answers from its hour tier.
    for (const r of [march, october]) expect((r.to_ms - r.from_ms) / hourlyPoints(r)).toBeGreaterThanOrEqual(H);
  });
});

const bucket = (t: number, mean: number, count = 60): Bucket => [t, mean - 0.01, mean + 0.01, mean, count];

describe('resistance figures', () => {
  const t0 = Date.UTC(2026, 11, 1);
  it('start and end are the first and last hours with samples; change and slope against the baseline', () => {
    // 4.0 → 4.4 mΩ linearly over 30 days (31 daily buckets): +10 %, +0.4 mΩ per month = 10 % of a 4.0 baseline.
    const rs = Array.from({ length: 31 }, (_, d) => bucket(t0 + d * D, 4.0 + (0.4 * d) / 30));
    const f = resistanceFigures(rs, [bucket(t0, 3.9), bucket(t0 + 20 * D, 4.0)])!;
    expect(f.start_mOhm).toBe(4.0);
    expect(f.end_mOhm).toBeCloseTo(4.4, 9);
    expect(f.end_ms).toBe(t0 + 30 * D);
    expect(f.change_pct).toBeCloseTo(10, 9);
    expect(f.baseline_mOhm).toBe(4.0); // the one in force at the end
    expect(f.slope_reference).toBe('baseline');
    expect(f.slope_pct_per_month).toBeCloseTo(10, 6);
    expect(f.over_baseline_pct).toBeCloseTo(10, 9);
  });
  it('without a learned baseline the slope is against the start value and there is no % over baseline', () => {
    const rs = [bucket(t0, 5), bucket(t0 + 15 * D, 5.25), bucket(t0 + 30 * D, 5.5)];
    const f = resistanceFigures(rs)!;
    expect(f.slope_reference).toBe('start');
    expect(f.slope_pct_per_month).toBeCloseTo(10, 9);
    expect(f.baseline_mOhm).toBeNull();
    expect(f.over_baseline_pct).toBeNull();
  });
  it('no slope from under a day of data or fewer than 3 buckets; no figures from no data', () => {
    expect(resistanceFigures([bucket(t0, 4), bucket(t0 + H, 4.1), bucket(t0 + 2 * H, 4.2)])!.slope_pct_per_month).toBeNull();
    expect(slopePerMonth([[t0, 4], [t0 + 10 * D, 4.1]])).toBeNull();
    expect(resistanceFigures([])).toBeNull();
    expect(resistanceFigures([[t0, 0, 0, 0, 0]])).toBeNull(); // a bucket without samples is not a value
  });
  it('unsorted buckets do not swap start and end', () => {
    const f = resistanceFigures([bucket(t0 + 2 * D, 4.2), bucket(t0, 4.0), bucket(t0 + D, 4.1)])!;
    expect([f.start_mOhm, f.end_mOhm]).toEqual([4.0, 4.2]);
  });
});

const attention = (battery: string, recommendation: BatteryAttention['recommendation']): BatteryAttention =>
  ({ battery, recommendation, reasons: [`${battery} reason`] }) as BatteryAttention;

describe('battery rows', () => {
  const t0 = Date.UTC(2026, 11, 1);
  const series = (p: number, start: number, end: number) => ({
    channel: `battery/1/${p}/resistance`,
    unit: 'mΩ',
    buckets: [bucket(t0, start), bucket(t0 + 15 * D, (start + end) / 2), bucket(t0 + 30 * D, end)],
  });
  const baselines = [1, 2, 3, 4, 5].map((p) => ({ channel: `battery/1/${p}/resistance_baseline`, unit: 'mΩ', buckets: [bucket(t0, 4)] }));
  it('every battery of the string has a row, missing ones as no data, sorted worst first', () => {
    const rows = batteryMonths(
      1,
      6,
      // 3 and 6 missing from the answer; 5 has no buckets at all.
      [series(1, 4, 4.1), series(2, 4, 4.8), series(4, 4, 5.0), { channel: 'battery/1/5/resistance', unit: 'mΩ', buckets: [] }],
      baselines,
      [attention('battery/1/1', 'plan_replacement'), attention('battery/1/2', 'ok'), attention('battery/1/4', 'watch')],
    );
    expect(rows.map((r) => r.position)).toEqual([1, 4, 2, 3, 5, 6]);
    expect(rows.find((r) => r.position === 2)!.attention).toBeUndefined(); // "ok" is no recommendation
    expect(rows.find((r) => r.position === 1)!.attention?.recommendation).toBe('plan_replacement');
    expect(rows.filter((r) => r.figures === null).map((r) => r.position)).toEqual([3, 5, 6]);
    expect(rows[1].figures!.over_baseline_pct).toBeCloseTo(25, 9);
  });
  it('without baselines the largest rise in the month comes first', () => {
    const rows = batteryMonths(1, 3, [series(1, 4, 4.1), series(2, 4, 4.4), series(3, 4, 4.2)], undefined, undefined);
    expect(rows.map((r) => r.position)).toEqual([2, 3, 1]);
  });
  it('an empty string or empty answers still give one row per battery', () => {
    expect(batteryMonths(2, 0, [], [], [])).toEqual([]);
    const rows = batteryMonths(2, 3, [], undefined, undefined);
    expect(rows.map((r) => [r.battery, r.figures])).toEqual([
      ['battery/2/1', null],
      ['battery/2/2', null],
      ['battery/2/3', null],
    ]);
  });
});

const ev = (id: number, time_ms: number, kind: string, source: string, rule = '', user = ''): LogEvent => ({
  id,
  time_ms,
  kind,
  severity: 'alarm',
  source,
  rule,
  text: `${kind} ${source}`,
  user,
  value: null,
});

describe('events of the month', () => {
  const events = [
    ev(1, 100, 'alarm_raised', 'battery/1/12', 'battery_resistance_alarm'),
    ev(2, 110, 'alarm_raised', 'battery/10/1', 'battery_resistance_alarm'), // string 10, not 1
    ev(3, 120, 'alarm_acknowledged', 'battery/1/12', 'battery_resistance_alarm', 'olga'),
    ev(4, 130, 'alarm_cleared', 'battery/1/12', 'battery_resistance_alarm'),
    ev(5, 140, 'alarm_raised', 'battery/1/12', 'battery_resistance_alarm'),
    ev(6, 150, 'string_tripped', 'string/1'),
    ev(7, 160, 'config_changed', 'site'),
    ev(8, 170, 'alarm_raised', 'string/1/insulation', 'insulation_low'),
  ];
  it('takes the string and its batteries only', () => {
    expect(stringEvents(events, 1).map((e) => e.id)).toEqual([1, 3, 4, 5, 6, 8]);
    expect(stringEvents([], 1)).toEqual([]);
  });
  it('counts by kind in the log\'s order of kinds', () => {
    expect(countByKind(stringEvents(events, 1))).toEqual([
      { kind: 'alarm_raised', count: 3 },
      { kind: 'alarm_cleared', count: 1 },
      { kind: 'alarm_acknowledged', count: 1 },
      { kind: 'string_tripped', count: 1 },
    ]);
    expect(countByKind([])).toEqual([]);
  });
  it('an acknowledgement belongs to the alarm it followed, not to the next one of the same rule', () => {
    const lines = alarmLines(stringEvents(events, 1));
    expect(lines.map((l) => [l.raised.id, l.acknowledged?.user, l.cleared_ms])).toEqual([
      [1, 'olga', 130],
      [5, undefined, undefined],
      [8, undefined, undefined],
    ]);
  });
  it('joins pages of the events API without losing events that share a millisecond', () => {
    const p1 = { events: [ev(5, 500, 'note', 'string/1'), ev(6, 500, 'note', 'string/1'), ev(7, 600, 'note', 'string/1')], limit_reached: true };
    const a = joinEventPage([], p1, 0);
    expect(a.nextTo_ms).toBe(501);
    const p2 = { events: [ev(4, 400, 'note', 'string/1'), ev(5, 500, 'note', 'string/1'), ev(6, 500, 'note', 'string/1')], limit_reached: true };
    const b = joinEventPage(a.events, p2, 0);
    expect(b.events.map((e) => e.id)).toEqual([4, 5, 6, 7]);
    expect(b.nextTo_ms).toBe(401);
    const c = joinEventPage(b.events, { events: [ev(3, 300, 'note', 'string/1')], limit_reached: false }, 0);
    expect(c.events.map((e) => e.id)).toEqual([3, 4, 5, 6, 7]);
    expect(c.nextTo_ms).toBeUndefined();
    // A full page with nothing new (more events in one millisecond than a page): stop.
    expect(joinEventPage(b.events, p2, 0).nextTo_ms).toBeUndefined();
  });
});

describe('discharges of the month', () => {
  const d = (start_ms: number, min: number): Discharge =>
    ({ id: `1-${start_ms}`, string_id: 1, start_ms, end_ms: start_ms + 600_000, duration_min: 10, min_string_voltage_V: min, actual_runtime_min: 10, predicted_runtime_min: 40, running: false }) as Discharge;
  it('full ones are compared with the prediction, partial ones are not; oldest first', () => {
    const lines = dischargeLines([d(2000, 500), d(1000, 432)], 432);
    expect(lines.map((l) => [l.discharge.start_ms, l.kind])).toEqual([
      [1000, 'full'],
      [2000, 'partial'],
    ]);
    expect(lines[0].runtime).toBe('10.0 min of 40.0 min predicted (25 %)');
    expect(lines[1].runtime).toBe('10.0 min (not compared: partial discharge)');
    expect(dischargeLines([], 432)).toEqual([]);
  });
});
