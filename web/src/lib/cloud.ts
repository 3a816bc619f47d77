// The cloud link section of the settings page: what GET /api/v1/cloud/settings answers, the form
// an admin edits, its checks (as the gateway's), the bodies of a save (PUT) and of a connection
// test of the unsaved form, the confirmation of a save, and the test's outcome in words. The
// password is write-only: the gateway says only whether one is set, and the form sends one only
// when typed (or removed).

export interface CloudLinkHealth {
  connected: boolean;
  connects: number;
  connect_failures: number;
  acknowledged: number;
  outbox_messages: number;
  last_error: string;
}

/** Where a setting's value comes from: the site file's [cloud] table (with --mqtt), or an admin's edit. */
export type SettingSource = 'site file' | 'edited';

export interface CloudSettings {
  enabled: boolean;
  broker: string;
  client_id: string;
  format: 'json' | 'sparkplug';
  home_assistant: boolean;
  home_assistant_prefix: string;
  tls: boolean;
  username: string;
  password_set: boolean;
  site_id: string;
  gateway_id: string;
  ca_file: string;
  cert_file: string;
  key_file: string;
  keepalive_s: number;
  battery_interval_s: number;
  summary_interval_s: number;
  deadband_voltage_V: number;
  deadband_temperature_C: number;
  deadband_resistance_mOhm: number;
  deadband_percent: number;
  topics: string;
  /** Per editable field (password included). */
  sources: Record<string, SettingSource>;
  /** Some field is edited: "Revert to site file" has something to do. */
  edited: boolean;
  /** The gateway has a data folder to save edits in. */
  editable: boolean;
  link: CloudLinkHealth | null;
}

/** The payload choice of the form: the JSON tree, with Home Assistant discovery, or Sparkplug B. */
export type FormatChoice = 'json' | 'home_assistant' | 'sparkplug';

export const NUMBER_FIELDS = ['keepalive_s', 'battery_interval_s', 'summary_interval_s', 'deadband_voltage_V', 'deadband_temperature_C', 'deadband_resistance_mOhm', 'deadband_percent'] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];

/** Ranges as the gateway checks them (src/cloud/cloud_config.hpp); whole numbers for the _s fields. */
export const NUMBER_RANGES: Record<NumberField, { min: number; max: number; unit: string; label: string; whole: boolean }> = {
  keepalive_s: { min: 5, max: 3600, unit: 's', label: 'Keep-alive', whole: true },
  battery_interval_s: { min: 1, max: 86400, unit: 's', label: 'Battery values at least every', whole: true },
  summary_interval_s: { min: 1, max: 86400, unit: 's', label: 'String summaries at least every', whole: true },
  deadband_voltage_V: { min: 0, max: 10, unit: 'V', label: 'Voltage deadband', whole: false },
  deadband_temperature_C: { min: 0, max: 50, unit: '°C', label: 'Temperature deadband', whole: false },
  deadband_resistance_mOhm: { min: 0, max: 100, unit: 'mΩ', label: 'Resistance deadband', whole: false },
  deadband_percent: { min: 0, max: 100, unit: '%', label: 'SOC/SOH deadband', whole: false },
};

export interface CloudForm {
  enabled: boolean;
  broker: string;
  client_id: string;
  username: string;
  /** Typed here; empty = keep the stored one (which the gateway sends only to the configured broker). */
  password: string;
  /** Save "no password" (only when none is typed). */
  removePassword: boolean;
  ca_file: string;
  cert_file: string;
  key_file: string;
  format: FormatChoice;
  site_id: string;
  gateway_id: string;
  /** Numbers as typed, checked by checkForm. */
  numbers: Record<NumberField, string>;
}

export type ConnectionOutcome = 'ok' | 'refused' | 'bad_credentials' | 'not_authorized' | 'tls_failure' | 'timeout' | 'unreachable';

export interface ConnectionTestAnswer {
  ok: boolean;
  outcome: ConnectionOutcome;
  detail: string;
  elapsed_ms: number;
  broker: string;
}

export function formatChoice(s: { format: 'json' | 'sparkplug'; home_assistant: boolean }): FormatChoice {
  if (s.format === 'sparkplug') return 'sparkplug';
  return s.home_assistant ? 'home_assistant' : 'json';
}

export function formFromSettings(s: CloudSettings): CloudForm {
  const numbers = {} as Record<NumberField, string>;
  for (const f of NUMBER_FIELDS) numbers[f] = s[f] === undefined ? '' : String(s[f]);
  return {
    enabled: s.enabled,
    broker: s.broker,
    client_id: s.client_id,
    username: s.username,
    password: '',
    removePassword: false,
    ca_file: s.ca_file ?? '',
    cert_file: s.cert_file ?? '',
    key_file: s.key_file ?? '',
    format: formatChoice(s),
    site_id: s.site_id,
    gateway_id: s.gateway_id,
    numbers,
  };
}

/** mqtt://host[:port] or mqtts://host[:port]; undefined when fine, else the reason. */
export function checkBrokerUrl(url: string): string | undefined {
  const m = /^(mqtts?):\/\/(\[[0-9a-fA-F:.]+\]|[^\s/:@[\]]+)(?::(\d+))?\/?$/.exec(url.trim());
  if (!m) return 'expected mqtt://host:port or mqtts://host:port';
  if (m[3] !== undefined) {
    const port = Number(m[3]);
    if (port < 1 || port > 65535) return 'port must be 1..65535';
  }
  return undefined;
}

/** The test request: the broker always, other connection fields only when changed, the password only when typed. */
export function testRequest(form: CloudForm, stored: CloudSettings): Record<string, string> {
  const body: Record<string, string> = { broker: form.broker.trim() };
  for (const key of ['client_id', 'username', 'ca_file', 'cert_file', 'key_file'] as const) {
    if (form[key] !== undefined && form[key] !== (stored[key] ?? '')) body[key] = form[key].trim();
  }
  if (form.password !== '') body.password = form.password;
  return body;
}

const TOPIC_LEVEL = /^[A-Za-z0-9_-]{1,64}$/;

/** The form's problems by field, as the gateway would refuse them; empty = fit to save. */
export function checkForm(form: CloudForm, stored: CloudSettings): Record<string, string> {
  const problems: Record<string, string> = {};
  const broker = form.broker.trim();
  if (broker === '') {
    if (form.enabled) problems.broker = 'required to turn the link on (mqtt://HOST:PORT)';
  } else {
    const p = checkBrokerUrl(broker);
    if (p) problems.broker = p;
  }
  const id = form.client_id.trim();
  if (id === '' || id.length > 128 || /\s/.test(id)) problems.client_id = '1..128 characters, no spaces';
  for (const key of ['site_id', 'gateway_id'] as const) {
    if (!TOPIC_LEVEL.test(form[key].trim())) problems[key] = "letters, digits, '-' and '_' only (one topic level)";
  }
  for (const key of ['ca_file', 'cert_file', 'key_file'] as const) {
    const path = form[key].trim();
    if (path !== '' && !path.startsWith('/')) problems[key] = 'must be an absolute path';
  }
  if ((form.cert_file.trim() === '') !== (form.key_file.trim() === '') && !problems.cert_file && !problems.key_file) {
    problems[form.cert_file.trim() === '' ? 'cert_file' : 'key_file'] = 'a client certificate needs both cert_file and key_file';
  }
  for (const f of NUMBER_FIELDS) {
    const r = NUMBER_RANGES[f];
    const text = form.numbers[f].trim();
    const x = Number(text);
    if (text === '' || !Number.isFinite(x)) problems[f] = 'a number is needed';
    else if (r.whole && !Number.isInteger(x)) problems[f] = 'a whole number is needed';
    else if (x < r.min || x > r.max) problems[f] = `must be between ${r.min} and ${r.max} ${r.unit}`;
  }
  if (!problems.broker && stored.password_set && form.password === '' && !form.removePassword && broker !== stored.broker && broker !== '') {
    problems.password = `the stored password is for ${stored.broker}: type it again, or remove it`;
  }
  return problems;
}

/** The PUT body: every editable field of the form (the gateway keeps as edits only those that differ from the site file); the password only when typed or removed. */
export function saveRequest(form: CloudForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    enabled: form.enabled,
    broker: form.broker.trim(),
    client_id: form.client_id.trim(),
    username: form.username,
    ca_file: form.ca_file.trim(),
    cert_file: form.cert_file.trim(),
    key_file: form.key_file.trim(),
    format: form.format === 'sparkplug' ? 'sparkplug' : 'json',
    home_assistant: form.format === 'home_assistant',
    site_id: form.site_id.trim(),
    gateway_id: form.gateway_id.trim(),
  };
  for (const f of NUMBER_FIELDS) body[f] = Number(form.numbers[f].trim());
  if (form.password !== '') body.password = form.password;
  else if (form.removePassword) body.password = '';
  return body;
}

/** What Save does to the running link, for the confirmation. */
export function saveConfirmation(form: CloudForm, stored: CloudSettings): string {
  const broker = form.broker.trim();
  if (!form.enabled) return stored.enabled ? `Save and turn the cloud link off? It disconnects from ${stored.broker}; messages waiting in the outbox stay there.` : 'Save the cloud link settings? The link stays off.';
  const queued = 'messages waiting in the outbox are kept and sent';
  if (!stored.enabled) return `Save and turn the cloud link on? It connects to ${broker}; ${queued}.`;
  if (broker !== stored.broker) return `Save? The cloud link restarts: it disconnects from ${stored.broker} and connects to ${broker}; ${queued} there.`;
  return `Save? The cloud link restarts with these settings (a short disconnect from ${broker}); ${queued}.`;
}

/** "edited" or "site file", as the page shows next to each field; the format choice is format and Home Assistant discovery together. */
export function sourceOf(stored: CloudSettings, field: string): SettingSource {
  const fields = field === 'format' ? ['format', 'home_assistant'] : [field];
  return fields.some((f) => stored.sources?.[f] === 'edited') ? 'edited' : 'site file';
}

/** The gateway's refusal in words: its error names the field. */
export function refusalField(body: unknown): string | undefined {
  const field = (body as { field?: unknown } | undefined)?.field;
  return typeof field === 'string' && field !== '' ? field : undefined;
}

const OUTCOME_TEXT: Record<ConnectionOutcome, string> = {
  ok: 'Connected',
  refused: 'Refused',
  bad_credentials: 'Bad user name or password',
  not_authorized: 'Not authorized',
  tls_failure: 'TLS failure',
  timeout: 'No answer (timeout)',
  unreachable: 'Unreachable',
};

/** "Connected to mqtt://h:1883 in 12 ms" or "Refused: 127.0.0.1:1: Connection refused". */
export function describeTest(answer: ConnectionTestAnswer): string {
  const head = OUTCOME_TEXT[answer.outcome] ?? answer.outcome;
  if (answer.ok) return `${head} to ${answer.broker} in ${answer.elapsed_ms} ms`;
  return `${head}: ${answer.detail}`;
}

/** Whether a password would go with a test: typed, or the stored one for the configured broker. */
export function passwordNote(form: CloudForm, stored: CloudSettings): string {
  if (form.password !== '') return 'the password typed here';
  if (!stored.password_set || form.removePassword) return 'no password';
  return form.broker.trim() === stored.broker ? 'the stored password' : 'no password (the stored one only goes to the configured broker)';
}
