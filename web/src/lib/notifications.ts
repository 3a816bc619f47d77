// The notifier's delivery log and recipients as GET /api/v1/notifications/deliveries answers
// them (docs/api.md "Notifications"), turned into what the alarms and settings pages show.
import { ApiError } from './api';

export type DeliveryResult = 'sent' | 'retrying' | 'failed';

export interface QuietHours {
  start_min: number;
  end_min: number;
  utc_offset_min: number;
}

export interface Recipient {
  name: string;
  channel: string;
  address: string;
  level: string;
  tier: number;
  sources: string[];
  rules: string[];
  quiet_hours: QuietHours | null;
  mib: string | null;
  secret_set: boolean;
}

export interface Delivery {
  id: number;
  time?: string;
  time_ms: number;
  recipient: string;
  channel: string;
  group: string;
  reason: string;
  subject: string;
  result: DeliveryResult | string;
  detail: string;
  attempt: number;
}

export interface DeliveryCounts {
  sent: number;
  retrying: number;
  failed: number;
}

export interface DeliveriesAnswer {
  recipients: Recipient[];
  deliveries: Delivery[];
  counts: DeliveryCounts;
}

export const DELIVERIES_URL = '/api/v1/notifications/deliveries?limit=200';
export const TEST_URL = '/api/v1/notifications/test';

/** What the page shows: the answer, "not configured" (a 404 saying so), or an error. */
export type NotificationsState =
  | { kind: 'loading' }
  | { kind: 'ok'; answer: DeliveriesAnswer }
  | { kind: 'not-configured' }
  | { kind: 'error'; message: string };

export const NOT_CONFIGURED_HINT = 'Notifications are not configured: add a [notify] table to the site file (see docs/notifications.md).';

/** A failed request: the gateway's 404 "notifications are not configured" is a state, not an error. */
export function stateFromError(e: unknown): NotificationsState {
  if (e instanceof ApiError && e.status === 404 && /not configured/i.test(String(e.body?.error ?? e.message))) return { kind: 'not-configured' };
  return { kind: 'error', message: String((e as Error)?.message ?? e) };
}

/** A 2xx answer, with missing lists and counts filled in (an older or partial gateway). */
export function stateFromAnswer(a: any): NotificationsState {
  const deliveries: Delivery[] = Array.isArray(a?.deliveries) ? a.deliveries : [];
  const counts: DeliveryCounts = {
    sent: Number(a?.counts?.sent ?? deliveries.filter((d) => d.result === 'sent').length),
    retrying: Number(a?.counts?.retrying ?? deliveries.filter((d) => d.result === 'retrying').length),
    failed: Number(a?.counts?.failed ?? deliveries.filter((d) => d.result === 'failed').length),
  };
  return { kind: 'ok', answer: { recipients: Array.isArray(a?.recipients) ? a.recipients : [], deliveries, counts } };
}

/** The result as a word for people, and the class that marks it. */
export function resultLabel(d: Pick<Delivery, 'result' | 'attempt'>): { text: string; cls: string } {
  switch (d.result) {
    case 'sent':
      return { text: 'sent', cls: 'ok-text' };
    case 'retrying':
      return { text: `retrying (try ${d.attempt} failed)`, cls: 'muted' };
    case 'failed':
      return { text: 'failed', cls: 'value-invalid' };
    default:
      return { text: String(d.result || '?'), cls: '' };
  }
}

/** "7 sent, 1 retrying, 2 failed" — over the gateway's whole log, not only the rows shown. */
export function countsText(c: DeliveryCounts): string {
  return `${c.sent} sent, ${c.retrying} retrying, ${c.failed} failed`;
}

const hhmm = (min: number) => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

/** "22:00–06:00 (UTC+01:00)", or "none". */
export function quietHoursText(q: QuietHours | null | undefined): string {
  if (!q) return 'none';
  const off = q.utc_offset_min ?? 0;
  const sign = off < 0 ? '-' : '+';
  return `${hhmm(q.start_min)}–${hhmm(q.end_min)} (UTC${sign}${hhmm(Math.abs(off))})`;
}

const LEVEL_WORDS: Record<string, string> = { WARNING: 'warnings and above', ALARM: 'alarms and trips', TRIP: 'trips only', INFO: 'everything' };

/** One recipient in lines for the settings page; never any secret, only whether one is set. */
export function recipientSummary(r: Recipient): { label: string; text: string }[] {
  const level = LEVEL_WORDS[String(r.level).toUpperCase()] ?? String(r.level);
  const rows = [
    { label: 'Channel', text: r.channel + (r.mib ? ` (MIB: ${r.mib})` : '') },
    { label: 'Address', text: r.address || '—' },
    { label: 'Level', text: level },
    { label: 'Tier', text: r.tier > 1 ? `${r.tier} (told after ${r.tier - 1} × escalate_after_s unacknowledged)` : '1 (told at once)' },
    { label: 'Quiet hours', text: quietHoursText(r.quiet_hours) },
    { label: 'Sources', text: r.sources?.length ? r.sources.join(', ') : 'the whole site' },
    { label: 'Rules', text: r.rules?.length ? r.rules.map((p) => `${p}…`).join(', ') : 'every rule' },
    { label: 'Secret configured', text: r.secret_set ? 'yes' : 'no' },
  ];
  return rows;
}

/** The answer to a queued test message, as the settings page shows it. */
export function testAnswerText(answer: any, name: string): string {
  return answer?.queued ? `Test message to ${answer.recipient ?? name} queued: see the delivery log on the Alarms page.` : `Not queued: ${JSON.stringify(answer)}`;
}

/** A stamp of an alarm list that changes when an alarm comes, goes or is acknowledged. */
export function alarmsStamp(alarms: { key: string; acknowledged: boolean }[] | undefined): string {
  return (alarms ?? []).map((a) => `${a.key}:${a.acknowledged ? 1 : 0}`).sort().join('|');
}
