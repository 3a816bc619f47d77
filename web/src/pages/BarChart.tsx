import { ChannelValue, freshness } from '../lib/live';
import { outliers, spread } from '../lib/stats';

export interface Bar {
  label: string;
  href: string;
  v: ChannelValue | undefined;
  balancing?: boolean;
}

/**
 * One bar per battery (up to 120) as plain SVG: cheap to redraw on every live update. The
 * string mean is a line, outliers are red, stale or lost values are grey.
 */
export function BarChart(props: { title: string; unit: string; bars: Bar[]; outlierAbs: number; digits: number; now: number }) {
  const fresh = props.bars.map((b) => (freshness(b.v, props.now) === 'fresh' ? b.v!.value : undefined));
  const values = fresh.filter((x): x is number => x !== undefined);
  const s = spread(values);
  const flagged = new Set(outliers(values, props.outlierAbs).map((i) => values[i]));
  const lo = s ? s.min - (s.max - s.min) * 0.5 - props.outlierAbs : 0;
  const hi = s ? s.max + (s.max - s.min) * 0.2 + props.outlierAbs * 0.2 : 1;
  const width = 1000;
  const height = 160;
  const w = width / Math.max(1, props.bars.length);
  const y = (v: number) => height - ((v - lo) / (hi - lo || 1)) * height;
  return (
    <figure class="barchart">
      <figcaption>
        {props.title}
        {s && (
          <span class="stats">
            {' '}mean {s.mean.toFixed(props.digits)} {props.unit} · min {s.min.toFixed(props.digits)} {props.unit} · max{' '}
            {s.max.toFixed(props.digits)} {props.unit} · spread {(s.max - s.min).toFixed(props.digits)} {props.unit}
          </span>
        )}
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={props.title}>
        {props.bars.map((b, i) => {
          const v = fresh[i];
          const cls = v === undefined ? 'bar bar-stale' : flagged.has(v) ? 'bar bar-outlier' : b.balancing ? 'bar bar-balancing' : 'bar';
          const top = v === undefined ? height * 0.9 : y(v);
          return (
            <a href={b.href}>
              <rect class={cls} x={i * w + w * 0.1} y={top} width={w * 0.8} height={height - top}>
                <title>
                  {b.label}: {b.v ? `${b.v.value.toFixed(props.digits)} ${props.unit} (${b.v.quality})` : 'no data'}
                  {b.balancing ? ' · balancing' : ''}
                </title>
              </rect>
            </a>
          );
        })}
        {s && <line class="mean" x1={0} x2={width} y1={y(s.mean)} y2={y(s.mean)} />}
      </svg>
      <div class="axis-x" aria-hidden="true">
        {props.bars.map((_, i) => (
          <span>{i === 0 || (i + 1) % 10 === 0 ? i + 1 : ''}</span>
        ))}
      </div>
      <div class="axis-y">
        scale {lo.toFixed(props.digits)}–{hi.toFixed(props.digits)} {props.unit} (not from zero: differences are magnified)
      </div>
    </figure>
  );
}
