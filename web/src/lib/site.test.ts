import { describe, expect, it } from 'vitest';
import { GatewaySummary, arrangeGateways, dataAgeText, shownState, siteWorst, stateRank, stateTone } from './site';

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

