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
    else to = Number(raw);
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

/** Problems of all edits, checked before the confirm dialog opens. */
export function checkChanges(changes: Change[]): string[] {
  const problems: string[] = [];
  for (const c of changes) {
    if (c.to === undefined) continue;
    const p = checkValue(c.field, c.to, c.path);
    if (p) problems.push(p);
  }
  return problems;
}

export function formatSetting(v: number | boolean | undefined, unit: string): string {
  if (v === undefined) return '(default)';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return unit ? `${v} ${unit}` : String(v);
}
