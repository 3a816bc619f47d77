import { describe, expect, it } from 'vitest';
import { acknowledgeableGateways, siteTrippedStrings, detailPrefixes, parseSiteRoute, scopedApiPath, scopedHref, siteSourceHref, unprefixChannels } from './site_route';

describe('parseSiteRoute', () => {
  it('splits a gateway-scoped route from its page', () => {
    expect(parseSiteRoute(['gw', 'gw2', 'string', '3'])).toEqual({ gateway: 'gw2', rest: ['string', '3'] });
    expect(parseSiteRoute(['gw', 'hall-a'])).toEqual({ gateway: 'hall-a', rest: [] });
  });
  it('leaves site and gateway routes unscoped', () => {
    expect(parseSiteRoute([])).toEqual({ rest: [] });
    expect(parseSiteRoute(['alarms'])).toEqual({ rest: ['alarms'] });
    expect(parseSiteRoute(['string', '3'])).toEqual({ rest: ['string', '3'] });
    expect(parseSiteRoute(['gw'])).toEqual({ rest: ['gw'] });
  });
  it('refuses names the site file cannot have', () => {
    expect(parseSiteRoute(['gw', 'GW2', 'string', '1']).gateway).toBeUndefined();
    expect(parseSiteRoute(['gw', '..', 'string', '1']).gateway).toBeUndefined();
    expect(parseSiteRoute(['gw', 'a'.repeat(33)]).gateway).toBeUndefined();
  });
});

describe('scopedHref', () => {
  it('puts page links under the gateway', () => {
    expect(scopedHref('gw2', '#/string/3')).toBe('#/gw/gw2/string/3');
    expect(scopedHref('gw2', '#/battery/3/17')).toBe('#/gw/gw2/battery/3/17');
    expect(scopedHref('gw2', '#/')).toBe('#/gw/gw2/');
  });
  it('keeps links as they are on a gateway and for non-hash links', () => {
    expect(scopedHref(undefined, '#/string/3')).toBe('#/string/3');
    expect(scopedHref('gw2', '/api/v1/history.csv?x=1')).toBe('/api/v1/history.csv?x=1');
  });
  it('round-trips through parseSiteRoute', () => {
    const parts = scopedHref('gw3', '#/battery/1/7').replace(/^#\/?/, '').split('/').filter(Boolean);
    expect(parseSiteRoute(parts)).toEqual({ gateway: 'gw3', rest: ['battery', '1', '7'] });
  });
});

describe('scopedApiPath', () => {
  it('leaves paths alone on a gateway', () => {
    expect(scopedApiPath(undefined, '/api/v1/maintenance?string=1')).toBe('/api/v1/maintenance?string=1');
  });
  it('reads live values through the site live endpoint with the gateway prefix', () => {
    expect(scopedApiPath('gw2', '/api/v1/live?prefix=battery/1/')).toBe('/api/v1/live?prefix=gw2%2Fbattery%2F1%2F');
    expect(scopedApiPath('gw2', '/api/v1/live')).toBe('/api/v1/live?prefix=gw2%2F');
  });
  it('forwards what the aggregator forwards, query included', () => {
    expect(scopedApiPath('gw2', '/api/v1/config')).toBe('/api/v1/gateways/gw2/config');
    expect(scopedApiPath('gw2', '/api/v1/history?channel=battery/1/1/voltage&points=10')).toBe('/api/v1/gateways/gw2/history?channel=battery/1/1/voltage&points=10');
    expect(scopedApiPath('gw2', '/api/v1/discharges/1-17')).toBe('/api/v1/gateways/gw2/discharges/1-17');
    expect(scopedApiPath('gw2', '/api/v1/alarms/acknowledge', 'POST')).toBe('/api/v1/gateways/gw2/alarms/acknowledge');
    expect(scopedApiPath('gw2', '/api/v1/strings/3/reset', 'POST')).toBe('/api/v1/gateways/gw2/strings/3/reset');
    expect(scopedApiPath('gw2', '/api/v1/attention?string=1')).toBe('/api/v1/gateways/gw2/attention?string=1');
    expect(scopedApiPath('gw2', '/api/v1/maintenance?string=1')).toBe('/api/v1/gateways/gw2/maintenance?string=1');
  });
  it('says when the aggregator does not forward a resource or method', () => {
    expect(scopedApiPath('gw2', '/api/v1/config', 'PUT')).toBeUndefined();
    expect(scopedApiPath('gw2', '/api/v1/maintenance', 'POST')).toBeUndefined();
    expect(scopedApiPath('gw2', '/api/v1/strings/x/reset', 'POST')).toBeUndefined();
  });
  it('keeps the aggregator session its own', () => {
    expect(scopedApiPath('gw2', '/api/v1/session')).toBe('/api/v1/session');
  });
});

describe('unprefixChannels', () => {
  it('strips the gateway prefix and drops other gateways', () => {
    const v = { value: 1, unit: 'V', time_ms: 0, quality: 'ok' as const };
    expect(unprefixChannels({ 'gw2/string/1/voltage': v, 'gw22/string/1/voltage': v, 'gw1/ups/1/soc': v }, 'gw2')).toEqual({ 'string/1/voltage': v });
  });
});

describe('detailPrefixes', () => {
  it('asks only for the batteries the page shows', () => {
    expect(detailPrefixes(['string', '3'], [])).toEqual(['battery/3/']);
    expect(detailPrefixes(['battery', '3', '17'], [])).toEqual(['battery/3/17/']);
    expect(detailPrefixes(['ups', '1'], [])).toEqual([]);
    expect(detailPrefixes(['string', '3', 'report'], [])).toEqual([]);
  });
  it('asks for the room panel on the overview', () => {
    expect(detailPrefixes([], ['mc/input/5', 'mc/input/6', 'lc/2/input/1'])).toEqual(['ambient/', 'mc/input/', 'lc/2/input/']);
  });
});

describe('siteSourceHref', () => {
  it("opens a site alarm's source through the aggregator", () => {
    expect(siteSourceHref('gw2/battery/1/7')).toBe('#/gw/gw2/battery/1/7');
    expect(siteSourceHref('gw2/string/3')).toBe('#/gw/gw2/string/3');
    expect(siteSourceHref('gw2/ups/1')).toBe('#/gw/gw2/ups/1');
  });
  it("opens the gateway's overview for its site-wide alarms and for the site's own", () => {
    expect(siteSourceHref('gw2/mc/input/5')).toBe('#/gw/gw2/');
    expect(siteSourceHref('gw3')).toBe('#/gw/gw3/');
  });
  it('has no page for a source that names no gateway', () => {
    expect(siteSourceHref('')).toBeUndefined();
    expect(siteSourceHref('Bad Name/string/1')).toBeUndefined();
  });
});

describe('acknowledgeableGateways', () => {
  it('lists gateways with unacknowledged alarms of their own that are current', () => {
    expect(
      acknowledgeableGateways([
        { key: 'gw2/a', source: 'gw2/string/1', gateway: 'gw2', acknowledged: false },
        { key: 'gw1/a', source: 'gw1/string/1', gateway: 'gw1', acknowledged: true },
        { key: 'gw3/a', source: 'gw3/string/1', gateway: 'gw3', acknowledged: false, stale: true },
        { key: 'gw3:gateway_offline', source: 'gw3', gateway: 'gw3', acknowledged: false, site: true },
        { key: 'gw2/b', source: 'gw2/battery/1/2', gateway: 'gw2', acknowledged: false },
        { key: 'gw10/a', source: 'gw10/ups/1', gateway: 'gw10', acknowledged: false },
      ]),
    ).toEqual(['gw10', 'gw2']);
  });
});

describe('siteTrippedStrings', () => {
  it('lists the strings with a trip per gateway, once each, not of gateways not reached', () => {
    const a = (gateway: string, source: string, severity: string, extra = {}) => ({ key: `${source}:r`, source, gateway, severity, acknowledged: false, ...extra });
    expect(
      siteTrippedStrings([
        a('gw2', 'gw2/battery/3/7', 'trip'),
        a('gw2', 'gw2/string/3', 'trip'),
        a('gw1', 'gw1/string/1', 'trip'),
        a('gw1', 'gw1/string/2', 'alarm'),
        a('gw3', 'gw3/string/1', 'trip', { stale: true }),
        a('gw3', 'gw3', 'alarm', { site: true }),
      ]),
    ).toEqual([
      { gateway: 'gw1', string: 1 },
      { gateway: 'gw2', string: 3 },
    ]);
  });
});
