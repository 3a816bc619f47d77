// The cloud link section of the settings page: what GET /api/v1/cloud/settings answers, the body
// of a connection test built from the form, and the test's outcome in words. The password is
// write-only: the gateway says only whether one is set, and the form sends one only when typed.

export interface CloudLinkHealth {
  connected: boolean;
  connects: number;
  connect_failures: number;
  acknowledged: number;
  outbox_messages: number;
  last_error: string;
}

export interface CloudSettings {
  enabled: boolean;
  broker: string;
  client_id: string;
  format: 'json' | 'sparkplug';
  tls: boolean;
  username: string;
  password_set: boolean;
  site_id: string;
  gateway_id: string;
  ca_file: string;
  cert_file: string;
  key_file: string;
  topics: string;
  link: CloudLinkHealth | null;
}

export interface CloudForm {
  broker: string;
  client_id: string;
  username: string;
  /** Empty = keep the stored one (only sent to the configured broker by the gateway). */
  password: string;
}

export type ConnectionOutcome = 'ok' | 'refused' | 'bad_credentials' | 'not_authorized' | 'tls_failure' | 'timeout' | 'unreachable';

export interface ConnectionTestAnswer {
  ok: boolean;
  outcome: ConnectionOutcome;
  detail: string;
  elapsed_ms: number;
  broker: string;
}

export function formFromSettings(s: CloudSettings): CloudForm {
  return { broker: s.broker, client_id: s.client_id, username: s.username, password: '' };
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

/** The test request: the broker always, other fields only when changed, the password only when typed. */
export function testRequest(form: CloudForm, stored: CloudSettings): Record<string, string> {
  const body: Record<string, string> = { broker: form.broker.trim() };
  if (form.client_id !== stored.client_id) body.client_id = form.client_id;
  if (form.username !== stored.username) body.username = form.username;
  if (form.password !== '') body.password = form.password;
  return body;
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
  if (!stored.password_set) return 'no password';
  return form.broker.trim() === stored.broker ? 'the stored password' : 'no password (the stored one only goes to the configured broker)';
}
