/** The discharge report's judgement: full or partial, and each battery against the string. */

export interface DischargeFigures {
  min_string_voltage_V: number | null;
  min_battery_voltage_V: (number | null)[];
  actual_runtime_min: number | null;
  predicted_runtime_min: number | null;
  running: boolean;
}

/**
 * A full discharge ran the string down to its end voltage (within 1 %): only then is the runtime
 * a measure of capacity, compared with the prediction. Anything shorter is partial.
 */
export function dischargeKind(d: DischargeFigures, endVoltage_V: number | undefined): 'full' | 'partial' | 'running' | 'unknown' {
  if (d.running) return 'running';
  if (endVoltage_V === undefined || d.min_string_voltage_V === null || !(d.min_string_voltage_V > 0)) return 'unknown';
  return d.min_string_voltage_V <= endVoltage_V * 1.01 ? 'full' : 'partial';
}

export interface BatteryDeviation {
  position: number;
  min_V: number | undefined;
  /** Its minimum against the median of the string's minimums, in mV (negative: lower). */
  deviation_mV: number | undefined;
  deviation_pct: number | undefined;
  /** Below its share of the end voltage: this block ended (or would have ended) the discharge. */
  belowEnd: boolean;
  rank: number | undefined; // 1 = the lowest minimum
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Every battery's lowest voltage in the discharge against the median of them all (the string's
 * typical block), with its rank; `endPerBattery_V` (the end voltage per block) flags the blocks
 * that went below it. Unmeasured batteries (null or 0) have no figures.
 */
export function batteryDeviations(minVoltages: (number | null)[], endPerBattery_V?: number): BatteryDeviation[] {
  const measured = minVoltages.filter((v): v is number => typeof v === 'number' && v > 0);
  const mid = measured.length ? median(measured) : undefined;
  const order = minVoltages
    .map((v, i) => ({ v, i }))
    .filter((x): x is { v: number; i: number } => typeof x.v === 'number' && x.v > 0)
    .sort((a, b) => a.v - b.v);
  const rank = new Map(order.map((x, k) => [x.i, k + 1]));
  return minVoltages.map((v, i) => {
    const ok = typeof v === 'number' && v > 0 && mid !== undefined;
    return {
      position: i + 1,
      min_V: ok ? v! : undefined,
      deviation_mV: ok ? Math.round((v! - mid!) * 1000) : undefined,
      deviation_pct: ok ? Math.round(((v! - mid!) / mid!) * 1000) / 10 : undefined,
      belowEnd: ok && endPerBattery_V !== undefined && v! < endPerBattery_V,
      rank: rank.get(i),
    };
  });
}

/**
 * A string's end voltages (the capacity test's end voltage per cell, from the engine's
 * configuration: the string's own value over the defaults) per block and for the string;
 * undefined when the configuration or the battery type's cell count is not known.
 */
export function endVoltages(
  config: any,
  string: { id: number; batteries: number; cells?: number } | undefined,
): { perCell_V?: number; perBattery_V?: number; string_V?: number } {
  if (!string) return {};
  const perCell_V: number | undefined =
    config?.per_string?.[String(string.id)]?.string?.capacity_test_end_per_cell_V ?? config?.defaults?.string?.capacity_test_end_per_cell_V;
  const perBattery_V = perCell_V !== undefined && string.cells ? perCell_V * string.cells : undefined;
  const string_V = perBattery_V !== undefined ? perBattery_V * string.batteries : undefined;
  return { perCell_V, perBattery_V, string_V };
}
