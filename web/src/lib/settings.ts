// The settings form's logic: the field table of GET /api/v1/config turned into form rows,
// client-side range checks, the list of changes shown in the confirm dialog, and the partial
// document sent with PUT.

export interface ConfigField {
  name: string;
  unit: string;
  min: number;
  max: number;
  per_string: boolean;
  description: string;
  /** "number" (default), "integer" (whole numbers) or "boolean" (a flag). */
  type?: 'number' | 'integer' | 'boolean';
}

export type ConfigDoc = Record<string, any>;

export function getPath(doc: any, path: string[]): any {
  let v = doc;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[p];
  }
  return v;
}

function setPath(doc: any, path: string[], value: unknown): void {
  let v = doc;
  path.slice(0, -1).forEach((p) => {
    if (typeof v[p] !== 'object' || v[p] === null) v[p] = {};
    v = v[p];
  });
  v[path[path.length - 1]] = value;
}

/**
 * Where a field lives in the config document: limit-set fields ("battery.x") under
 * "defaults" (or "per_string.<id>" for an override), timings ("debounce_count") at the top.
 */
export function fieldPath(config: ConfigDoc, field: ConfigField, stringId?: number): string[] {
  const parts = field.name.split('.');
  if (stringId !== undefined) return ['per_string', String(stringId), ...parts];
  if (getPath(config.defaults, parts) !== undefined) return ['defaults', ...parts];
  return parts;
}

/** A form value: a number, a boolean (flags), or the text typed (not yet a number). */
export type FormValue = number | boolean | string;

/** What is wrong with a typed value, or undefined when it may be sent. */
export function checkValue(field: ConfigField, value: FormValue, label = field.name): string | undefined {
  if (typeof value === 'boolean') return undefined;
  const n = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n)) return `${label}: not a number`;
  if (field.type === 'integer' && !Number.isInteger(n)) return `${label}: ${n} is not a whole number`;
  if (n < field.min) return `${label}: ${n} is below the minimum ${field.min}`;
  if (n > field.max) return `${label}: ${n} is above the maximum ${field.max}`;
  return undefined;
}

export interface Change {
  /** Dotted path in the config document, as the server names it in its problems. */
  path: string;
  field: ConfigField;
  from: number | boolean | undefined;
  to: number | boolean | undefined;
}

/**
 * Edits are keyed by dotted path. A value equal to the current one is not a change; an
 * override edited back to empty (undefined) is the removal of that override.
 */
export function diffConfig(config: ConfigDoc, fields: ConfigField[], edits: Record<string, FormValue | undefined>): Change[] {
  const changes: Change[] = [];
  for (const [path, raw] of Object.entries(edits)) {
    const parts = path.split('.');
    const field = fields.find((f) => path.endsWith(`.${f.name}`) || path === f.name);
    if (!field) continue;
    const current = getPath(config, parts);
    let to: number | boolean | undefined;
    if (raw === undefined || raw === '') to = undefined;
    else if (typeof raw === 'boolean') to = raw;
    else to = Number(raw) * displayUnit(field, getPath(config, fieldPath(config, field))).factor;
    if (to === current || (to !== undefined && typeof to === 'number' && typeof current === 'number' && Math.abs(to - current) < 1e-12)) continue;
    if (to === undefined && current === undefined) continue;
    changes.push({ path, field, from: current, to });
  }
  return changes.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * The partial document for PUT. A removed override is sent as the string's whole override
 * set without it (the server keeps missing fields, so the removal needs the full set).
 */
export function buildPatch(config: ConfigDoc, changes: Change[]): ConfigDoc {
  const patch: ConfigDoc = {};
  const removedIn = new Set<string>();
  for (const c of changes) {
    const parts = c.path.split('.');
    if (c.to === undefined) {
      if (parts[0] === 'per_string') removedIn.add(parts[1]);
      continue;
    }
    setPath(patch, parts, c.to);
  }
  for (const id of removedIn) {
    const whole = JSON.parse(JSON.stringify(config.per_string?.[id] ?? {}));
    for (const c of changes) {
      const parts = c.path.split('.');
      if (parts[0] !== 'per_string' || parts[1] !== id) continue;
      if (c.to === undefined) deletePath(whole, parts.slice(2));
      else setPath(whole, parts.slice(2), c.to);
    }
    patch.per_string = patch.per_string ?? {};
    patch.per_string[id] = whole;
  }
  return patch;
}

function deletePath(doc: any, path: string[]): void {
  const parent = getPath(doc, path.slice(0, -1));
  if (parent && typeof parent === 'object') delete parent[path[path.length - 1]];
}

/** Problems of all edits, checked before the confirm dialog opens: ranges, then limit order. */
export function checkChanges(changes: Change[], config?: ConfigDoc): string[] {
  const problems: string[] = [];
  for (const c of changes) {
    if (c.to === undefined) continue;
    const p = checkValue(c.field, c.to, c.path);
    if (p) problems.push(p);
  }
  if (problems.length === 0 && config) problems.push(...orderProblems(config, changes));
  return problems;
}

export function formatSetting(v: number | boolean | undefined, unit: string): string {
  if (v === undefined) return '(default)';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return unit ? `${v} ${unit}` : String(v);
}

// --- Grouping, durations and limit order.

/** Subjects of the settings page, in the order shown. */
export const GROUPS = [
  'Battery voltage',
  'Battery temperature',
  'Battery resistance and health',
  'String voltage and current',
  'Thermal runaway',
  'Insulation',
  'Capacity test and runtime',
  'Equalization',
  'Delays, debouncing and latching',
  'Other',
] as const;
export type Group = (typeof GROUPS)[number];

/** The subject of a field, from its name. */
export function groupOf(field: ConfigField): Group {
  const n = field.name;
  if (n.startsWith('equalization')) return 'Equalization';
  if (n.includes('runaway')) return 'Thermal runaway';
  if (n.includes('insulation')) return 'Insulation';
  if (n.includes('capacity_test') || n.includes('runtime') || n.includes('soc_')) return 'Capacity test and runtime';
  if (n.endsWith('_ms') || n.includes('debounce') || n.includes('latch') || n.includes('delay')) return 'Delays, debouncing and latching';
  if (n.startsWith('battery.')) {
    if (n.includes('voltage') || n.includes('temp_comp')) return 'Battery voltage';
    if (n.includes('temperature') || n.includes('delta_t')) return 'Battery temperature';
    if (n.includes('resistance') || n.includes('soh')) return 'Battery resistance and health';
  }
  if (n.startsWith('string.')) return 'String voltage and current';
  return 'Other';
}

/** Fields by subject, subjects in GROUPS order, fields in the server's order within each. */
export function groupFields(fields: ConfigField[]): { group: Group; fields: ConfigField[] }[] {
  return GROUPS.map((group) => ({ group, fields: fields.filter((f) => groupOf(f) === group) })).filter((g) => g.fields.length > 0);
}

/**
 * How a field is shown and typed: durations (unit "ms") in seconds, or in minutes when the field
 * counts in minutes (its minimum is a minute or more, or it runs to hours and the site's value is
 * whole minutes); everything else as stored. `factor` converts a shown value to the stored one.
 */
export function displayUnit(field: ConfigField, siteValue?: unknown): { unit: string; factor: number } {
  if (field.unit !== 'ms') return { unit: field.unit, factor: 1 };
  const wholeMinutes = typeof siteValue === 'number' && siteValue > 0 && siteValue % 60_000 === 0;
  return field.min >= 60_000 || (field.max >= 3_600_000 && wholeMinutes) ? { unit: 'min', factor: 60_000 } : { unit: 's', factor: 1000 };
}

const tidy = (x: number) => Number(x.toPrecision(10));

/**
 * The field as the form shows it: unit, minimum and maximum in the display unit. A whole number
 * of ms may be a fraction of a second, so the whole-number check is left to the stored value.
 */
export function shownField(field: ConfigField, siteValue?: unknown): ConfigField {
  const { unit, factor } = displayUnit(field, siteValue);
  if (factor === 1) return field;
  return { ...field, unit, min: tidy(field.min / factor), max: tidy(field.max / factor), type: field.type === 'integer' ? 'number' : field.type };
}

/** A stored value with its display unit, for the confirm dialog ("(default)" when none). */
export function formatFieldValue(field: ConfigField, v: number | boolean | undefined, siteValue?: unknown): string {
  if (typeof v !== 'number') return formatSetting(v, field.unit);
  const unit = displayUnit(field, siteValue).unit;
  return unit ? `${shownValue(field, v, siteValue)} ${unit}` : shownValue(field, v, siteValue);
}

/** A stored value as shown: in the display unit, all its significant digits (at most 10). */
export function shownValue(field: ConfigField, stored: number | boolean | undefined, siteValue?: unknown): string {
  if (stored === undefined) return '';
  if (typeof stored === 'boolean') return String(stored);
  return String(tidy(stored / displayUnit(field, siteValue).factor));
}

/** Limits that must rise in this order within one limit set (a warning before its alarm). */
export const ORDERED_LIMITS: string[][] = [
  ['battery.temperature_warning_C', 'battery.temperature_alarm_C', 'battery.temperature_trip_C', 'battery.temperature_fatal_C'],
  ['battery.resistance_warning_pct', 'battery.resistance_alarm_pct'],
  ['battery.voltage_always_low_per_cell_V', 'battery.voltage_low_per_cell_V', 'battery.voltage_high_per_cell_V', 'battery.voltage_always_high_per_cell_V'],
  ['string.voltage_low_per_cell_V', 'string.voltage_high_per_cell_V'],
  // A low limit warns first: the alarm lies below the warning.
  ['string.insulation_alarm_ohm_per_V', 'string.insulation_warning_ohm_per_V'],
];

/**
 * Limits out of order after the changes, in every limit set they touch (the site's defaults and
 * each string's overrides), naming the field that was changed: "battery.temperature_alarm_C 34
 * °C must be above battery.temperature_warning_C (35 °C)".
 */
export function orderProblems(config: ConfigDoc, changes: Change[]): string[] {
  const sets = new Set<string>();
  for (const c of changes) {
    const parts = c.path.split('.');
    if (parts[0] === 'defaults') {
      sets.add('defaults');
      for (const id of Object.keys(config.per_string ?? {})) sets.add(`per_string.${id}`);
    } else if (parts[0] === 'per_string') sets.add(`per_string.${parts[1]}`);
  }
  const changed = new Map(changes.map((c) => [c.path, c.to]));
  const value = (set: string, name: string): number | undefined => {
    const own = `${set}.${name}`;
    if (changed.has(own)) {
      const v = changed.get(own);
      if (typeof v === 'number') return v;
      if (v === undefined && set !== 'defaults') return value('defaults', name); // override removed
    }
    const stored = getPath(config, own.split('.'));
    if (typeof stored === 'number') return stored;
    return set === 'defaults' ? undefined : value('defaults', name);
  };
  const unit = (name: string) => changes.find((c) => c.path.endsWith(name))?.field.unit ?? '';
  const problems: string[] = [];
  for (const set of sets) {
    for (const chain of ORDERED_LIMITS) {
      for (let i = 0; i + 1 < chain.length; i++) {
        const [lo, hi] = [chain[i], chain[i + 1]];
        const a = value(set, lo);
        const b = value(set, hi);
        if (a === undefined || b === undefined || a < b) continue;
        const hiChanged = changed.has(`${set}.${hi}`);
        const loChanged = changed.has(`${set}.${lo}`);
        if (!hiChanged && !loChanged && set !== 'defaults' && !changes.some((c) => c.path === `defaults.${lo}` || c.path === `defaults.${hi}`)) continue;
        const u = unit(hiChanged ? hi : lo);
        const text = (n: number) => (u ? `${n} ${u}` : String(n));
        problems.push(
          hiChanged || !loChanged
            ? `${set}.${hi} ${text(b)} must be above ${set}.${lo} (${text(a)})`
            : `${set}.${lo} ${text(a)} must be below ${set}.${hi} (${text(b)})`,
        );
      }
    }
  }
  return problems;
}
