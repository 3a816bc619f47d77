import { ConfigField, buildPatch, checkChanges, checkValue, diffConfig, fieldPath } from './settings';

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
