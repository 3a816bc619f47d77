import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { Recipient, alarmsStamp, countsText, quietHoursText, recipientSummary, resultLabel, stateFromAnswer, stateFromError, testAnswerText } from './notifications';

const recipient = (over: Partial<Recipient>): Recipient => ({
  name: 'dcim',
  channel: 'webhook',
  address: 'https://dcim.example.net/hooks/btms',
  level: 'ALARM',
  tier: 1,
  sources: [],
  rules: [],
  quiet_hours: null,
  mib: null,
  secret_set: true,
  ...over,
});

describe('notifications', () => {
  it('labels results; failed is marked', () => {
    expect(resultLabel({ result: 'sent', attempt: 1 })).toEqual({ text: 'sent', cls: 'ok-text' });
    expect(resultLabel({ result: 'retrying', attempt: 2 })).toEqual({ text: 'retrying (try 2 failed)', cls: 'muted' });
    expect(resultLabel({ result: 'failed', attempt: 4 })).toEqual({ text: 'failed', cls: 'value-invalid' });
    expect(resultLabel({ result: 'odd', attempt: 1 }).text).toBe('odd');
  });

  it('counts the gateway\'s counts, or the rows when it sent none', () => {
    expect(countsText({ sent: 7, retrying: 0, failed: 2 })).toBe('7 sent, 0 retrying, 2 failed');
    const s = stateFromAnswer({ deliveries: [{ result: 'sent' }, { result: 'failed' }, { result: 'failed' }] });
    expect(s.kind === 'ok' && s.answer.counts).toEqual({ sent: 1, retrying: 0, failed: 2 });
    expect(s.kind === 'ok' && s.answer.recipients).toEqual([]);
    const t = stateFromAnswer({ deliveries: [], recipients: [], counts: { sent: 9, retrying: 1, failed: 0 } });
    expect(t.kind === 'ok' && t.answer.counts).toEqual({ sent: 9, retrying: 1, failed: 0 });
  });

  it('turns the 404 "not configured" into a state, other failures into errors', () => {
    const notConfigured = new ApiError(404, 'notifications are not configured (no [notify] in the site file) (HTTP 404)', {
      error: 'notifications are not configured (no [notify] in the site file)',
    });
    expect(stateFromError(notConfigured)).toEqual({ kind: 'not-configured' });
    expect(stateFromError(new ApiError(404, '/api/v1/notifications/deliveries: HTTP 404'))).toEqual({
      kind: 'error',
      message: '/api/v1/notifications/deliveries: HTTP 404',
    });
    expect(stateFromError(new ApiError(500, 'boom (HTTP 500)', { error: 'boom' }))).toEqual({ kind: 'error', message: 'boom (HTTP 500)' });
    expect(stateFromError(new TypeError('Failed to fetch'))).toEqual({ kind: 'error', message: 'Failed to fetch' });
  });

  it('summarises a recipient without any secret', () => {
    const rows = recipientSummary(
      recipient({
        name: 'nms',
        channel: 'snmp',
        address: 'udp:nms.example.net:162',
        level: 'WARNING',
        tier: 2,
        sources: ['ups/1', 'string/3'],
        rules: ['battery_temperature'],
        quiet_hours: { start_min: 22 * 60, end_min: 6 * 60, utc_offset_min: 60 },
        mib: 'both',
        secret_set: true,
      }),
    );
    const by = Object.fromEntries(rows.map((r) => [r.label, r.text]));
    expect(by).toEqual({
      Channel: 'snmp (MIB: both)',
      Address: 'udp:nms.example.net:162',
      Level: 'warnings and above',
      Tier: '2 (told after 1 × escalate_after_s unacknowledged)',
      'Quiet hours': '22:00–06:00 (UTC+01:00)',
      Sources: 'ups/1, string/3',
      Rules: 'battery_temperature…',
      'Secret configured': 'yes',
    });
    const plain = Object.fromEntries(recipientSummary(recipient({ secret_set: false })).map((r) => [r.label, r.text]));
    expect(plain.Sources).toBe('the whole site');
    expect(plain.Rules).toBe('every rule');
    expect(plain['Quiet hours']).toBe('none');
    expect(plain['Secret configured']).toBe('no');
    expect(plain.Tier).toBe('1 (told at once)');
  });

  it('writes quiet hours with a negative offset', () => {
    expect(quietHoursText({ start_min: 21 * 60 + 30, end_min: 7 * 60, utc_offset_min: -330 })).toBe('21:30–07:00 (UTC-05:30)');
  });

  it('says where a queued test message shows up', () => {
    expect(testAnswerText({ queued: true, recipient: 'dcim' }, 'dcim')).toBe('Test message to dcim queued: see the delivery log on the Alarms page.');
  });

  it('stamps an alarm list by keys and acknowledgements, not order', () => {
    const a = { key: 'battery/1/2:x', acknowledged: false };
    const b = { key: 'string/1:y', acknowledged: true };
    expect(alarmsStamp([a, b])).toBe(alarmsStamp([b, a]));
    expect(alarmsStamp([a, b])).not.toBe(alarmsStamp([{ ...a, acknowledged: true }, b]));
    expect(alarmsStamp(undefined)).toBe('');
  });
});
