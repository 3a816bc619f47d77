import { describe, expect, it } from 'vitest';
import { barTones, limitLines } from './limits';
import { ActiveAlarm } from './events';

const alarm = (source: string, rule: string, severity: ActiveAlarm['severity']): ActiveAlarm => ({
  key: `${source}:${rule}`, source, rule, severity, text: '', since_ms: 0, value: null, acknowledged: false,
  acknowledged_by: '', acknowledged_ms: 0, waiting_for_ack: false,
});

describe('bar tones from the engine\'s alarms', () => {
  const alarms = [
    alarm('battery/1/2', 'battery_temperature_warning', 'warning'),
    alarm('battery/1/3', 'battery_temperature_warning', 'warning'),
    alarm('battery/1/3', 'battery_temperature_alarm', 'alarm'),
    alarm('battery/1/4', 'battery_resistance_alarm', 'alarm'),
    alarm('battery/12/1', 'battery_temperature_trip', 'trip'), // string 12, not string 1
    alarm('string/1', 'string_voltage_high', 'alarm'),
  ];
  it('colours only the batteries with an alarm on that quantity, the worse severity winning', () => {
    expect(barTones(alarms, 1, 5, 'temperature')).toEqual(['ok', 'warn', 'err', 'ok', 'ok']);
    expect(barTones(alarms, 1, 5, 'resistance')).toEqual(['ok', 'ok', 'ok', 'err', 'ok']);
    expect(barTones(alarms, 1, 5, 'voltage')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(barTones(alarms, 12, 1, 'temperature')).toEqual(['err']);
  });
  it('is all ok without alarms', () => expect(barTones(undefined, 1, 2, 'voltage')).toEqual(['ok', 'ok']));
});

describe('limit lines from the configuration', () => {
  const config = {
    defaults: { battery: { voltage_high_per_cell_V: 2.4, voltage_low_per_cell_V: 2.18, voltage_always_low_per_cell_V: 2.0, temperature_warning_C: 35, temperature_alarm_C: 45, temperature_trip_C: 55, resistance_warning_pct: 20, resistance_alarm_pct: 50 } },
    per_string: { '2': { battery: { voltage_high_per_cell_V: 2.35, voltage_low_per_cell_V: 2.2, temperature_warning_C: 30, temperature_alarm_C: 40, temperature_trip_C: 50, resistance_warning_pct: 15, resistance_alarm_pct: 40 } } },
  };
  it('scales per-cell voltage limits by the cells of a battery', () => {
    const l = limitLines(config, 1, 6);
    expect(l.voltage.map((x) => +x.value.toFixed(2))).toEqual([14.4, 13.08]);
    expect(l.temperature.map((x) => [x.value, x.tone])).toEqual([[35, 'warn'], [45, 'err'], [55, 'err']]);
    expect(l.resistancePct).toEqual({ warning: 20, alarm: 50 });
  });
  it('judges an open or discharging string against the always-low limit', () => {
    const off = limitLines(config, 1, 6, false).voltage;
    expect(off.map((x) => [+x.value.toFixed(2), x.label])).toEqual([[14.4, 'high alarm'], [12, 'low alarm off float']]);
  });
  it('takes a string\'s own limits over the defaults', () => {
    expect(limitLines(config, 2, 6).temperature[0].value).toBe(30);
    expect(limitLines(config, 2, 6).resistancePct).toEqual({ warning: 15, alarm: 40 });
  });
  it('draws no voltage line without the cell count, nothing without a configuration', () => {
    expect(limitLines(config, 1, undefined).voltage).toEqual([]);
    expect(limitLines(undefined, 1, 6)).toEqual({ voltage: [], temperature: [], resistancePct: undefined });
  });
});
