// Configuration export and import (settings page): the export file's shape and name, the checks
// of an imported file, and what importing it would change against the current configuration,
// all without DOM so they are unit-tested. Building the PUT body here keeps the preview and what
// is sent in one place.
import { Change, ConfigDoc, ConfigField, FormValue, checkChanges, diffConfig, fieldPath, formatFieldValue, getPath, shownValue } from './settings';

/** Version of the export file's format ("btms_config"); a file of another version is refused. */
export const EXPORT_VERSION = 1;

export interface ConfigExport {
  btms_config: typeof EXPORT_VERSION;
  exported_ms: number;
  site: string;
  config: ConfigDoc;
}

export function exportDocument(config: ConfigDoc, site: string, nowMs: number): ConfigExport {
  return { btms_config: EXPORT_VERSION, exported_ms: nowMs, site, config };
}

/**
 * `btms-config-<site>-<YYYY-MM-DD>.json`, the day in local time. Characters a file name should
 * not hold (path separators, spaces, quotes ...) become "-"; an empty name becomes "site".
 */
export function exportFileName(site: string, when: Date): string {
  const safe = site.trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'site';
  const two = (n: number) => String(n).padStart(2, '0');
  return `btms-config-${safe}-${when.getFullYear()}-${two(when.getMonth() + 1)}-${two(when.getDate())}.json`;
}

export type ParsedImport =
  | {
      ok: true;
      config: ConfigDoc;
      /** "export": this page's file; "answer": GET /api/v1/config's answer; "bare": the config object itself. */
      form: 'export' | 'answer' | 'bare';
      site?: string;
      exportedMs?: number;
    }
  | { ok: false; error: string };

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Top-level keys a bare config document may have (besides the fields without a dot). */
const CONFIG_KEYS = ['defaults', 'per_string', 'equalization', 'alarm_outputs'];

/**
 * Checks an imported file's text. Accepted: an export file ({"btms_config": 1, "config": {...}}),
 * GET /api/v1/config's answer ({"config": {...}, "fields": [...]}), or a bare config object
 * (recognised by at least one top-level key of a config document). Refused with a sentence
 * saying why: not JSON, not an object, another format version, no config object in it.
 */
export function parseImport(text: string, fields: ConfigField[] = []): ParsedImport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `The file is not JSON (${(e as Error).message}).` };
  }
  if (!isObject(doc)) return { ok: false, error: `The file holds ${Array.isArray(doc) ? 'a list' : doc === null ? 'null' : `a ${typeof doc}`}, not a configuration object.` };
  if ('btms_config' in doc) {
    if (doc.btms_config !== EXPORT_VERSION)
      return { ok: false, error: `The file is a configuration export of format version ${JSON.stringify(doc.btms_config)}; this gateway reads version ${EXPORT_VERSION} only.` };
    if (!('config' in doc)) return { ok: false, error: 'The file is a configuration export without its "config" object.' };
    if (!isObject(doc.config)) return { ok: false, error: 'The file\'s "config" is not an object.' };
    return {
      ok: true,
      config: doc.config,
      form: 'export',
      site: typeof doc.site === 'string' ? doc.site : undefined,
      exportedMs: typeof doc.exported_ms === 'number' ? doc.exported_ms : undefined,
    };
  }
  if ('config' in doc) {
    if (!isObject(doc.config)) return { ok: false, error: 'The file\'s "config" is not an object.' };
    return { ok: true, config: doc.config, form: 'answer' };
  }
  const topNames = new Set([...CONFIG_KEYS, ...fields.filter((f) => !f.per_string).map((f) => f.name.split('.')[0])]);
  if (Object.keys(doc).some((k) => topNames.has(k))) return { ok: true, config: doc, form: 'bare' };
  return { ok: false, error: 'The file is not a BTMS configuration: it has no "btms_config" and no "config", nor any setting at its top.' };
}

/** A difference outside the field table (alarm outputs, equalization reference), as JSON text. */
export interface OtherChange {
  path: string;
  from: string;
  to: string;
}

export interface ImportPreview {
  /** Field changes, sorted by path (a removed override goes to undefined, "(default)"). */
  changes: Change[];
  others: OtherChange[];
  /** Why the file cannot be applied as it is: unknown fields, wrong types, ranges, limit order. */
  problems: string[];
  /** The file came from another site (a warning, not a refusal). */
  siteWarning?: string;
  /** Nothing would change: nothing is sent. */
  identical: boolean;
  /** The PUT body: the imported config, plus `null` for each override the file does not have. */
  body: ConfigDoc;
}

/** Leaves of a JSON object by dotted path; arrays and null are leaves, empty objects have none. */
function leaves(doc: any, prefix: string[] = [], out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(doc ?? {})) {
    const path = [...prefix, k];
    if (isObject(v)) leaves(v, path, out);
    else out.set(path.join('.'), v);
  }
  return out;
}

/**
 * The field a config path names: `defaults.<limit>` and `per_string.<id>.<limit>` for the
 * limit-set (per-string) fields, `<name>` for the others; undefined when none.
 */
export function fieldAt(fields: ConfigField[], path: string): ConfigField | undefined {
  const parts = path.split('.');
  if (parts[0] === 'defaults') return fields.find((f) => f.per_string && f.name === parts.slice(1).join('.'));
  if (parts[0] === 'per_string') return /^\d+$/.test(parts[1] ?? '') ? fields.find((f) => f.per_string && f.name === parts.slice(2).join('.')) : undefined;
  return fields.find((f) => !f.per_string && f.name === path);
}

/**
 * What importing `imported` over `current` would do. Fields the file lacks keep their values
 * (the server's rule for a partial document), except overrides: when the file has a
 * "per_string" object, a string override it does not have is removed, so the configuration
 * afterwards is the file's. Ranges and limit order are checked as the settings form checks
 * them before its confirm dialog; the server checks everything again.
 */
export function prepareImport(current: ConfigDoc, fields: ConfigField[], imported: { config: ConfigDoc; site?: string }, currentSite: string): ImportPreview {
  const problems: string[] = [];
  const edits: Record<string, FormValue | undefined> = {};
  const exact = new Map<string, number | boolean>();
  const others: OtherChange[] = [];
  const currentLeaves = leaves(current);
  const body: ConfigDoc = JSON.parse(JSON.stringify(imported.config));

  for (const [path, value] of leaves(imported.config)) {
    const field = fieldAt(fields, path);
    if (!field) {
      if (path.startsWith('per_string.') && path.split('.').length === 2 && value === null) continue; // an override removed
      if (!currentLeaves.has(path)) {
        problems.push(`${path}: not a setting of this gateway`);
        continue;
      }
      const [from, to] = [JSON.stringify(currentLeaves.get(path)), JSON.stringify(value)];
      if (from !== to) others.push({ path, from, to });
      continue;
    }
    const flag = field.type === 'boolean' || typeof getPath(current, fieldPath(current, field)) === 'boolean';
    if (flag ? typeof value !== 'boolean' : typeof value !== 'number' || !Number.isFinite(value)) {
      problems.push(`${path}: expected ${flag ? 'true or false' : 'a number'}, not ${JSON.stringify(value)}`);
      continue;
    }
    exact.set(path, value as number | boolean);
    // diffConfig takes values as typed in the form (display unit): give it the shown value.
    edits[path] = typeof value === 'boolean' ? value : shownValue(field, value as number, getPath(current, fieldPath(current, field)));
  }

  if (isObject(imported.config.per_string)) {
    for (const id of Object.keys(current.per_string ?? {})) {
      const kept = imported.config.per_string[id];
      if (isObject(kept)) continue;
      body.per_string[id] = null;
      for (const path of currentLeaves.keys()) if (path.startsWith(`per_string.${id}.`) && fieldAt(fields, path)) edits[path] = undefined;
    }
  }

  // The exact imported value, not the shown one converted back (a duration in s or min).
  const changes = diffConfig(current, fields, edits).map((c) => (exact.has(c.path) ? { ...c, to: exact.get(c.path) } : c));
  others.sort((a, b) => a.path.localeCompare(b.path));
  if (problems.length === 0) problems.push(...checkChanges(changes, current));

  const site = imported.site;
  const siteWarning = site !== undefined && site !== currentSite ? `This file was exported from site "${site}", not from this one ("${currentSite}"): check that its limits suit this site before applying.` : undefined;
  return { changes, others, problems, siteWarning, identical: changes.length === 0 && others.length === 0, body };
}

export interface PreviewRow {
  path: string;
  label: string;
  current: string;
  imported: string;
}

/** The preview's rows: field changes with units and durations as the settings page shows them, then the others. */
export function previewRows(current: ConfigDoc, preview: ImportPreview): PreviewRow[] {
  const rows = preview.changes.map((c) => {
    const site = getPath(current, fieldPath(current, c.field));
    return { path: c.path, label: c.field.description || c.field.name, current: formatFieldValue(c.field, c.from, site), imported: formatFieldValue(c.field, c.to, site) };
  });
  return [...rows, ...preview.others.map((o) => ({ path: o.path, label: o.path, current: o.from, imported: o.to }))];
}
