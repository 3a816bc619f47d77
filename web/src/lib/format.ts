import { ChannelValue, freshness } from './live';

// Codes published by the engine (src/model/derived_channels.hpp) as words for people.
export const STRING_STATES: Record<number, string> = {
  0: 'float',
  1: 'equalizing',
  2: 'discharge',
  3: 'idle',
  5: 'abnormal',
  6: 'disconnected',
};

export function stringState(code: number | undefined): string {
  if (code === undefined) return '—';
  return STRING_STATES[code] ?? `state ${code}`;
}

export const STATUS_CLASS: Record<number, string> = { 0: 'disabled', 1: 'ok', 2: 'error', 3: 'initializing' };

/**
 * "+12 % above baseline" from a live resistance and its learned baseline; says why not when
 * either is missing, stale, or still being learned. Ageing shows as a rising resistance.
 */
export function resistanceVersusBaseline(r: ChannelValue | undefined, baseline: ChannelValue | undefined, now_ms: number): string {
  if (!baseline || baseline.quality === 'invalid' || !(baseline.value > 0)) return 'baseline not learned yet';
  const f = freshness(r, now_ms);
  if (!r || f === 'invalid' || f === 'missing') return 'no resistance reading';
  const pct = (100 * (r.value - baseline.value)) / baseline.value;
  const text = `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(0)} % vs baseline`;
  return f === 'fresh' ? text : `${text} (${f})`;
}
