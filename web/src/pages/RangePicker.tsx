import { useEffect, useState } from 'preact/hooks';
import { PRESETS, PresetKey, TimeRange, parseLocalRange, presetOf, presetRange, toLocalInput } from '../lib/ranges';
import { serverNow } from '../lib/clock';

/** Preset buttons (1 h .. all) and a custom from/to in the browser's time zone. */
export function RangePicker(props: { range: TimeRange; onChange: (r: TimeRange, preset?: PresetKey) => void; now: number; preset?: PresetKey }) {
  const active = props.preset ?? presetOf(props.range, props.now);
  const [from, setFrom] = useState(toLocalInput(props.range.from_ms));
  const [to, setTo] = useState(toLocalInput(props.range.to_ms));
  const [problem, setProblem] = useState<string | undefined>();
  // A zoom or a preset moves the range: the custom fields show where it is now.
  useEffect(() => {
    setFrom(toLocalInput(props.range.from_ms));
    setTo(toLocalInput(props.range.to_ms));
  }, [props.range.from_ms, props.range.to_ms]);
  const apply = (e: Event) => {
    e.preventDefault();
    const r = parseLocalRange(from, to);
    if (typeof r === 'string') setProblem(r);
    else {
      setProblem(undefined);
      props.onChange(r);
    }
  };
  return (
    <form class="range-picker" onSubmit={apply}>
      {PRESETS.map((p) => (
        <button
          type="button"
          class={active === p.key ? 'active' : ''}
          data-testid={`range-${p.key}`}
          onClick={() => {
            const r = presetRange(p.key, serverNow());
            setFrom(toLocalInput(r.from_ms));
            setTo(toLocalInput(r.to_ms));
            props.onChange(r, p.key);
          }}
        >
          {p.label}
        </button>
      ))}
      <label>
        from <input type="datetime-local" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        to <input type="datetime-local" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Show</button>
      {problem && <span class="value-invalid">{problem}</span>}
    </form>
  );
}

/** Refresh of a preset range ("last 24 h" keeps meaning the last 24 h while the page is open). */
const FOLLOW_NOW_MS = 60_000;

/**
 * The range of a history view: a preset follows "now" (re-queried every minute), a custom or
 * zoomed range stays where it was put.
 */
export function useRangeState(initial: PresetKey): [TimeRange, PresetKey | undefined, (r: TimeRange, p?: PresetKey) => void] {
  const [state, setState] = useState<{ range: TimeRange; preset?: PresetKey }>(() => ({ range: presetRange(initial, serverNow()), preset: initial }));
  useEffect(() => {
    if (!state.preset) return;
    const preset = state.preset;
    const timer = setInterval(() => setState({ range: presetRange(preset, serverNow()), preset }), FOLLOW_NOW_MS);
    return () => clearInterval(timer);
  }, [state.preset]);
  return [state.range, state.preset, (range, preset) => setState({ range, preset })];
}
