// Addresses one level up: the aggregator serves the same pages for each of its gateways under
// `#/gw/<name>/...`, and answers for that gateway under its own API (docs/aggregator.md). Pure
// functions of the gateway's name; lib/scope.ts applies them to the gateway being shown.
import { sourceHref, stringOfSource } from './events';

/** A hash route split into the gateway it is scoped to (site level: undefined) and the rest. */
export interface SiteRoute {
  gateway?: string;
  rest: string[];
}

/** The aggregator's rule for gateway names (site file): 1..32 of a-z 0-9 _ -. */
const GATEWAY_NAME = /^[a-z0-9_-]{1,32}$/;

export function isGatewayName(name: string): boolean {
  return GATEWAY_NAME.test(name);
}

/** ["gw","gw2","string","3"] -> {gateway:"gw2", rest:["string","3"]}; anything else is unscoped. */
export function parseSiteRoute(parts: string[]): SiteRoute {
  if (parts[0] === 'gw' && parts[1] !== undefined) {
    const gateway = decodeURIComponent(parts[1]);
    if (isGatewayName(gateway)) return { gateway, rest: parts.slice(2) };
  }
  return { rest: parts };
}

/** "#/string/3" seen from gateway gw2 -> "#/gw/gw2/string/3"; unscoped links stay as they are. */
export function scopedHref(gateway: string | undefined, href: string): string {
  if (!gateway || !href.startsWith('#/')) return href;
  const rest = href.slice(2);
  return `#/gw/${gateway}${rest ? `/${rest}` : '/'}`;
}

/**
 * What the aggregator forwards to a gateway, as request_forwarding.cpp lists it: GET of these
 * resources (and discharges/...), POST of the acknowledgement and the string actions.
 */
const FORWARDED_GET = new Set(['topology', 'alarms', 'history', 'history.csv', 'events', 'discharges', 'config', 'attention', 'maintenance', 'names']);
const FORWARDED_POST = /^(alarms\/acknowledge|strings\/\d+\/(reset|open|baseline-reset))$/;

/**
 * The aggregator's path for a gateway API path asked by a page shown for `gateway`, or undefined
 * when the aggregator does not forward it (users, settings and maintenance writes: kept at the
 * gateway). Live values go through the site's own /api/v1/live with the
 * gateway's prefix: it marks them stale when the gateway is not fresh, which a plain forward
 * cannot.
 */
export function scopedApiPath(gateway: string | undefined, path: string, method = 'GET'): string | undefined {
  if (!gateway) return path;
  const m = /^\/api\/v1\/([^?]*)(\?.*)?$/.exec(path);
  if (!m) return path; // not an API path (static files)
  const [, resource, query = ''] = m;
  if (resource === 'session' || resource === 'health') return path; // the aggregator's own
  if (method === 'GET' && resource === 'live') {
    const prefix = new URLSearchParams(query.slice(1)).get('prefix') ?? '';
    return `/api/v1/live?prefix=${encodeURIComponent(`${gateway}/${prefix}`)}`;
  }
  const forwarded =
    method === 'GET' ? FORWARDED_GET.has(resource) || resource.startsWith('discharges/') : method === 'POST' && FORWARDED_POST.test(resource);
  return forwarded ? `/api/v1/gateways/${gateway}/${resource}${query}` : undefined;
}

/** "gw2/battery/1/3/voltage" -> "battery/1/3/voltage"; channels of other gateways are left out. */
export function unprefixChannels<T>(channels: Record<string, T>, gateway: string): Record<string, T> {
  const head = `${gateway}/`;
  const out: Record<string, T> = {};
  for (const [name, v] of Object.entries(channels)) if (name.startsWith(head)) out[name.slice(head.length)] = v;
  return out;
}

/**
 * The gateway prefixes a page needs beyond the summaries the aggregator holds (ups/, string/,
 * streamed): per-battery values are read from the gateway on demand, so only those of the
 * page shown are asked for.
 */
export function detailPrefixes(rest: string[], inputChannels: string[]): string[] {
  const [page, a, b] = rest;
  if (page === 'string' && a && b === undefined) return [`battery/${a}/`];
  if (page === 'battery' && a && b) return [`battery/${a}/${b}/`];
  if (page === undefined || page === '') {
    // The overview's room panel: ambient sensors and the named inputs' channels.
    const inputs = [...new Set(inputChannels.map((c) => c.slice(0, c.lastIndexOf('/') + 1)))];
    return ['ambient/', ...inputs];
  }
  return [];
}

/**
 * The page of a site alarm's source: "gw2/battery/1/7" -> the battery's page through the
 * aggregator; the gateway's own alarms ("gw2", "gw2/mc/input/5") -> its overview.
 */
export function siteSourceHref(source: string): string | undefined {
  const slash = source.indexOf('/');
  const gateway = slash < 0 ? source : source.slice(0, slash);
  if (!isGatewayName(gateway)) return undefined;
  const page = slash < 0 ? undefined : sourceHref(source.slice(slash + 1));
  return scopedHref(gateway, page ?? '#/');
}

/** A site alarm as the aggregator lists it: a gateway's alarm, prefixed, or the site's own. */
export interface SiteAlarm {
  key: string;
  source: string;
  gateway: string;
  acknowledged: boolean;
  /** The gateway's last known alarm while the gateway is not fresh. */
  stale?: boolean;
  /** The site's own alarm (a gateway offline): nothing to acknowledge, it clears by itself. */
  site?: boolean;
}

/** Gateways with alarms an operator can acknowledge now (their own, unacknowledged, not stale). */
export function acknowledgeableGateways(alarms: SiteAlarm[]): string[] {
  return [...new Set(alarms.filter((a) => !a.site && !a.acknowledged && !a.stale).map((a) => a.gateway))].sort();
}

/**
 * Strings with a trip among the site's alarms, per gateway (candidates for a reset, which the
 * aggregator forwards to the owning gateway); not for a gateway that is not reached now.
 */
export function siteTrippedStrings(alarms: (SiteAlarm & { severity: string })[]): { gateway: string; string: number }[] {
  const seen = new Map<string, { gateway: string; string: number }>();
  for (const a of alarms) {
    if (a.site || a.stale || a.severity !== 'trip' || !a.source.startsWith(`${a.gateway}/`)) continue;
    const s = stringOfSource(a.source.slice(a.gateway.length + 1));
    if (s !== undefined) seen.set(`${a.gateway}/${s}`, { gateway: a.gateway, string: s });
  }
  return [...seen.values()].sort((x, y) => x.gateway.localeCompare(y.gateway) || x.string - y.string);
}
