import { exportDocument, exportFileName, fieldAt, parseImport, prepareImport, previewRows } from './config_transfer';
import { ConfigField } from './settings';

const f = (name: string, unit: string, min: number, max: number, per_string = true, type?: ConfigField['type']): ConfigField => ({ name, unit, min, max, per_string, description: '', type });
const fields: ConfigField[] = [
  { ...f('battery.temperature_warning_C', '°C', 20, 80), description: 'Battery temperature warning' },
  { ...f('battery.temperature_alarm_C', '°C', 20, 80), description: 'Battery temperature alarm' },
  f('battery.temperature_trip_C', '°C', 20, 90),
  f('battery.comm_lost_delay_ms', 'ms', 0, 600_000),
  f('debounce_count', '', 1, 100, false, 'integer'),
  f('equalization.enabled', '', 0, 1, false, 'boolean'),
  f('equalization.on_above_mean_per_cell_V', 'V', 0, 0.2, false),
];
const limits = (warning: number, alarm: number, trip: number) => ({ battery: { temperature_warning_C: warning, temperature_alarm_C: alarm, temperature_trip_C: trip, comm_lost_delay_ms: 5000 } });
const current = {
  defaults: limits(35, 45, 55),
  per_string: { '2': limits(30, 40, 50) },
  debounce_count: 3,
  equalization: { enabled: true, on_above_mean_per_cell_V: 0.05, reference: 'mean' },
  alarm_outputs: [] as unknown[],
};
const copy = (): typeof current => JSON.parse(JSON.stringify(current));
const exported = (config: object, site = 'DC1 Hall A') => JSON.stringify(exportDocument(config, site, 1_700_000_000_000));

describe('export', () => {
  test('the file holds the format version, the time, the site and the config', () => {
    expect(exportDocument(current, 'DC1', 42)).toEqual({ btms_config: 1, exported_ms: 42, site: 'DC1', config: current });
  });
  test('file name: site and local day, unsafe characters replaced', () => {
    expect(exportFileName('dc1', new Date(2026, 11, 5, 23, 59))).toBe('btms-config-dc1-2026-12-05.json');
    expect(exportFileName('Hall A / row 3', new Date(2026, 0, 9))).toBe('btms-config-Hall-A-row-3-2026-01-09.json');
    expect(exportFileName('  ', new Date(2026, 0, 9))).toBe('btms-config-site-2026-01-09.json');
  });
});

describe('file checks', () => {
  test.each([
    ['not JSON', '{"btms_config": 1,', /not JSON/],
    ['a list', '[1, 2]', /holds a list, not a configuration object/],
    ['a number', '42', /holds a number, not a configuration object/],
    ['null', 'null', /holds null/],
    ['another version', '{"btms_config": 2, "config": {}}', /format version 2; this gateway reads version 1 only/],
    ['a version as text', '{"btms_config": "1", "config": {}}', /format version "1"/],
    ['an export without config', '{"btms_config": 1, "site": "x"}', /without its "config" object/],
    ['a config that is not an object', '{"btms_config": 1, "config": [1]}', /"config" is not an object/],
    ['an answer with a bad config', '{"config": "x"}', /"config" is not an object/],
    ['neither an export nor a config', '{"hello": 1}', /no "btms_config" and no "config"/],
  ])('refused: %s', (_, text, why) => {
    const r = parseImport(text, fields);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(why);
  });
  test('an export file, the GET answer and the bare config are accepted', () => {
    expect(parseImport(exported(current), fields)).toEqual({ ok: true, config: current, form: 'export', site: 'DC1 Hall A', exportedMs: 1_700_000_000_000 });
    expect(parseImport(JSON.stringify({ config: current, fields }), fields)).toEqual({ ok: true, config: current, form: 'answer' });
    expect(parseImport(JSON.stringify(current), fields)).toEqual({ ok: true, config: current, form: 'bare' });
    // A partial bare document is recognised by a setting at its top.
    expect(parseImport('{"debounce_count": 4}', fields)).toMatchObject({ ok: true, form: 'bare' });
  });
});

describe('what an import would change', () => {
  test('the same configuration: identical, nothing to send', () => {
    const p = prepareImport(current, fields, { config: copy(), site: 'DC1' }, 'DC1');
    expect(p).toMatchObject({ changes: [], others: [], problems: [], identical: true, siteWarning: undefined });
  });
  test('a changed nested per-string value is one row, with units; the body is the file', () => {
    const config = copy();
    config.per_string['2'].battery.temperature_alarm_C = 41;
    const p = prepareImport(current, fields, { config, site: 'DC1' }, 'DC1');
    expect(p.identical).toBe(false);
    expect(p.problems).toEqual([]);
    expect(p.changes.map((c) => [c.path, c.from, c.to])).toEqual([['per_string.2.battery.temperature_alarm_C', 40, 41]]);
    expect(previewRows(current, p)).toEqual([{ path: 'per_string.2.battery.temperature_alarm_C', label: 'Battery temperature alarm', current: '40 °C', imported: '41 °C' }]);
    expect(p.body).toEqual(config);
  });
  test('durations are shown in s, flags as on/off, other settings as JSON', () => {
    const config = copy();
    config.defaults.battery.comm_lost_delay_ms = 7500;
    config.equalization.enabled = false;
    config.equalization.reference = 'lowest';
    config.alarm_outputs = [{ relay: 'mc:5', trigger: 'trip' }];
    const p = prepareImport(current, fields, { config }, 'DC1');
    expect(p.problems).toEqual([]);
    expect(previewRows(current, p).map((r) => [r.path, r.current, r.imported])).toEqual([
      ['defaults.battery.comm_lost_delay_ms', '5 s', '7.5 s'],
      ['equalization.enabled', 'on', 'off'],
      ['alarm_outputs', '[]', '[{"relay":"mc:5","trigger":"trip"}]'],
      ['equalization.reference', '"mean"', '"lowest"'],
    ]);
  });
  test('another site: a warning, not a refusal', () => {
    const config = copy();
    config.debounce_count = 4;
    const p = prepareImport(current, fields, { config, site: 'DC2' }, 'DC1');
    expect(p.siteWarning).toMatch(/exported from site "DC2", not from this one \("DC1"\)/);
    expect(p.problems).toEqual([]);
    expect(p.changes).toHaveLength(1);
    // A bare config names no site: no warning.
    expect(prepareImport(current, fields, { config }, 'DC1').siteWarning).toBeUndefined();
  });
  test('an override the file does not have is removed (sent as null); a partial file keeps them', () => {
    const config = copy();
    config.per_string = {} as any;
    const p = prepareImport(current, fields, { config }, 'DC1');
    expect(p.changes.map((c) => [c.path, c.to])).toEqual([
      ['per_string.2.battery.comm_lost_delay_ms', undefined],
      ['per_string.2.battery.temperature_alarm_C', undefined],
      ['per_string.2.battery.temperature_trip_C', undefined],
      ['per_string.2.battery.temperature_warning_C', undefined],
    ]);
    expect(previewRows(current, p)[0]).toMatchObject({ current: '5 s', imported: '(default)' });
    expect(p.body.per_string).toEqual({ '2': null });
    const partial = prepareImport(current, fields, { config: { debounce_count: 5 } }, 'DC1');
    expect(partial.changes.map((c) => [c.path, c.from, c.to])).toEqual([['debounce_count', 3, 5]]);
    expect(partial.body).toEqual({ debounce_count: 5 });
  });
  test('unknown settings and wrong types are named; nothing is left to apply silently', () => {
    const config: any = copy();
    config.defaults.battery.temperature_alarm_C = '46';
    config.defaults.battery.colour = 'red';
    config.equalization.enabled = 1;
    const p = prepareImport(current, fields, { config }, 'DC1');
    expect(p.problems).toEqual([
      'defaults.battery.temperature_alarm_C: expected a number, not "46"',
      'defaults.battery.colour: not a setting of this gateway',
      'equalization.enabled: expected true or false, not 1',
    ]);
  });
  test('ranges and limit order are checked as the settings form checks them', () => {
    const config = copy();
    config.defaults.battery.temperature_trip_C = 300;
    expect(prepareImport(current, fields, { config }, 'DC1').problems).toEqual(['defaults.battery.temperature_trip_C: 300 is above the maximum 90']);
    config.defaults.battery.temperature_trip_C = 44;
    expect(prepareImport(current, fields, { config }, 'DC1').problems).toEqual(['defaults.battery.temperature_trip_C 44 °C must be above defaults.battery.temperature_alarm_C (45 °C)']);
  });
  test('paths name fields only where the server has them', () => {
    expect(fieldAt(fields, 'defaults.battery.temperature_alarm_C')?.name).toBe('battery.temperature_alarm_C');
    expect(fieldAt(fields, 'per_string.12.battery.temperature_alarm_C')?.name).toBe('battery.temperature_alarm_C');
    expect(fieldAt(fields, 'per_string.x.battery.temperature_alarm_C')).toBeUndefined();
    expect(fieldAt(fields, 'battery.temperature_alarm_C')).toBeUndefined();
    expect(fieldAt(fields, 'defaults.debounce_count')).toBeUndefined();
    expect(fieldAt(fields, 'debounce_count')?.name).toBe('debounce_count');
  });
});
