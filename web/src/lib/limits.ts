/**
 * Colours that mean limits: a bar is red or yellow only when the engine holds an alarm or a
 * warning on that battery's quantity (the engine's judgement, with its temperature compensation,
 * delays and hysteresis), and the limit lines come from the engine's configuration.
 */
import { ActiveAlarm } from './events';

export type Tone = 'ok' | 'warn' | 'err';
export type Quantity = 'voltage' | 'temperature' | 'resistance';

export interface LimitLine {
  value: number;
  tone: 'warn' | 'err';
  label: string;
}

/** Which alarm rules judge a quantity of a battery. */
function quantityOf(rule: string): Quantity | undefined {
  if (rule.startsWith('battery_voltage')) return 'voltage';
  if (rule.startsWith('battery_temperature') || rule.startsWith('battery_delta_t') || rule.includes('runaway')) return 'temperature';
  if (rule.startsWith('battery_resistance')) return 'resistance';
  return undefined;
}

/** One tone per battery (position 1 at index 0) from the active alarms of string `stringId`. */
export function barTones(alarms: ActiveAlarm[] | undefined, stringId: number, batteries: number, quantity: Quantity): Tone[] {
  const tones: Tone[] = Array.from({ length: batteries }, () => 'ok');
  const prefix = `battery/${stringId}/`;
  for (const a of alarms ?? []) {
    if (!a.source.startsWith(prefix) || quantityOf(a.rule) !== quantity) continue;
    const position = Number(a.source.slice(prefix.length));
    if (!Number.isInteger(position) || position < 1 || position > batteries) continue;
    const tone: Tone = a.severity === 'warning' ? 'warn' : a.severity === 'info' ? 'ok' : 'err';
    const i = position - 1;
    if (tone === 'err' || (tone === 'warn' && tones[i] === 'ok')) tones[i] = tone;
  }
  return tones;
}

/** The battery limits in force for a string: its own (per_string) over the defaults. */
function batteryLimits(config: any, stringId: number): Record<string, number> | undefined {
  return config?.per_string?.[String(stringId)]?.battery ?? config?.defaults?.battery;
}

/**
 * Limit lines of the voltage and temperature charts of a string (`cells` per battery, from its
 * battery type; voltage limits are per cell at 25 °C). Resistance limits are relative to each
 * battery's own baseline, so they have no line: resistancePct says where they are. The float
 * band's low limit holds only on float (or equalizing): an open or discharging string is judged
 * against the always-low limit, as the engine does.
 */
export function limitLines(config: any, stringId: number, cells: number | undefined, onFloat = true) {
  const b = batteryLimits(config, stringId);
  const voltage: LimitLine[] = [];
  const temperature: LimitLine[] = [];
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
  if (b && cells) {
    const high = num(b.voltage_high_per_cell_V);
    const low = num(onFloat ? b.voltage_low_per_cell_V : b.voltage_always_low_per_cell_V);
    if (high !== undefined) voltage.push({ value: high * cells, tone: 'err', label: 'high alarm' });
    if (low !== undefined) voltage.push({ value: low * cells, tone: 'err', label: onFloat ? 'low alarm on float' : 'low alarm off float' });
  }
  if (b) {
    const warning = num(b.temperature_warning_C);
    const alarm = num(b.temperature_alarm_C);
    const trip = num(b.temperature_trip_C);
    if (warning !== undefined) temperature.push({ value: warning, tone: 'warn', label: 'warning' });
    if (alarm !== undefined) temperature.push({ value: alarm, tone: 'err', label: 'alarm' });
    if (trip !== undefined) temperature.push({ value: trip, tone: 'err', label: 'trip' });
  }
  const resistancePct = b ? { warning: num(b.resistance_warning_pct), alarm: num(b.resistance_alarm_pct) } : undefined;
  return { voltage, temperature, resistancePct };
}
