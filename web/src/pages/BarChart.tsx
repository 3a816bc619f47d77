import { ChannelValue, freshness } from '../lib/live';
import { outliers, spread } from '../lib/stats';
import { LimitLine, Tone } from '../lib/limits';

export interface Bar {
  label: string;
  href: string;
  v: ChannelValue | undefined;
  balancing?: boolean;
}

/**
 * One bar per battery (up to 120) as plain SVG: cheap to redraw on every live update. Colours
 * mean limits: a bar is yellow or red only while the engine holds a warning or an alarm on it
 * (`tones`), and the limits in range are drawn as lines. The string mean is a dashed line;
 * statistical outliers get a ring above the bar and balancing a mark below it, never a
 * warning colour; stale or lost values are grey.
 */
export function BarChart(props: {
  title: string;
  unit: string;
  bars: Bar[];
  outlierAbs: number;
  digits: number;
  now: number;
  tones?: Tone[];
  limits?: LimitLine[];
  /** Where the limits are when they have no line (relative ones), e.g. "warning 20 %, alarm 50 % over each battery's baseline". */
  limitNote?: string;
}) {
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
          const tone = props.tones?.[i] ?? 'ok';
          const cls = v === undefined ? 'bar bar-stale' : tone === 'err' ? 'bar bar-alarm' : tone === 'warn' ? 'bar bar-warning' : 'bar';
          const top = v === undefined ? height * 0.9 : y(v);
          const x = i * w + w * 0.1;
          const outlier = v !== undefined && flagged.has(v);
          return (
            <a href={b.href}>
              <rect class={cls} x={x} y={top} width={w * 0.8} height={height - top} data-tone={v === undefined ? 'stale' : tone}>
                <title>
                  {b.label}: {b.v ? `${b.v.value.toFixed(props.digits)} ${props.unit} (${b.v.quality})` : 'no data'}
                  {tone === 'err' ? ' · alarm' : tone === 'warn' ? ' · warning' : ''}
                  {outlier ? ' · outlier' : ''}
                  {b.balancing ? ' · balancing' : ''}
                </title>
              </rect>
              {outlier && <circle class="outlier-mark" cx={x + w * 0.4} cy={Math.max(6, top - 8)} r={Math.min(6, Math.max(2.5, w * 0.3))} />}
              {b.balancing && <path class="balancing-mark" d={`M${x} ${height} l${w * 0.4} -8 l${w * 0.4} 8 z`} />}
            </a>
          );
        })}
        {s && <line class="mean" x1={0} x2={width} y1={y(s.mean)} y2={y(s.mean)} />}
        {(props.limits ?? [])
          .filter((l) => l.value > lo && l.value < hi)
          .map((l) => (
            <line class={`limit limit-${l.tone}`} x1={0} x2={width} y1={y(l.value)} y2={y(l.value)} data-limit={l.label}>
              <title>
                {l.label} limit {l.value.toFixed(props.digits)} {props.unit}
              </title>
            </line>
          ))}
      </svg>
      <div class="axis-x" aria-hidden="true">
        {props.bars.map((_, i) => (
          <span>{i === 0 || (i + 1) % 10 === 0 ? i + 1 : ''}</span>
        ))}
      </div>
      <div class="axis-y">
        scale {lo.toFixed(props.digits)}–{hi.toFixed(props.digits)} {props.unit} (not from zero: differences are magnified)
        {(props.limits ?? []).length > 0 && (
          <span class="limits" data-testid="limits">
            {' '}· limits {props.limits!.map((l) => `${l.label} ${l.value.toFixed(props.digits)} ${props.unit}`).join(', ')}
          </span>
        )}
        {props.limitNote && <span class="limits"> · limits {props.limitNote}</span>}
      </div>
    </figure>
  );
}
