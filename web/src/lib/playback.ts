// Discharge playback: the battery bar chart at a chosen moment of a discharge, from the
// history buckets of every battery's voltage, and the weakest batteries.
import { Bucket, HistorySeries } from './history';

export interface Discharge {
  id: string;
  string_id: number;
  start_ms: number;
  end_ms: number;
  duration_min: number;
  ah_out: number;
  energy_out_kWh: number;
  min_string_voltage_V: number;
  peak_current_A: number;
  weakest_position: number;
  min_battery_voltage_V: number[];
  predicted_runtime_min: number;
  actual_runtime_min: number;
  soc_start_pct: number;
  soc_end_pct: number;
  running: boolean;
  /** Capacity at C10 in % of rated when the discharge was a capacity test, else null. */
  measured_capacity_pct?: number | null;
  /** The gateway's judgement of it (null when the string's battery type is unknown). */
  capacity_test?: CapacityTest | null;
}

/** A discharge judged as a capacity test against the pass limit (IEEE 1188: 80 % of rated). */
export interface CapacityTest {
  result: 'pass' | 'fail' | 'not_a_test' | 'running';
  reason: string;
  pass_pct: number;
  rated_Ah: number;
  measured_pct?: number;
}

/**
 * Index of the bucket in force at `t_ms`: the last one starting at or before it (binary
 * search, buckets ascending); -1 before the first.
 */
export function bucketAt(buckets: Bucket[], t_ms: number): number {
  let lo = 0;
  let hi = buckets.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (buckets[mid][0] <= t_ms) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Each series' mean at `t_ms`, undefined when its bucket in force is older than `max_age_ms`
 * (a gap: not shown as if it were the value at that moment).
 */
export function valuesAt(series: HistorySeries[], t_ms: number, max_age_ms: number): (number | undefined)[] {
  return series.map((s) => {
    const i = bucketAt(s.buckets, t_ms);
    if (i < 0) return undefined;
    const b = s.buckets[i];
    return t_ms - b[0] > max_age_ms ? undefined : b[3];
  });
}

/** The slider's moments: the union of bucket starts, ascending. */
export function timeline(series: HistorySeries[]): number[] {
  const set = new Set<number>();
  for (const s of series) for (const b of s.buckets) set.add(b[0]);
  return [...set].sort((a, b) => a - b);
}

/** Positions (1-based) of the `n` batteries with the lowest minimum voltage; 0 V = never read. */
export function weakestPositions(minVoltages: number[], n: number): number[] {
  return minVoltages
    .map((v, i) => ({ v, position: i + 1 }))
    .filter((x) => x.v > 0)
    .sort((a, b) => a.v - b.v)
    .slice(0, n)
    .map((x) => x.position);
}

/** "15.0 min of 41.0 min predicted (37 %)", or what is unknown. */
export function runtimeVersusPrediction(d: { actual_runtime_min: number | null; predicted_runtime_min: number | null; running: boolean }): string {
  // null (not measurable) and 0 both mean unknown.
  const had = d.actual_runtime_min ?? 0;
  const predicted = d.predicted_runtime_min ?? 0;
  const actual = had > 0 ? `${had.toFixed(1)} min` : d.running ? 'running' : 'unknown';
  if (predicted <= 0) return `${actual}; no prediction`;
  const pct = had > 0 ? ` (${Math.round((100 * had) / predicted)} %)` : '';
  return `${actual} of ${predicted.toFixed(1)} min predicted${pct}`;
}
