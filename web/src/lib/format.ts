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

export const STATUS_CLASS: Record<number, string> = { 0: 'disabled', 1: 'ok', 2: 'error' };
