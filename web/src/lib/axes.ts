// Several history channels on one chart: series of the same unit share a y scale and axis
// (volts with volts, amperes with amperes), each channel's min/max is a band around its mean.
import { HistorySeries } from './history';

export interface UnitGroup {
  /** uPlot scale key. */
  scale: string;
  unit: string;
  /** Indexes into the channel list. */
  channels: number[];
  /** Axis side: 3 = left, 1 = right, alternating. */
  side: 1 | 3;
}

export function unitGroups(units: string[]): UnitGroup[] {
  const groups: UnitGroup[] = [];
  units.forEach((unit, i) => {
    let g = groups.find((x) => x.unit === unit);
    if (!g) {
      g = { scale: `u${groups.length}:${unit || '-'}`, unit, channels: [], side: groups.length % 2 === 0 ? 3 : 1 };
      groups.push(g);
    }
    g.channels.push(i);
  });
  return groups;
}

/**
 * The buckets of several series on one time axis (seconds, as uPlot wants): a column per
 * channel for mean, min and max, null where a channel has no bucket (a gap, never a zero).
 */
export interface AlignedData {
  xs: number[];
  mean: (number | null)[][];
  min: (number | null)[][];
  max: (number | null)[][];
}

export function alignSeries(series: HistorySeries[]): AlignedData {
  const times = new Set<number>();
  for (const s of series) for (const b of s.buckets) times.add(b[0]);
  const sorted = [...times].sort((a, b) => a - b);
  const index = new Map<number, number>();
  sorted.forEach((t, i) => index.set(t, i));
  const column = () => new Array<number | null>(sorted.length).fill(null);
  const out: AlignedData = { xs: sorted.map((t) => t / 1000), mean: [], min: [], max: [] };
  for (const s of series) {
    const mean = column();
    const min = column();
    const max = column();
    for (const [t, lo, hi, avg] of s.buckets) {
      const i = index.get(t)!;
      mean[i] = avg;
      min[i] = lo;
      max[i] = hi;
    }
    out.mean.push(mean);
    out.min.push(min);
    out.max.push(max);
  }
  return out;
}

export const PALETTE = ['#4aa3ff', '#ff9f43', '#2ecc71', '#e056fd', '#f1c40f', '#00cec9', '#e74c3c', '#a29bfe'];

/**
 * uPlot series, axes, bands and data for channels with their units. Series order: x, then
 * per channel mean, min, max (min/max hidden from the legend, drawn as a band). Axis labels,
 * ticks and units take `textColour` (the theme's text colour): a canvas cannot use currentColor.
 */
export function plotLayout(series: HistorySeries[], band: boolean, textColour = '#888888') {
  const groups = unitGroups(series.map((s) => s.unit));
  const scaleOf = (i: number) => groups.find((g) => g.channels.includes(i))!.scale;
  const aligned = alignSeries(series);
  const uSeries: any[] = [{}];
  const data: (number | null)[][] = [aligned.xs];
  const bands: { series: [number, number]; fill: string }[] = [];
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const scale = scaleOf(i);
    uSeries.push({ label: `${s.channel}${s.unit ? ` (${s.unit})` : ''}`, stroke: colour, scale, width: 1.5, spanGaps: false });
    data.push(aligned.mean[i]);
    if (band) {
      const minIdx = data.length;
      uSeries.push({ label: `${s.channel} min`, stroke: 'transparent', scale, points: { show: false } });
      data.push(aligned.min[i]);
      uSeries.push({ label: `${s.channel} max`, stroke: 'transparent', scale, points: { show: false } });
      data.push(aligned.max[i]);
      bands.push({ series: [minIdx + 1, minIdx], fill: `${colour}26` });
    }
  });
  const axes: any[] = [{ stroke: textColour, grid: { stroke: 'rgba(128,128,128,0.25)' } }];
  groups.forEach((g, k) =>
    axes.push({
      scale: g.scale,
      side: g.side,
      label: g.unit || '(no unit)',
      stroke: textColour,
      grid: { show: k === 0, stroke: 'rgba(128,128,128,0.25)' },
    }),
  );
  const scales: Record<string, any> = { x: { time: true } };
  for (const g of groups) scales[g.scale] = { auto: true };
  return { groups, series: uSeries, axes, bands, scales, data };
}
