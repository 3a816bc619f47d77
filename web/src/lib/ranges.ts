// Time ranges of the history views: presets (last hour .. all years), custom ranges, zoom, and
// which storage tier the gateway will answer from (so the page can say "hourly buckets").

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export type PresetKey = '1h' | '24h' | '7d' | '30d' | '1y' | 'all';

export interface Preset {
  key: PresetKey;
  label: string;
  /** Length of the range; undefined for "all". */
  span_ms?: number;
}

export const PRESETS: Preset[] = [
  { key: '1h', label: '1 h', span_ms: HOUR_MS },
  { key: '24h', label: '24 h', span_ms: DAY_MS },
  { key: '7d', label: '7 d', span_ms: 7 * DAY_MS },
  { key: '30d', label: '30 d', span_ms: 30 * DAY_MS },
  { key: '1y', label: '1 y', span_ms: 365 * DAY_MS },
  { key: 'all', label: 'all' },
];

/** "All" reaches this far back: a site's life, well inside the API's 100-year limit. */
export const ALL_SPAN_MS = 50 * 365 * DAY_MS;

export interface TimeRange {
  from_ms: number;
  to_ms: number;
}

export function presetRange(key: PresetKey, now_ms: number): TimeRange {
  const preset = PRESETS.find((p) => p.key === key);
  if (!preset) throw new Error(`unknown range preset ${key}`);
  return { from_ms: now_ms - (preset.span_ms ?? ALL_SPAN_MS), to_ms: now_ms };
}

/** The preset a range equals (to the minute), for highlighting the active button. */
export function presetOf(range: TimeRange, now_ms: number): PresetKey | undefined {
  if (Math.abs(range.to_ms - now_ms) > 60_000) return undefined;
  const span = range.to_ms - range.from_ms;
  return PRESETS.find((p) => Math.abs((p.span_ms ?? ALL_SPAN_MS) - span) < 60_000)?.key;
}

/** Buckets to ask for: about one per two pixels, at most 1000 (the hour-tier answer of a year). */
export function pointsForWidth(width_px: number): number {
  return Math.max(60, Math.min(1000, Math.round(width_px / 2)));
}

export type Tier = 'raw' | 'minute' | 'hour';

/** The tier the store answers from (docs/api.md "GET /api/v1/history"). */
export function expectedTier(range: TimeRange, points: number): Tier {
  const bucket_ms = (range.to_ms - range.from_ms) / points;
  if (bucket_ms < 60_000) return 'raw';
  if (bucket_ms < HOUR_MS) return 'minute';
  return 'hour';
}

/**
 * A range selected on a chart (seconds, as uPlot gives them) as a query range; never shorter
 * than a minute so a mis-click does not ask for an empty range.
 */
export function zoomRange(min_s: number, max_s: number): TimeRange {
  let from_ms = Math.round(Math.min(min_s, max_s) * 1000);
  let to_ms = Math.round(Math.max(min_s, max_s) * 1000);
  if (to_ms - from_ms < 60_000) {
    const mid = (from_ms + to_ms) / 2;
    from_ms = Math.round(mid - 30_000);
    to_ms = Math.round(mid + 30_000);
  }
  return { from_ms, to_ms };
}

/** Custom range from two <input type="datetime-local"> values (local time of the browser). */
export function parseLocalRange(from: string, to: string): TimeRange | string {
  const f = Date.parse(from);
  const t = Date.parse(to);
  if (!Number.isFinite(f) || !Number.isFinite(t)) return 'enter both start and end';
  if (f >= t) return 'the start must be before the end';
  return { from_ms: f, to_ms: t };
}

/** A Date as the value of <input type="datetime-local"> in the browser's time zone. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
