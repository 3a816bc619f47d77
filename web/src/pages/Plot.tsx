import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { plotLayout } from '../lib/axes';
import { axisStroke, themeTextColour } from '../lib/theme';
import { getJson } from '../lib/api';
import { HistoryAnswer, HistorySeries, historyUrl } from '../lib/history';
import { ALL_SPAN_MS, TimeRange, zoomRange } from '../lib/ranges';

/** A horizontal line at `value` on the y scale of `unit`, labelled (a limit, an end voltage). */
export interface RefLine {
  value: number;
  unit: string;
  label: string;
  colour: string;
}

/** An answer of /api/v1/history with the moment it was parsed (for the draw-time figure). */
export interface Loaded {
  answer?: HistoryAnswer;
  error?: string;
  loading: boolean;
  received_at?: number;
}

/** Fetches history for `channels` over `range`; re-fetches when any of them changes. */
export function useHistory(channels: string[], range: TimeRange, points: number): Loaded {
  const [state, setState] = useState<Loaded>({ loading: true });
  const key = `${channels.join(',')}|${range.from_ms}|${range.to_ms}|${points}`;
  useEffect(() => {
    if (channels.length === 0) {
      setState({ loading: false });
      return;
    }
    let cancelled = false;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    getJson(historyUrl(channels, range, points)).then(
      (answer: HistoryAnswer) => !cancelled && setState({ answer, loading: false, received_at: performance.now() }),
      (e) => !cancelled && setState({ loading: false, error: String(e.message ?? e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [key]);
  return state;
}

/**
 * History series on one uPlot chart: unit-grouped y axes, min/max bands, drag to zoom (the
 * caller re-queries at the zoomed range). The time from the data's arrival to the end of
 * uPlot's draw is kept in data-draw-ms (read by the browser test).
 */
export function Plot(props: {
  series: HistorySeries[];
  band?: boolean;
  height?: number;
  receivedAt?: number;
  onZoom?: (r: TimeRange) => void;
  cursorX_s?: number;
  testid?: string;
  /** The x axis spans this range (the one asked for), not only where data is. */
  xRange?: TimeRange;
  /** Horizontal reference lines (limits, end voltage) on the y scale of their unit, kept in view. */
  refLines?: RefLine[];
  /** Axis text colour instead of the theme's (a report printed on white from the dark theme). */
  axisColour?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot>();
  const zoomRef = useRef(props.onZoom);
  zoomRef.current = props.onZoom;
  useEffect(() => {
    const el = ref.current!;
    const t0 = props.receivedAt ?? performance.now();
    const layout = plotLayout(props.series, props.band ?? true, props.axisColour ?? themeTextColour());
    if (props.xRange) {
      const { from_ms, to_ms } = props.xRange;
      layout.scales.x = { time: true, range: () => [from_ms / 1000, to_ms / 1000] };
    }
    // Each reference line on the scale of its unit, and that scale widened to show it.
    const lines = (props.refLines ?? [])
      .map((l) => ({ ...l, scale: layout.groups.find((g) => g.unit === l.unit)?.scale }))
      .filter((l): l is RefLine & { scale: string } => l.scale !== undefined);
    for (const l of lines) {
      layout.scales[l.scale] = {
        auto: true,
        range: (_u: uPlot, min: number, max: number) => {
          const lo = Math.min(min, l.value);
          const hi = Math.max(max, l.value);
          const pad = (hi - lo) * 0.05 || 1;
          return [lo - pad, hi + pad];
        },
      };
    }
    let drawn = false;
    const plot = new uPlot(
      {
        width: Math.max(320, Math.min(1200, (el.parentElement?.clientWidth ?? innerWidth) - 20)),
        height: props.height ?? 260,
        series: layout.series,
        axes: layout.axes,
        scales: layout.scales,
        bands: layout.bands,
        cursor: { drag: { x: true, y: false, setScale: false } },
        hooks: {
          draw: [
            (u) => {
              const ctx = u.ctx;
              for (const l of lines) {
                const y = u.valToPos(l.value, l.scale, true);
                ctx.save();
                ctx.strokeStyle = l.colour;
                ctx.fillStyle = l.colour;
                ctx.setLineDash([6, 4]);
                ctx.lineWidth = 1.5 * devicePixelRatio;
                // The plotting area's ends in canvas pixels, from the x scale itself.
                const x0 = u.valToPos(u.scales.x.min ?? 0, 'x', true);
                const x1 = u.valToPos(u.scales.x.max ?? 0, 'x', true);
                ctx.beginPath();
                ctx.moveTo(x0, y);
                ctx.lineTo(x1, y);
                ctx.stroke();
                ctx.font = `${11 * devicePixelRatio}px sans-serif`;
                ctx.fillText(l.label, x0 + 4 * devicePixelRatio, y - 4 * devicePixelRatio);
                ctx.restore();
              }
              el.dataset.refLines = lines.map((l) => `${l.label}=${l.value}`).join(';');
            },
            () => {
              if (drawn) return;
              drawn = true;
              el.dataset.drawMs = (performance.now() - t0).toFixed(1);
              el.dataset.points = String(layout.data[0].length);
            },
          ],
          setSelect: [
            (u) => {
              if (u.select.width < 3 || !zoomRef.current) return;
              const min = u.posToVal(u.select.left, 'x');
              const max = u.posToVal(u.select.left + u.select.width, 'x');
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              zoomRef.current(zoomRange(min, max));
            },
          ],
        },
      },
      layout.data as uPlot.AlignedData,
      el,
    );
    // The min/max series only draw the band: their legend rows would double the legend.
    const rows = el.querySelectorAll<HTMLElement>('.u-legend .u-series');
    layout.series.forEach((s, i) => {
      if (i > 0 && / (min|max)$/.test(s.label ?? '') && rows[i]) rows[i].style.display = 'none';
    });
    plotRef.current = plot;
    el.dataset.axisStroke = axisStroke(plot as any, 1);
    return () => plot.destroy();
  }, [props.series, props.band, props.xRange?.from_ms, props.xRange?.to_ms, JSON.stringify(props.refLines ?? [])]);
  useEffect(() => {
    const plot = plotRef.current;
    if (!plot || props.cursorX_s === undefined) return;
    plot.setCursor({ left: plot.valToPos(props.cursorX_s, 'x'), top: 10 });
  }, [props.cursorX_s, props.series]);
  return <div class="plot" ref={ref} data-testid={props.testid} />;
}

function bucketText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/** The chart, or why there is none. */
export function HistoryPlot(props: {
  loaded: Loaded;
  testid?: string;
  onZoom?: (r: TimeRange) => void;
  band?: boolean;
  height?: number;
  /** false: the x axis follows the data ("all", where years before the site would be empty). */
  fullRange?: boolean;
  /** A moment marked with the cursor (playback). */
  cursorX_s?: number;
  refLines?: RefLine[];
  axisColour?: string;
}) {
  const { loaded } = props;
  if (loaded.error) return <p class="value-invalid">History: {loaded.error}</p>;
  if (!loaded.answer) return <p class="muted">{loaded.loading ? 'Loading history…' : 'No history.'}</p>;
  const series = loaded.answer.series;
  const buckets = series.reduce((n, s) => n + s.buckets.length, 0);
  return (
    <div class={loaded.loading ? 'plot-wrap loading' : 'plot-wrap'} data-span-ms={loaded.answer.to_ms - loaded.answer.from_ms}>
      {buckets === 0 && <p class="muted">No stored values in this range.</p>}
      <Plot
        series={series}
        receivedAt={loaded.received_at}
        testid={props.testid}
        onZoom={props.onZoom}
        band={props.band}
        height={props.height}
        cursorX_s={props.cursorX_s}
        refLines={props.refLines}
        axisColour={props.axisColour}
        xRange={props.fullRange === false || loaded.answer.to_ms - loaded.answer.from_ms > ALL_SPAN_MS / 2 ? undefined : { from_ms: loaded.answer.from_ms, to_ms: loaded.answer.to_ms }}
      />
      <small class="muted">
        {loaded.answer.tier} tier, {bucketText(loaded.answer.bucket_ms)} buckets, {buckets} shown{props.onZoom ? ' · drag on the chart to zoom' : ''}
      </small>
    </div>
  );
}
