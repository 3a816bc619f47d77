import { describe, expect, it } from 'vitest';
import { ChannelValue } from './live';
import { ActiveAlarm, LogEvent } from './events';
import { inputChannel, inputState, openBanner, PROTECTION, shortCause, stringChips, upsTone } from './string_state';

const NOW = 1_767_225_600_000;
const ok = (value: number, age_ms = 0): ChannelValue => ({ value, unit: '', time_ms: NOW - age_ms, quality: 'ok' });
const lookup = (channels: Record<string, ChannelValue>) => (c: string) => channels[c];

const tripAlarm = (over: Partial<ActiveAlarm> = {}): ActiveAlarm => ({
  key: 'battery/2/7:battery_temperature_trip',
  source: 'battery/2/7',
  rule: 'battery_temperature_trip',
  severity: 'trip',
  text: 'Battery 2/7 temperature above trip limit: 56.3 °C > 55.0 °C',
  since_ms: NOW - 60_000,
  value: 56.3,
  acknowledged: false,
  acknowledged_by: '',
  acknowledged_ms: 0,
  waiting_for_ack: false,
  ...over,
});

const event = (over: Partial<LogEvent>): LogEvent => ({
  id: 1,
  time_ms: NOW - 50_000,
  kind: 'note',
  severity: 'warning',
  source: 'string/2',
  rule: '',
  text: '',
  user: '',
  value: null,
  ...over,
});

function closedString(extra: Record<string, ChannelValue> = {}) {
  return {
    'string/2/protection': ok(PROTECTION.closed),
    'string/2/relay_closed': ok(1),
    'string/2/state': ok(0),
    'string/2/current': ok(0.4),
    ...extra,
  };
}

describe('stringChips', () => {
  const cases: { name: string; channels: Record<string, ChannelValue>; alarms?: ActiveAlarm[]; onBattery?: boolean; kinds: string[]; first?: string }[] = [
    { name: 'closed on float', channels: closedString(), kinds: ['closed'], first: 'closed' },
    {
      name: 'tripped names its cause',
      channels: closedString({ 'string/2/protection': ok(PROTECTION.tripped), 'string/2/relay_closed': ok(0), 'string/2/state': ok(6), 'string/2/current': ok(0) }),
      alarms: [tripAlarm()],
      kinds: ['tripped'],
      first: 'TRIPPED: Battery 2/7 temperature above trip limit',
    },
    {
      name: 'tripped without a listed alarm still says tripped',
      channels: closedString({ 'string/2/protection': ok(PROTECTION.tripped), 'string/2/relay_closed': ok(0) }),
      alarms: [],
      kinds: ['tripped'],
      first: 'TRIPPED',
    },
    {
      name: 'open for maintenance',
      channels: closedString({ 'string/2/protection': ok(PROTECTION.manual_open), 'string/2/relay_closed': ok(0) }),
      kinds: ['maintenance'],
      first: 'open for maintenance',
    },
    { name: 'open against its command', channels: closedString({ 'string/2/relay_closed': ok(0) }), kinds: ['open'] },
    {
      name: 'trip held on the last string',
      channels: closedString({ 'string/2/protection': ok(PROTECTION.held_last_string) }),
      alarms: [tripAlarm()],
      kinds: ['closed', 'trip_held'],
    },
    {
      name: 'on battery and discharging',
      channels: closedString({ 'string/2/state': ok(2), 'string/2/current': ok(-80) }),
      onBattery: true,
      kinds: ['closed', 'on_battery', 'discharging'],
    },
    { name: 'discharging by current alone', channels: closedString({ 'string/2/current': ok(-5) }), kinds: ['closed', 'discharging'] },
    { name: 'a trickle is not a discharge', channels: closedString({ 'string/2/current': ok(-0.5) }), kinds: ['closed'] },
    {
      name: 'stale values are said',
      channels: closedString({ 'string/2/relay_closed': { ...ok(1), quality: 'stale' } }),
      kinds: ['closed', 'stale'],
    },
    { name: 'no data', channels: {}, kinds: ['no_data'] },
    {
      name: 'alarms of another string are not its cause',
      channels: closedString({ 'string/2/protection': ok(PROTECTION.tripped), 'string/2/relay_closed': ok(0) }),
      alarms: [tripAlarm({ source: 'battery/12/7' })],
      kinds: ['tripped'],
      first: 'TRIPPED',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const chips = stringChips(2, lookup(c.channels), NOW, c.alarms, c.onBattery ?? false);
      expect(chips.map((x) => x.kind)).toEqual(c.kinds);
      if (c.first) expect(chips[0].text).toBe(c.first);
    });
  }
});

describe('upsTone', () => {
  const chip = (kind: any) => ({ kind, text: kind, tone: 'ok' as const });
  const cases: { name: string; status?: number; onBattery: boolean; kinds: string[][]; tone: string }[] = [
    { name: 'all closed, ok', status: 1, onBattery: false, kinds: [['closed'], ['closed']], tone: 'ok' },
    { name: 'on battery is never green', status: 1, onBattery: true, kinds: [['closed'], ['closed']], tone: 'err' },
    { name: 'a tripped string is never green', status: 1, onBattery: false, kinds: [['closed'], ['tripped']], tone: 'err' },
    { name: 'open for maintenance is never green', status: 1, onBattery: false, kinds: [['maintenance'], ['closed']], tone: 'warn' },
    { name: 'stale is never green', status: 1, onBattery: false, kinds: [['closed', 'stale']], tone: 'warn' },
    { name: 'status error', status: 2, onBattery: false, kinds: [['closed']], tone: 'err' },
    { name: 'unknown status', status: undefined, onBattery: false, kinds: [['closed']], tone: 'muted' },
  ];
  for (const c of cases) {
    it(c.name, () => expect(upsTone(c.status, c.onBattery, c.kinds.map((k) => k.map(chip)))).toBe(c.tone));
  }
});

describe('openBanner', () => {
  it('is absent for a closed string', () => {
    expect(openBanner(2, lookup(closedString()), [], [])).toBeUndefined();
  });

  it('names the battery, value, limit and time of a trip, and the steps in order', () => {
    const channels = closedString({ 'string/2/protection': ok(PROTECTION.tripped), 'string/2/relay_closed': ok(0) });
    const trip = event({ kind: 'string_tripped', severity: 'trip', time_ms: NOW - 55_000, text: 'String 2 tripped (opened): Battery 2/7 temperature above trip limit: 56.3 °C > 55.0 °C' });
    const b = openBanner(2, lookup(channels), [tripAlarm()], [trip])!;
    expect(b.title).toContain('tripped');
    expect(b.cause).toContain('56.3 °C > 55.0 °C');
    expect(b.battery).toEqual({ string: 2, position: 7 });
    expect(b.since_ms).toBe(NOW - 55_000);
    expect(b.steps[0]).toContain('Remove the cause');
    expect(b.steps[1]).toContain('Acknowledge');
    expect(b.steps[2]).toContain('Reset');
  });

  it('says the cause is gone and acknowledge comes first when only the latch holds', () => {
    const channels = closedString({ 'string/2/protection': ok(PROTECTION.tripped), 'string/2/relay_closed': ok(0) });
    const b = openBanner(2, lookup(channels), [tripAlarm({ waiting_for_ack: true })], [])!;
    expect(b.steps[0]).toContain('cause is gone');
    expect(b.steps[1]).toContain('Acknowledge');
    expect(b.steps.join(' ')).not.toContain('Remove the cause');
  });

  it('takes the cause from the trip event once the alarm has gone', () => {
    const channels = closedString({ 'string/2/protection': ok(PROTECTION.tripped), 'string/2/relay_closed': ok(0) });
    const trip = event({ kind: 'string_tripped', text: 'String 2 tripped (opened): Battery 2/7 temperature above trip limit: 56.3 °C > 55.0 °C' });
    const b = openBanner(2, lookup(channels), [], [trip])!;
    expect(b.cause).toBe('Battery 2/7 temperature above trip limit: 56.3 °C > 55.0 °C');
    expect(b.steps).toEqual(['The cause is gone (the value is back within its limit).', 'Reset the string with a reason to reconnect it.']);
  });

  it('says who opened it for maintenance and why, newest open first', () => {
    const channels = closedString({ 'string/2/protection': ok(PROTECTION.manual_open), 'string/2/relay_closed': ok(0) });
    const events = [
      event({ time_ms: NOW - 90_000, text: 'String 2 opened by ann: old work', user: 'ann' }),
      event({ time_ms: NOW - 10_000, text: 'String 2 opened by olga: replace battery 7', user: 'olga' }),
      event({ time_ms: NOW - 5_000, source: 'string/3', text: 'String 3 opened by bob: other' }),
    ];
    const b = openBanner(2, lookup(channels), [], events)!;
    expect(b.title).toContain('maintenance');
    expect(b.cause).toBe('Opened by olga: replace battery 7');
    expect(b.since_ms).toBe(NOW - 10_000);
  });
});

describe('site inputs', () => {
  const door = { channel: 'mc/input/5', name: 'Battery room door', alarm_text: 'Battery room door open', active_high: true };
  it('maps points to channels', () => {
    expect(inputChannel({ lc: 0, index: 5 })).toBe('mc/input/5');
    expect(inputChannel({ lc: 2, index: 3 })).toBe('lc/2/input/3');
  });
  const cases: { name: string; v?: ChannelValue; active_high?: boolean; text: string; tone: string }[] = [
    { name: 'active high, active', v: ok(1), text: 'Battery room door open', tone: 'err' },
    { name: 'active high, quiet', v: ok(0), text: 'normal', tone: 'ok' },
    { name: 'active low, active', v: ok(0), active_high: false, text: 'Battery room door open', tone: 'err' },
    { name: 'stale', v: { ...ok(1), quality: 'stale' }, text: 'Battery room door open (stale)', tone: 'muted' },
    { name: 'missing', v: undefined, text: 'no reading', tone: 'muted' },
  ];
  for (const c of cases) {
    it(c.name, () => expect(inputState({ ...door, active_high: c.active_high ?? true }, c.v, NOW)).toEqual({ text: c.text, tone: c.tone }));
  }
});

it('shortCause keeps the words before the values', () => {
  expect(shortCause('Battery 2/7 temperature high: 47.1 °C > 45.0 °C')).toBe('Battery 2/7 temperature high');
  expect(shortCause('String 1 insulation low')).toBe('String 1 insulation low');
});
