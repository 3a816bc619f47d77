import { CloudSettings, checkBrokerUrl, checkForm, describeTest, formFromSettings, passwordNote, refusalField, saveConfirmation, saveRequest, sourceOf, testRequest } from './cloud';

const stored: CloudSettings = {
  enabled: true,
  broker: 'mqtt://127.0.0.1:1883',
  client_id: 'btms-dc1-gw1',
  format: 'sparkplug',
  home_assistant: false,
  home_assistant_prefix: 'homeassistant',
  tls: false,
  username: 'btms',
  password_set: true,
  site_id: 'dc1',
  gateway_id: 'gw1',
  ca_file: '',
  cert_file: '',
  key_file: '',
  keepalive_s: 30,
  battery_interval_s: 60,
  summary_interval_s: 10,
  deadband_voltage_V: 0.01,
  deadband_temperature_C: 0.5,
  deadband_resistance_mOhm: 0.05,
  deadband_percent: 1,
  topics: 'spBv1.0/dc1/+/gw1/#',
  sources: { broker: 'edited', format: 'site file', password: 'site file' },
  edited: true,
  editable: true,
  link: null,
};

describe('broker address', () => {
  test.each([
    ['mqtt://127.0.0.1:1883', undefined],
    ['mqtts://broker.example.com', undefined],
    ['mqtt://[::1]:1884', undefined],
    ['http://broker:1883', /expected mqtt/],
    ['mqtt://', /expected mqtt/],
    ['mqtt://host:0', /port must be/],
    ['mqtt://host:70000', /port must be/],
    ['mqtt://user@host', /expected mqtt/],
  ])('%s', (url, problem) => {
    const p = checkBrokerUrl(url);
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeUndefined();
  });
});

describe('test request', () => {
  test('the form as loaded sends only the broker: the gateway keeps the rest, password included', () => {
    expect(testRequest(formFromSettings(stored), stored)).toEqual({ broker: 'mqtt://127.0.0.1:1883' });
  });
  test('changed fields and a typed password go along', () => {
    const form = { ...formFromSettings(stored), username: 'other', password: 'typed' };
    expect(testRequest(form, stored)).toEqual({ broker: 'mqtt://127.0.0.1:1883', username: 'other', password: 'typed' });
  });
  test('the loaded form never holds the password', () => {
    expect(formFromSettings(stored).password).toBe('');
  });
});

describe('password note', () => {
  test.each([
    [{}, 'the stored password'],
    [{ password: 'x' }, 'the password typed here'],
    [{ broker: 'mqtt://elsewhere:1883' }, /only goes to the configured broker/],
  ])('%o', (change, note) => {
    const form = { ...formFromSettings(stored), ...change };
    expect(passwordNote(form, stored)).toMatch(note as any);
  });
  test('nothing stored', () => {
    expect(passwordNote(formFromSettings(stored), { ...stored, password_set: false })).toBe('no password');
  });
});

describe('test outcome in words', () => {
  test.each([
    [{ ok: true, outcome: 'ok', detail: '127.0.0.1:1883: connected', elapsed_ms: 12, broker: 'mqtt://127.0.0.1:1883' }, 'Connected to mqtt://127.0.0.1:1883 in 12 ms'],
    [{ ok: false, outcome: 'refused', detail: '127.0.0.1:1: Connection refused', elapsed_ms: 1, broker: 'mqtt://127.0.0.1:1' }, 'Refused: 127.0.0.1:1: Connection refused'],
    [{ ok: false, outcome: 'bad_credentials', detail: 'x: broker refused the connection: Connection Refused: bad user name or password.', elapsed_ms: 3, broker: 'b' }, /^Bad user name or password: /],
    [{ ok: false, outcome: 'tls_failure', detail: 'x: A TLS error occurred.', elapsed_ms: 3, broker: 'b' }, /^TLS failure: /],
    [{ ok: false, outcome: 'timeout', detail: 'x: no answer', elapsed_ms: 5000, broker: 'b' }, /^No answer \(timeout\): /],
  ])('%o', (answer, text) => {
    expect(describeTest(answer as any)).toMatch(text as any);
  });
});

describe('the edit form', () => {
  test('as loaded it is fit to save and its PUT body is the settings, without any password', () => {
    const form = formFromSettings(stored);
    expect(checkForm(form, stored)).toEqual({});
    const body = saveRequest(form);
    expect(body).toEqual({
      enabled: true,
      broker: 'mqtt://127.0.0.1:1883',
      client_id: 'btms-dc1-gw1',
      username: 'btms',
      ca_file: '',
      cert_file: '',
      key_file: '',
      format: 'sparkplug',
      home_assistant: false,
      site_id: 'dc1',
      gateway_id: 'gw1',
      keepalive_s: 30,
      battery_interval_s: 60,
      summary_interval_s: 10,
      deadband_voltage_V: 0.01,
      deadband_temperature_C: 0.5,
      deadband_resistance_mOhm: 0.05,
      deadband_percent: 1,
    });
    expect('password' in body).toBe(false);
  });
  test('the format choice maps to format and Home Assistant discovery', () => {
    const json = { ...stored, format: 'json' as const, home_assistant: true };
    expect(formFromSettings(json).format).toBe('home_assistant');
    expect(saveRequest(formFromSettings(json))).toMatchObject({ format: 'json', home_assistant: true });
    expect(saveRequest({ ...formFromSettings(json), format: 'json' })).toMatchObject({ format: 'json', home_assistant: false });
  });
  test('a typed password is sent; "remove" sends an empty one; a blank one keeps the stored', () => {
    const form = formFromSettings(stored);
    expect(saveRequest({ ...form, password: 'typed' }).password).toBe('typed');
    expect(saveRequest({ ...form, removePassword: true }).password).toBe('');
    expect(passwordNote({ ...form, removePassword: true }, stored)).toBe('no password');
  });
  test.each([
    [{ broker: 'http://x:1' }, 'broker', /expected mqtt/],
    [{ broker: '', enabled: true }, 'broker', /required to turn the link on/],
    [{ client_id: 'a b' }, 'client_id', /no spaces/],
    [{ site_id: 'dc/1' }, 'site_id', /one topic level/],
    [{ gateway_id: '' }, 'gateway_id', /one topic level/],
    [{ ca_file: 'ca.pem' }, 'ca_file', /absolute path/],
    [{ cert_file: '/etc/btms/gw.pem' }, 'key_file', /both cert_file and key_file/],
    [{ key_file: '/etc/btms/gw.key' }, 'cert_file', /both cert_file and key_file/],
    [{ broker: 'mqtt://elsewhere:1883' }, 'password', /stored password is for mqtt:\/\/127\.0\.0\.1:1883/],
  ])('%o is refused at %s', (change, field, reason) => {
    const problems = checkForm({ ...formFromSettings(stored), ...change }, stored);
    expect(Object.keys(problems)).toEqual([field]);
    expect(problems[field]).toMatch(reason);
  });
  test('a new broker with the password typed again, or removed, is fine', () => {
    const form = { ...formFromSettings(stored), broker: 'mqtt://elsewhere:1883' };
    expect(checkForm({ ...form, password: 'again' }, stored)).toEqual({});
    expect(checkForm({ ...form, removePassword: true }, stored)).toEqual({});
    expect(checkForm(form, { ...stored, password_set: false })).toEqual({});
  });
  test.each([
    ['keepalive_s', '4', /between 5 and 3600 s/],
    ['keepalive_s', '30.5', /whole number/],
    ['battery_interval_s', '', /a number is needed/],
    ['summary_interval_s', '86401', /between 1 and 86400 s/],
    ['deadband_voltage_V', '10.5', /between 0 and 10 V/],
    ['deadband_temperature_C', '-1', /between 0 and 50 °C/],
    ['deadband_resistance_mOhm', 'abc', /a number is needed/],
    ['deadband_percent', '101', /between 0 and 100 %/],
  ])('%s = "%s"', (field, text, reason) => {
    const form = formFromSettings(stored);
    const problems = checkForm({ ...form, numbers: { ...form.numbers, [field]: text } }, stored);
    expect(problems[field]).toMatch(reason);
  });
  test('the confirmation says what happens to the link', () => {
    const form = formFromSettings(stored);
    expect(saveConfirmation({ ...form, broker: 'mqtt://b:1883' }, stored)).toMatch(/restarts: it disconnects from mqtt:\/\/127\.0\.0\.1:1883 and connects to mqtt:\/\/b:1883; messages waiting in the outbox are kept/);
    expect(saveConfirmation(form, stored)).toMatch(/restarts with these settings/);
    expect(saveConfirmation({ ...form, enabled: false }, stored)).toMatch(/turn the cloud link off/);
    expect(saveConfirmation(form, { ...stored, enabled: false })).toMatch(/turn the cloud link on\? It connects to mqtt:\/\/127\.0\.0\.1:1883/);
  });
  test('sources and refusals', () => {
    expect(sourceOf(stored, 'broker')).toBe('edited');
    expect(sourceOf(stored, 'format')).toBe('site file');
    expect(sourceOf(stored, 'username')).toBe('site file');
    expect(sourceOf({ ...stored, sources: { home_assistant: 'edited' } }, 'format')).toBe('edited');
    expect(refusalField({ error: 'ca_file: no such file: /x', field: 'ca_file' })).toBe('ca_file');
    expect(refusalField({ error: 'body too large' })).toBeUndefined();
  });
  test('a test of the unsaved form sends its changed connection fields', () => {
    const form = { ...formFromSettings(stored), ca_file: '/etc/btms/ca.pem', broker: 'mqtts://b:8883', password: 'p' };
    expect(testRequest(form, stored)).toEqual({ broker: 'mqtts://b:8883', ca_file: '/etc/btms/ca.pem', password: 'p' });
  });
});
