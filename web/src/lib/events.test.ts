import { ActiveAlarm, LogEvent, alarmValues, consequences, filterEvents, sourceHref, sourceMatches, stringOfSource, trippedStrings, unacknowledgedOf } from './events';

let nextId = 1;
const ev = (time_ms: number, kind: string, source: string, severity: any = 'alarm', rule = ''): LogEvent => ({
  id: nextId++,
  time_ms,
  kind,
  severity,
  source,
  rule,
  text: `${kind} ${source}`,
  user: '',
  value: null,
});

describe('event filters', () => {
  const events = [
    ev(1, 'alarm_raised', 'battery/1/7', 'alarm', 'battery_temperature_alarm'),
    ev(2, 'string_tripped', 'string/1', 'trip'),
    ev(3, 'alarm_raised', 'battery/2/3', 'warning', 'battery_voltage_high'),
    ev(4, 'discharge_started', 'string/12', 'info'),
    ev(5, 'note', 'site', 'info'),
  ];
  test.each([
    [{ severities: [], sourcePrefix: '', kinds: [] }, [1, 2, 3, 4, 5]],
    [{ severities: ['alarm', 'trip'], sourcePrefix: '', kinds: [] }, [1, 2]],
    [{ severities: [], sourcePrefix: 'string/1', kinds: [] }, [1, 2]],
    [{ severities: [], sourcePrefix: 'string/1/', kinds: [] }, [1, 2]],
    [{ severities: [], sourcePrefix: 'battery/2', kinds: [] }, [3]],
    [{ severities: [], sourcePrefix: '', kinds: ['alarm_raised'] }, [1, 3]],
    [{ severities: ['info'], sourcePrefix: 'string', kinds: [] }, [4]],
  ] as const)('%j keeps events at %j', (filter, times) => {
    expect(filterEvents(events, filter as any).map((e) => e.time_ms)).toEqual(times);
  });
  test('prefixes match whole path segments', () => {
    expect(sourceMatches('string/12', 'string/1')).toBe(false);
    expect(sourceMatches('battery/12/1', 'string/1')).toBe(false);
    expect(sourceMatches('battery/1/12', 'battery/1/1')).toBe(false);
    expect(sourceMatches('battery/1/1', 'battery/1/1')).toBe(true);
  });
});

describe('sources', () => {
  test.each([
    ['battery/3/17', '#/battery/3/17', 3],
    ['string/2', '#/string/2', 2],
    ['ups/1', '#/ups/1', undefined],
    ['site', undefined, undefined],
  ])('%s links to %s, string %s', (source, href, string) => {
    expect(sourceHref(source)).toBe(href);
    expect(stringOfSource(source)).toBe(string);
  });
});

describe('what an alarm did', () => {
  const raised = ev(1000, 'alarm_raised', 'battery/2/7', 'trip', 'battery_temperature_trip');
  const log = [
    ev(500, 'string_tripped', 'string/2', 'trip'),
    raised,
    ev(1100, 'string_tripped', 'string/2', 'trip'),
    ev(1150, 'string_tripped', 'string/1', 'trip'),
    ev(1200, 'alarm_acknowledged', 'battery/2/7', 'trip', 'battery_temperature_trip'),
    ev(1250, 'alarm_raised', 'battery/2/8', 'alarm', 'battery_temperature_alarm'),
    ev(1300, 'alarm_cleared', 'battery/2/7', 'trip', 'battery_temperature_trip'),
    ev(1400, 'string_reconnected', 'string/2', 'info'),
    ev(10_000_000, 'string_reset', 'string/2', 'info'),
  ];
  test('its string trips and reconnects, its own ack and clear, within the window', () => {
    expect(consequences(raised, log).map((e) => e.time_ms)).toEqual([1100, 1200, 1300, 1400]);
  });
});

describe('active alarms', () => {
  const a = (source: string, severity: any, acknowledged = false): ActiveAlarm => ({
    key: `${source}:r`,
    source,
    rule: 'r',
    severity,
    text: '',
    since_ms: 0,
    value: null,
    acknowledged,
    acknowledged_by: '',
    acknowledged_ms: 0,
    waiting_for_ack: false,
  });
  const alarms = [a('battery/2/7', 'trip'), a('string/2', 'alarm', true), a('battery/1/1', 'warning'), a('string/3', 'trip')];
  test('tripped strings', () => expect(trippedStrings(alarms)).toEqual([2, 3]));
  test('unacknowledged of a string include its batteries', () => {
    expect(unacknowledgedOf(alarms, 2).map((x) => x.source)).toEqual(['battery/2/7']);
  });
});

describe('alarm values, labelled', () => {
  const base = {
    key: 'battery/2/7:battery_temperature_trip',
    source: 'battery/2/7',
    rule: 'battery_temperature_trip',
    severity: 'trip' as const,
    text: 'Battery 2/7 temperature 56.3 °C above trip limit 55 °C',
    since_ms: 0,
    acknowledged: false,
    acknowledged_by: '',
    acknowledged_ms: 0,
  };
  const cases: { name: string; a: any; out: [string, string][] }[] = [
    {
      name: 'raised, now and limit with the unit',
      a: { ...base, value: 52.14, raised_value: 56.3, unit: '°C', limit: 55, waiting_for_ack: false },
      out: [['raised at', '56.3 °C'], ['now', '52.14 °C'], ['limit', '55 °C']],
    },
    {
      name: 'a latched alarm says the value is back',
      a: { ...base, value: 30, raised_value: 56.3, unit: '°C', limit: 55, waiting_for_ack: true },
      out: [['raised at', '56.3 °C'], ['now (back within limit)', '30 °C'], ['limit', '55 °C']],
    },
    { name: 'percent is spaced', a: { ...base, value: 25, raised_value: 21, unit: '%', limit: 20, waiting_for_ack: false }, out: [['raised at', '21 %'], ['now', '25 %'], ['limit', '20 %']] },
    { name: 'a flag shows no numbers', a: { ...base, value: 1, raised_value: 1, unit: '', limit: null, waiting_for_ack: false }, out: [] },
    { name: 'a gateway without unit and limit shows the current value', a: { ...base, value: 47.1, waiting_for_ack: false }, out: [['now', '47.1']] },
  ];
  for (const c of cases) {
    test(c.name, () => expect(alarmValues(c.a).map((v) => [v.label, v.text])).toEqual(c.out));
  }
});
