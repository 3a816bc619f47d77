import { describe, expect, it } from 'vitest';
import { batteryDeviations, dischargeKind } from './report';

const d = (min: number | null, running = false) => ({ min_string_voltage_V: min, min_battery_voltage_V: [], actual_runtime_min: 9, predicted_runtime_min: 10, running });

describe('discharge kind', () => {
  it('is full only when the string reached its end voltage (within 1 %)', () => {
    expect(dischargeKind(d(432.0), 432)).toBe('full');
    expect(dischargeKind(d(436.3), 432)).toBe('full');
    expect(dischargeKind(d(436.4), 432)).toBe('partial');
    expect(dischargeKind(d(500), 432)).toBe('partial');
  });
  it('says running or unknown rather than guess', () => {
    expect(dischargeKind(d(400, true), 432)).toBe('running');
    expect(dischargeKind(d(null), 432)).toBe('unknown');
    expect(dischargeKind(d(430), undefined)).toBe('unknown');
  });
});

describe('battery deviations', () => {
  it('measures each minimum against the median, ranks the lowest first and flags those under the end voltage', () => {
    const rows = batteryDeviations([11.9, 12.0, 10.7, null, 12.1], 10.8);
    expect(rows.map((r) => r.deviation_mV)).toEqual([-50, 50, -1250, undefined, 150]);
    expect(rows.map((r) => r.rank)).toEqual([2, 3, 1, undefined, 4]);
    expect(rows.map((r) => r.belowEnd)).toEqual([false, false, true, false, false]);
    expect(rows[2].deviation_pct).toBe(-10.5);
  });
  it('has no figures without measurements', () => expect(batteryDeviations([0, null]).every((r) => r.min_V === undefined)).toBe(true));
});
