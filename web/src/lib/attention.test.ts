import { describe, expect, it } from 'vitest';
import { BatteryAttention, gatewayRows, sortRows, tone, visibleRows } from './attention';

const row = (id: string, over: number | null, rec: BatteryAttention['recommendation'] = 'ok'): BatteryAttention => {
  const [, s, p] = id.split('/');
  return {
    battery: id, string_id: +s, position: +p, ups_id: 1, recommendation: rec, reasons: [], readings_ok: true,
    voltage_V: 13.5, temperature_C: 24, resistance_mOhm: 4, baseline_mOhm: 4, over_baseline_pct: over,
    soh_pct: 98, balancing: false, trend_pct_per_month: null, rise_in_week_pct: null, mean_temperature_C: null,
    max_over_ambient_K: null, recent_discharges: 0, weakest_in_recent: 0,
  };
};

describe('attention rows', () => {
  // The gateway's order: most urgent first.
  const rows = [row('battery/1/12', 60, 'replace_now'), row('battery/2/3', 25, 'plan_replacement'), row('battery/1/1', null), row('battery/1/2', 2)];
  it('keeps the gateway ranking for rank', () => expect(sortRows(rows, 'rank', false).map((r) => r.battery)).toEqual(rows.map((r) => r.battery)));
  it('sorts by a figure both ways with unknown values last', () => {
    expect(sortRows(rows, 'over_baseline_pct', true).map((r) => r.battery)).toEqual(['battery/1/12', 'battery/2/3', 'battery/1/2', 'battery/1/1']);
    expect(sortRows(rows, 'over_baseline_pct', false).map((r) => r.battery)).toEqual(['battery/1/2', 'battery/2/3', 'battery/1/12', 'battery/1/1']);
  });
  it('sorts batteries by string then position', () =>
    expect(sortRows(rows, 'battery', false).map((r) => r.battery)).toEqual(['battery/1/1', 'battery/1/2', 'battery/1/12', 'battery/2/3']));
  it('filters one string and hides the healthy unless asked', () => {
    expect(visibleRows(rows, 0, false).map((r) => r.battery)).toEqual(['battery/1/12', 'battery/2/3']);
    expect(visibleRows(rows, 1, true).map((r) => r.battery)).toEqual(['battery/1/12', 'battery/1/1', 'battery/1/2']);
  });
  it('filters the site list by gateway, keeping the site ranking', () => {
    const site = [
      { ...row('battery/1/4', 60, 'replace_now'), gateway: 'gw2', battery: 'gw2/battery/1/4' },
      { ...row('battery/1/4', 25, 'plan_replacement'), gateway: 'gw1', battery: 'gw1/battery/1/4' },
      { ...row('battery/2/1', 21, 'watch'), gateway: 'gw2', battery: 'gw2/battery/2/1' },
    ];
    expect(gatewayRows(site, '').map((r) => r.battery)).toEqual(['gw2/battery/1/4', 'gw1/battery/1/4', 'gw2/battery/2/1']);
    expect(gatewayRows(site, 'gw2').map((r) => r.battery)).toEqual(['gw2/battery/1/4', 'gw2/battery/2/1']);
    expect(gatewayRows(site, 'gw9')).toEqual([]);
  });
  it('is red only beyond a replace limit', () => {
    expect(tone('replace_now')).toBe('err');
    expect(tone('plan_replacement')).toBe('warn');
    expect(tone('ok')).toBe('ok');
  });
});
