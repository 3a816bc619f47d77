// The recipient editor's form logic (settings page, admins): the rows of the form from the
// gateway's answer, local checks before sending (the gateway checks every field again), and the
// PUT body. Secrets are write-only: a blank secret keeps the stored one for the same name and
// address (the gateway refuses it for a new address).

export const RECIPIENTS_URL = '/api/v1/notify/recipients';

export type Channel = 'mail' | 'webhook' | 'snmp';

export interface RecipientForm {
  name: string;
  channel: Channel;
  address: string; // mail: to; webhook: url; snmp: target
  level: 'warnings' | 'alarms' | 'trips';
  sources: string; // comma separated
  rules: string; // comma separated
  tier: string;
  quiet_hours: string; // "" = none
  utc_offset_min: string;
  secret: string; // typed by the admin; "" = keep the stored one
  secret_set: boolean; // what the gateway said of the stored one
  clear_secret: boolean; // webhook: send unsigned from now on
  extra: Record<string, unknown>; // SNMP keys not on the form, sent back unchanged
}

export interface RecipientsAnswer {
  source: 'site_file' | 'settings_page';
  editable: boolean;
  mail_server: boolean;
  recipients: Record<string, any>[];
}

export const ADDRESS_KEY: Record<Channel, string> = { mail: 'to', webhook: 'url', snmp: 'target' };
// The one secret the form edits per channel (SNMP v3 passwords stay as stored).
const SECRET_KEY: Record<Channel, string | undefined> = { mail: undefined, webhook: 'secret', snmp: 'community' };
const FORM_KEYS = new Set(['name', 'channel', 'to', 'url', 'target', 'level', 'sources', 'rules', 'tier', 'quiet_hours', 'utc_offset_min', 'secret_set', 'community_set']);

export function emptyForm(channel: Channel = 'mail'): RecipientForm {
  return { name: '', channel, address: '', level: 'alarms', sources: '', rules: '', tier: '1', quiet_hours: '', utc_offset_min: '0', secret: '', secret_set: false, clear_secret: false, extra: {} };
}

export function formFromApi(r: Record<string, any>): RecipientForm {
  const channel: Channel = r.channel === 'webhook' || r.channel === 'snmp' ? r.channel : 'mail';
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!FORM_KEYS.has(k)) extra[k] = v;
  const secretKey = SECRET_KEY[channel];
  return {
    name: String(r.name ?? ''),
    channel,
    address: String(r[ADDRESS_KEY[channel]] ?? ''),
    level: r.level === 'warnings' || r.level === 'trips' ? r.level : 'alarms',
    sources: (r.sources ?? []).join(', '),
    rules: (r.rules ?? []).join(', '),
    tier: String(r.tier ?? 1),
    quiet_hours: String(r.quiet_hours ?? ''),
    utc_offset_min: String(r.utc_offset_min ?? 0),
    secret: '',
    secret_set: secretKey ? r[`${secretKey}_set`] === true : false,
    clear_secret: false,
    extra,
  };
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const QUIET = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;

export interface FormProblem {
  index: number;
  key: string;
  error: string;
}

// The checks a browser can make; the gateway makes them all again and more.
export function checkForms(forms: RecipientForm[]): FormProblem | undefined {
  const names = new Set<string>();
  for (const [index, f] of forms.entries()) {
    const at = (key: string, error: string) => ({ index, key, error });
    if (f.name.trim() === '') return at('name', 'must not be empty');
    if (names.has(f.name)) return at('name', `"${f.name}" is used twice`);
    names.add(f.name);
    const addressKey = ADDRESS_KEY[f.channel];
    if (f.address.trim() === '') return at(addressKey, 'must not be empty');
    if (f.channel === 'mail' && !f.address.includes('@')) return at('to', 'expected a mail address');
    if (f.channel === 'webhook' && !/^https?:\/\//.test(f.address)) return at('url', 'expected an http:// or https:// URL');
    if (!/^\d+$/.test(f.tier) || Number(f.tier) < 1 || Number(f.tier) > 9) return at('tier', 'expected a whole number 1..9');
    if (f.quiet_hours !== '' && !QUIET.test(f.quiet_hours)) return at('quiet_hours', 'expected "HH:MM-HH:MM", e.g. "22:00-06:00"');
    if (!/^-?\d+$/.test(f.utc_offset_min)) return at('utc_offset_min', 'expected whole minutes, e.g. 60');
  }
  return undefined;
}

// The PUT body: the whole list, site-file keys, no secret unless one was typed.
export function recipientsBody(forms: RecipientForm[]): { recipients: Record<string, unknown>[] } {
  return {
    recipients: forms.map((f) => {
      const r: Record<string, unknown> = {
        ...f.extra,
        name: f.name.trim(),
        channel: f.channel,
        [ADDRESS_KEY[f.channel]]: f.address.trim(),
        level: f.level,
        sources: list(f.sources),
        rules: list(f.rules),
        tier: Number(f.tier),
        utc_offset_min: Number(f.utc_offset_min),
      };
      if (f.quiet_hours !== '') r.quiet_hours = f.quiet_hours;
      const secretKey = SECRET_KEY[f.channel];
      if (secretKey && f.secret !== '') r[secretKey] = f.secret;
      if (f.channel === 'webhook' && f.clear_secret && f.secret === '') r.clear_secret = true;
      return r;
    }),
  };
}

// "recipients[2].to" -> row 2, key "to"; undefined for an error about the whole list.
export function problemOfField(field: unknown, error: string): FormProblem | undefined {
  const m = /^recipients\[(\d+)\](?:\.(\w+))?$/.exec(String(field ?? ''));
  if (!m) return undefined;
  return { index: Number(m[1]), key: m[2] ?? '', error };
}

export function sourceText(source: RecipientsAnswer['source']): string {
  return source === 'settings_page' ? 'Edited on this page (replaces the site file\'s list).' : 'From the site file\'s [notify] table.';
}

export function saveQuestion(before: string[], forms: RecipientForm[]): string {
  const after = forms.map((f) => f.name.trim());
  const added = after.filter((n) => !before.includes(n));
  const removed = before.filter((n) => !after.includes(n));
  const parts = [`Save ${after.length} recipient${after.length === 1 ? '' : 's'}?`];
  if (added.length) parts.push(`Added: ${added.join(', ')}.`);
  if (removed.length) parts.push(`Removed: ${removed.join(', ')} (their undelivered messages are dropped).`);
  parts.push('The list replaces the site file\'s and takes effect at once.');
  return parts.join(' ');
}
