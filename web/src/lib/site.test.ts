import { describe, expect, it } from 'vitest';
import { GatewaySummary, arrangeGateways, dataAgeText, shownState, siteWorst, stateRank, stateTone, stringExtremes } from './site';

const T = 1_800_000_000_000;
const gw = (name: string, worst_state: string, extra: Partial<GatewaySummary> = {}): GatewaySummary => ({
  name,
  state: 'online',
  fresh: true,
  worst_state,
  data_age_ms: 400,
  ups_count: 2,
  string_count: 4,
  battery_count: 160,
  alarm_count: 0,
  unacknowledged: 0,
  ...extra,
});

describe('state ranking', () => {
  it('orders trip > alarm > warning > discharging > normal, offline off the scale', () => {
    const order = ['trip', 'alarm', 'warning', 'discharging', 'normal'];
    for (let i = 1; i < order.length; i++) expect(stateRank(order[i - 1])).toBeGreaterThan(stateRank(order[i]));
    expect(stateRank('offline')).toBe(0);
    expect(stateRank('connecting')).toBe(0);
  });
  it('puts online gateways worst first and offline ones apart', () => {
    const gws = [gw('a', 'normal'), gw('b', 'offline', { fresh: false, state: 'offline' }), gw('c', 'warning'), gw('d', 'trip'), gw('e', 'discharging'), gw('f', 'connecting', { data_age_ms: null })];
    const { online, apart } = arrangeGateways(gws, T, T);
    expect(online.map((g) => g.name)).toEqual(['d', 'c', 'e', 'a']);
    expect(apart.map((g) => g.name)).toEqual(['b', 'f']);
  });
  it("the site's worst ignores offline gateways (they are shown apart)", () => {
    expect(siteWorst([gw('a', 'normal'), gw('b', 'alarm'), gw('c', 'warning')], T, T)).toBe('alarm');
    expect(siteWorst([gw('a', 'normal'), gw('b', 'offline', { fresh: false })], T, T)).toBe('normal');
  });
  it('colours: trip and alarm red, warning and discharging yellow, normal green, offline grey', () => {
    expect(stateTone('trip')).toBe('err');
    expect(stateTone('alarm')).toBe('err');
    expect(stateTone('warning')).toBe('warn');
    expect(stateTone('discharging')).toBe('warn');
    expect(stateTone('normal')).toBe('ok');
    expect(stateTone('offline')).toBe('muted');
    expect(stateTone('connecting')).toBe('muted');
  });
});

describe('offline and the age of data', () => {
  it('an online gateway shows how old its data is', () => {
    expect(shownState(gw('a', 'alarm'), T, T + 1000)).toBe('alarm');
    expect(dataAgeText(gw('a', 'normal'), T, T + 1000)).toBe('data 1.4 s old');
  });
  it('an offline gateway shows the age of its last data, grown since the answer, never as fresh', () => {
    const g = gw('b', 'offline', { fresh: false, state: 'offline', data_age_ms: 65_000 });
    expect(shownState(g, T, T)).toBe('offline');
    expect(dataAgeText(g, T, T + 55_000)).toBe('offline — last data 2 min ago');
  });
  it('a gateway the aggregator still calls fresh is offline when the answer itself is old', () => {
    const g = gw('a', 'trip');
    expect(shownState(g, T, T + 9_000)).toBe('trip');
    expect(shownState(g, T, T + 11_000)).toBe('offline');
    expect(dataAgeText(g, T, T + 11_000)).toBe('offline — last data 11 s ago');
  });
  it('a gateway that is online but not fresh is offline', () => {
    expect(shownState(gw('a', 'normal', { fresh: false }), T, T)).toBe('offline');
  });
  it('a gateway never heard from is connecting, without an age', () => {
    const g = gw('c', 'connecting', { state: 'connecting', fresh: false, data_age_ms: null });
    expect(shownState(g, T, T)).toBe('connecting');
    expect(dataAgeText(g, T, T)).toBe('no data yet');
  });
});

describe('stringExtremes', () => {
  const v = (value: number, quality: 'ok' | 'stale' | 'comm_lost' | 'invalid' = 'ok', time_ms = T) => ({ value, unit: 'V', time_ms, quality });
  it('finds the lowest and highest good battery of each string', () => {
    const e = stringExtremes({
      'gw2/battery/1/1/voltage': v(13.61),
      'gw2/battery/1/2/voltage': v(13.55, 'ok', T - 500),
      'gw2/battery/1/3/voltage': v(13.7),
      'gw2/battery/1/3/temperature': v(40),
      'gw2/battery/2/1/voltage': v(12.9, 'stale'),
      'gw2/battery/2/2/voltage': v(13.2),
      'gw2/battery/2/3/voltage': v(11.0, 'comm_lost'),
      'gw2/string/1/voltage': v(540),
    });
    expect(e).toEqual([
      { string: 1, lowest: { position: 2, value: 13.55 }, highest: { position: 3, value: 13.7 }, good: 3, seen: 3, oldest_ms: T - 500 },
      { string: 2, lowest: { position: 2, value: 13.2 }, highest: { position: 2, value: 13.2 }, good: 1, seen: 3, oldest_ms: T },
    ]);
  });
  it('a string without a good reading has no extremes', () => {
    expect(stringExtremes({ 'battery/4/1/voltage': v(13, 'invalid') })).toEqual([{ string: 4, good: 0, seen: 1 }]);
  });
  it('orders strings by number, not text', () => {
    expect(stringExtremes({ 'battery/10/1/voltage': v(13), 'battery/9/1/voltage': v(13) }).map((s) => s.string)).toEqual([9, 10]);
  });
});
