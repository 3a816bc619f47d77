import { ConfigField, buildPatch, checkChanges, checkValue, diffConfig, fieldPath, displayUnit, formatFieldValue, groupFields, shownField, shownValue } from './settings';

const fields: ConfigField[] = [
  { name: 'battery.temperature_alarm_C', unit: '°C', min: 20, max: 80, per_string: true, description: '' },
  { name: 'battery.voltage_high_V', unit: 'V', min: 12, max: 16, per_string: true, description: '' },
  { name: 'debounce_count', unit: '', min: 1, max: 100, per_string: false, description: '', type: 'integer' },
  { name: 'equalization_enabled', unit: '', min: 0, max: 1, per_string: false, description: '' },
];
const config = {
  defaults: { battery: { temperature_alarm_C: 45, voltage_high_V: 14.4 } },
  per_string: { '2': { battery: { temperature_alarm_C: 40 } } },
  debounce_count: 3,
  equalization_enabled: true,
};

describe('field paths', () => {
  test('limit fields under defaults, timings on top, overrides per string', () => {
    expect(fieldPath(config, fields[0])).toEqual(['defaults', 'battery', 'temperature_alarm_C']);
    expect(fieldPath(config, fields[2])).toEqual(['debounce_count']);
    expect(fieldPath(config, fields[0], 3)).toEqual(['per_string', '3', 'battery', 'temperature_alarm_C']);
  });
});

describe('range checks', () => {
  test.each([
    [45, undefined],
    [20, undefined],
    [80, undefined],
    [19.9, /below the minimum 20/],
    [300, /above the maximum 80/],
    ['abc', /not a number/],
    ['', /not a number/],
  ])('%s', (v, problem) => {
    const p = checkValue(fields[0], v as any);
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeUndefined();
  });
});

test('integer fields refuse fractions', () => {
  expect(checkValue(fields[2], '2.5')).toMatch(/not a whole number/);
  expect(checkValue(fields[2], '3')).toBeUndefined();
});

describe('change list and patch', () => {
  test('unchanged edits are not changes; changes are sorted by path', () => {
    const changes = diffConfig(config, fields, {
      'defaults.battery.temperature_alarm_C': '50',
      'defaults.battery.voltage_high_V': 14.4,
      debounce_count: '5',
      equalization_enabled: false,
    });
    expect(changes.map((c) => [c.path, c.from, c.to])).toEqual([
      ['debounce_count', 3, 5],
      ['defaults.battery.temperature_alarm_C', 45, 50],
      ['equalization_enabled', true, false],
    ]);
    expect(buildPatch(config, changes)).toEqual({
      debounce_count: 5,
      defaults: { battery: { temperature_alarm_C: 50 } },
      equalization_enabled: false,
    });
    expect(checkChanges(changes)).toEqual([]);
  });
  test('out-of-range changes are named by path', () => {
    const changes = diffConfig(config, fields, { 'per_string.1.battery.temperature_alarm_C': '300' });
    expect(changes[0].from).toBeUndefined();
    expect(checkChanges(changes)).toEqual(['per_string.1.battery.temperature_alarm_C: 300 is above the maximum 80']);
  });
  test('clearing an override sends the string\'s remaining overrides', () => {
    const changes = diffConfig(config, fields, {
      'per_string.2.battery.temperature_alarm_C': '',
      'per_string.2.battery.voltage_high_V': '14.2',
    });
    expect(changes.map((c) => c.to)).toEqual([undefined, 14.2]);
    expect(buildPatch(config, changes)).toEqual({ per_string: { '2': { battery: { voltage_high_V: 14.2 } } } });
  });
  test('clearing a missing override is no change', () => {
    expect(diffConfig(config, fields, { 'per_string.4.battery.temperature_alarm_C': '' })).toEqual([]);
  });
});

describe('settings by subject, durations and limit order', () => {
  const f = (name: string, unit: string, min: number, max: number): ConfigField => ({ name, unit, min, max, per_string: true, description: '' });
  const warning = f('battery.temperature_warning_C', '°C', 20, 80);
  const alarm = f('battery.temperature_alarm_C', '°C', 20, 80);
  const trip = f('battery.temperature_trip_C', '°C', 20, 90);
  const delay = f('battery.comm_lost_delay_ms', 'ms', 0, 600_000);
  const window = f('string.runaway_float_baseline_ms', 'ms', 60_000, 86_400_000);
  const config = {
    defaults: { battery: { temperature_warning_C: 35, temperature_alarm_C: 45, temperature_trip_C: 55, comm_lost_delay_ms: 5000 }, string: { runaway_float_baseline_ms: 1_800_000 } },
    per_string: { '2': { battery: { temperature_warning_C: 30, temperature_alarm_C: 40, temperature_trip_C: 50 } } },
  };
  const fields = [warning, alarm, trip, delay, window];

  it('groups fields by subject in a fixed order', () => {
    const groups = groupFields([delay, alarm, f('equalization.on_above_mean_per_cell_V', 'V', 0, 0.2), warning, window, f('battery.voltage_high_per_cell_V', 'V', 2, 2.7)]);
    expect(groups.map((g) => g.group)).toEqual(['Battery voltage', 'Battery temperature', 'Thermal runaway', 'Equalization', 'Delays, debouncing and latching']);
    expect(groups[1].fields.map((x) => x.name)).toEqual(['battery.temperature_alarm_C', 'battery.temperature_warning_C']);
  });
  it('shows durations in seconds, or minutes when they run to hours, and takes typed values in that unit', () => {
    expect(displayUnit(delay, 5000)).toEqual({ unit: 's', factor: 1000 });
    expect(displayUnit(window, 1_800_000)).toEqual({ unit: 'min', factor: 60_000 });
    const longDelay = f('string.relay_mismatch_delay_ms', 'ms', 0, 3_600_000);
    expect(displayUnit(longDelay, 5000)).toEqual({ unit: 's', factor: 1000 }); // 5 s is not whole minutes
    expect(displayUnit(longDelay, 120_000)).toEqual({ unit: 'min', factor: 60_000 });
    expect(shownValue(delay, 5000, 5000)).toBe('5');
    expect(shownValue(window, 1_800_000, 1_800_000)).toBe('30');
    expect(shownField(window, 1_800_000)).toMatchObject({ unit: 'min', min: 1, max: 1440 });
    expect(shownField({ ...delay, type: 'integer' }, 5000).type).toBe('number');
    const changes = diffConfig(config, fields, { 'defaults.battery.comm_lost_delay_ms': '7.5' });
    expect(changes.map((c) => c.to)).toEqual([7500]);
    expect(formatFieldValue(delay, 7500, 5000)).toBe('7.5 s');
  });
  it('shows a value in full', () => expect(shownValue(f('x', 'V', 0, 1), 0.0008333333333333334)).toBe('0.0008333333333'));
  it('refuses an alarm below its warning before the dialog, naming the field changed', () => {
    const changes = diffConfig(config, fields, { 'defaults.battery.temperature_alarm_C': '34' });
    expect(checkChanges(changes, config)).toEqual(['defaults.battery.temperature_alarm_C 34 °C must be above defaults.battery.temperature_warning_C (35 °C)']);
    const warningUp = diffConfig(config, fields, { 'defaults.battery.temperature_warning_C': '46' });
    expect(checkChanges(warningUp, config)).toEqual(['defaults.battery.temperature_warning_C 46 °C must be below defaults.battery.temperature_alarm_C (45 °C)']);
  });
  it('checks a string\'s overrides against each other and against the defaults they fall back on', () => {
    const override = diffConfig(config, fields, { 'per_string.2.battery.temperature_trip_C': '39' });
    expect(checkChanges(override, config)).toEqual(['per_string.2.battery.temperature_trip_C 39 °C must be above per_string.2.battery.temperature_alarm_C (40 °C)']);
    expect(checkChanges(diffConfig(config, fields, { 'defaults.battery.temperature_alarm_C': '50' }), config)).toEqual([]);
    expect(checkChanges(diffConfig(config, fields, { 'defaults.battery.temperature_alarm_C': '44' }), config)).toEqual([]);
  });
});
