import { describe, expect, it } from 'vitest';
import { checkForms, emptyForm, formFromApi, problemOfField, recipientsBody, saveQuestion } from './recipients';

const hook = { name: 'dcim', channel: 'webhook', url: 'https://dcim.example.net/hook', level: 'alarms', sources: ['string/3'], rules: [], tier: 1, utc_offset_min: 0, secret_set: true };
const trap = { name: 'nms', channel: 'snmp', target: 'udp:nms:162', version: '2c', mib: 'both', inform: false, timeout_ms: 3000, retries: 1, level: 'trips', sources: [], rules: [], tier: 2, utc_offset_min: 0, community_set: true };

describe('recipient form', () => {
  it('reads an answer and sends it back unchanged without secrets', () => {
    const forms = [formFromApi(hook), formFromApi(trap)];
    expect(forms[0].secret_set).toBe(true);
    expect(forms[0].sources).toBe('string/3');
    const body = recipientsBody(forms);
    expect(body.recipients[0]).toEqual({ name: 'dcim', channel: 'webhook', url: 'https://dcim.example.net/hook', level: 'alarms', sources: ['string/3'], rules: [], tier: 1, utc_offset_min: 0 });
    // SNMP keys not on the form go back as they came; the community stays stored.
    expect(body.recipients[1]).toMatchObject({ version: '2c', mib: 'both', target: 'udp:nms:162', tier: 2 });
    expect(body.recipients[1]).not.toHaveProperty('community');
    expect(body.recipients[1]).not.toHaveProperty('community_set');
  });

  it('sends a typed secret, or clear_secret for an unsigned webhook', () => {
    const f = formFromApi(hook);
    f.secret = 'new-key';
    expect(recipientsBody([f]).recipients[0].secret).toBe('new-key');
    f.secret = '';
    f.clear_secret = true;
    expect(recipientsBody([f]).recipients[0]).toMatchObject({ clear_secret: true });
    expect(recipientsBody([f]).recipients[0]).not.toHaveProperty('secret');
  });

  it('checks each field before sending', () => {
    const ok = { ...emptyForm('mail'), name: 'night', address: 'night@example.net' };
    expect(checkForms([ok])).toBeUndefined();
    expect(checkForms([{ ...ok, name: ' ' }])).toEqual({ index: 0, key: 'name', error: 'must not be empty' });
    expect(checkForms([ok, ok])).toEqual({ index: 1, key: 'name', error: '"night" is used twice' });
    expect(checkForms([{ ...ok, address: 'night.example.net' }])?.key).toBe('to');
    expect(checkForms([{ ...emptyForm('webhook'), name: 'h', address: 'ftp://x' }])?.key).toBe('url');
    expect(checkForms([{ ...ok, tier: '0' }])?.key).toBe('tier');
    expect(checkForms([{ ...ok, tier: '1.5' }])?.key).toBe('tier');
    expect(checkForms([{ ...ok, quiet_hours: '22-06' }])?.key).toBe('quiet_hours');
    expect(checkForms([{ ...ok, quiet_hours: '22:00-06:30' }])).toBeUndefined();
    expect(checkForms([{ ...ok, utc_offset_min: 'x' }])?.key).toBe('utc_offset_min');
  });

  it('marks the field the gateway refused', () => {
    expect(problemOfField('recipients[2].to', 'expected a mail address')).toEqual({ index: 2, key: 'to', error: 'expected a mail address' });
    expect(problemOfField('recipients', 'x')).toBeUndefined();
  });

  it('asks before saving, naming who is added and removed', () => {
    const q = saveQuestion(['dcim', 'old'], [formFromApi(hook), { ...emptyForm(), name: 'night' }]);
    expect(q).toContain('Save 2 recipients?');
    expect(q).toContain('Added: night.');
    expect(q).toContain('Removed: old');
  });
});
