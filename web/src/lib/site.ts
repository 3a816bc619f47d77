// The site page's logic: the aggregator's GET /api/v1/site answer turned into gateway tiles
// (worst state, colour, the age of the data), and the lowest and highest battery of each string
// from the batteries' live values. Pure, no DOM.
import { Tone } from './string_state';

/** A gateway's worst state as the aggregator judges it (site_view.cpp worst_state). */
export type GatewayState = 'trip' | 'alarm' | 'warning' | 'discharging' | 'normal' | 'offline' | 'connecting';

export interface GatewaySummary {
  name: string;
  state: string; // link: connecting | online | offline
  fresh: boolean;
  worst_state: GatewayState | string;
  data_age_ms: number | null;
  ups_count: number;
  string_count: number;
  battery_count: number;
  alarm_count: number;
  unacknowledged: number;
  /** Per string of its topology (older aggregators: absent). */
  strings?: StringExtremes[];
}

export interface SiteAnswer {
  site: string;
  time_ms: number;
  gateways: GatewaySummary[];
  totals: {
    gateways: number;
    online: number;
    offline: number;
    ups_count: number;
    string_count: number;
    battery_count: number;
    alarm_count: number;
    unacknowledged: number;
  };
}

/** trip > alarm > warning > discharging > normal; offline and connecting are not on this scale. */
const RANK: Record<string, number> = { trip: 5, alarm: 4, warning: 3, discharging: 2, normal: 1 };

export function stateRank(state: string): number {
  return RANK[state] ?? 0;
}

/**
 * A gateway's data is shown as fresh only while the aggregator says so and the answer that says
 * it is itself recent: an aggregator the browser no longer reaches must not leave its last
 * "online" on the screen.
 */
export const SITE_ANSWER_STALE_MS = 10_000;

/** How old the gateway's newest data is now: its age in the answer plus the answer's own age. */
export function dataAgeNow(g: GatewaySummary, answered_ms: number, now_ms: number): number | undefined {
  if (g.data_age_ms === null || g.data_age_ms === undefined) return undefined;
  return g.data_age_ms + Math.max(0, now_ms - answered_ms);
}

/** The state a tile shows: the aggregator's worst state, or offline when it cannot be trusted now. */
export function shownState(g: GatewaySummary, answered_ms: number, now_ms: number): GatewayState {
  if (g.worst_state === 'connecting' || g.data_age_ms === null) return 'connecting';
  if (!g.fresh || g.worst_state === 'offline' || now_ms - answered_ms > SITE_ANSWER_STALE_MS) return 'offline';
  return stateRank(g.worst_state) > 0 ? (g.worst_state as GatewayState) : 'normal';
}

export function stateTone(state: GatewayState): Tone {
  switch (state) {
    case 'trip':
    case 'alarm':
      return 'err';
    case 'warning':
    case 'discharging':
      return 'warn';
    case 'normal':
      return 'ok';
    default:
      return 'muted';
  }
}

export function stateLabel(state: GatewayState): string {
  return state === 'normal' ? 'normal' : state === 'connecting' ? 'connecting…' : state.toUpperCase();
}

/** "0.4 s", "12 s", "3 min", "2 h", "4 d": the age of a gateway's data. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** The tile's line about its data: never "fresh" for an offline gateway. */
export function dataAgeText(g: GatewaySummary, answered_ms: number, now_ms: number): string {
  const age = dataAgeNow(g, answered_ms, now_ms);
  const state = shownState(g, answered_ms, now_ms);
  if (age === undefined) return 'no data yet';
  if (state === 'offline') return `offline — last data ${formatDuration(age)} ago`;
  return `data ${formatDuration(age)} old`;
}

/** Online gateways worst first (then by name), offline and connecting ones apart. */
export function arrangeGateways(gateways: GatewaySummary[], answered_ms: number, now_ms: number): { online: GatewaySummary[]; apart: GatewaySummary[] } {
  const online: GatewaySummary[] = [];
  const apart: GatewaySummary[] = [];
  for (const g of gateways) (stateRank(shownState(g, answered_ms, now_ms)) > 0 ? online : apart).push(g);
  online.sort((a, b) => stateRank(shownState(b, answered_ms, now_ms)) - stateRank(shownState(a, answered_ms, now_ms)) || a.name.localeCompare(b.name));
  apart.sort((a, b) => a.name.localeCompare(b.name));
  return { online, apart };
}

/** The worst state over the site's online gateways ("normal" when none is worse). */
export function siteWorst(gateways: GatewaySummary[], answered_ms: number, now_ms: number): GatewayState {
  let worst: GatewayState = 'normal';
  for (const g of gateways) {
    const s = shownState(g, answered_ms, now_ms);
    if (stateRank(s) > stateRank(worst)) worst = s;
  }
  return worst;
}

/** One extreme of a string: its value and the battery (position) it comes from. */
export interface Extreme {
  value: number;
  battery: number;
}

/**
 * A string's lowest and highest battery voltage and its hottest battery, as its gateway computes
 * them (derived string channels) and the aggregator serves them in /api/v1/site: no battery's
 * values travel to the site. null: no good reading. quality "stale": the gateway is not fresh or a
 * figure is not a good reading.
 */
export interface StringExtremes {
  id: number;
  lowest_voltage_V: Extreme | null;
  highest_voltage_V: Extreme | null;
  highest_temperature_C: Extreme | null;
  quality: 'ok' | 'stale';
}
