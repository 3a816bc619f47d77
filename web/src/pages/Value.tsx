import { ChannelValue, formatAge, formatValue, freshness } from '../lib/live';

/** A value with its freshness: greyed with its age when stale or lost, never shown as current. */
export function Value(props: { v: ChannelValue | undefined; digits: number; now: number; invalidText?: string }) {
  const f = freshness(props.v, props.now);
  if (f === 'invalid' && props.invalidText) return <span class="value value-na">{props.invalidText}</span>;
  const title = props.v ? `${props.v.quality}, measured ${formatAge(props.v.time_ms, props.now)}` : 'no data';
  return (
    <span class={`value value-${f}`} title={title}>
      {formatValue(props.v, props.digits)}
      {props.v && f !== 'fresh' && f !== 'missing' && (
        <small class="age"> ({f}, {formatAge(props.v.time_ms, props.now)})</small>
      )}
    </span>
  );
}
