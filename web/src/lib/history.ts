// /api/v1/history answers and their URLs.
import { TimeRange } from './ranges';

/** [time_ms, min, max, mean, count] */
export type Bucket = [number, number, number, number, number];

export interface HistorySeries {
  channel: string;
  unit: string;
  buckets: Bucket[];
}

export interface HistoryAnswer {
  tier: string;
  bucket_ms: number;
  from_ms: number;
  to_ms: number;
  points: number;
  series: HistorySeries[];
}

export function historyQuery(channels: string[], range: TimeRange, points: number): string {
  const q = new URLSearchParams();
  for (const c of channels) q.append('channel', c);
  q.set('from', String(Math.round(range.from_ms)));
  q.set('to', String(Math.round(range.to_ms)));
  q.set('points', String(points));
  return q.toString();
}

export function historyUrl(channels: string[], range: TimeRange, points: number): string {
  return `/api/v1/history?${historyQuery(channels, range, points)}`;
}

export function historyCsvUrl(channels: string[], range: TimeRange, points: number): string {
  return `/api/v1/history.csv?${historyQuery(channels, range, points)}`;
}
