import { CloudSettings, checkBrokerUrl, describeTest, formFromSettings, passwordNote, testRequest } from './cloud';

const stored: CloudSettings = {
  enabled: true,
  broker: 'mqtt://127.0.0.1:1883',
  client_id: 'btms-dc1-gw1',
  format: 'sparkplug',
  tls: false,
  username: 'btms',
  password_set: true,
  site_id: 'dc1',
  gateway_id: 'gw1',
  ca_file: '',
  cert_file: '',
  key_file: '',
  topics: 'spBv1.0/dc1/+/gw1/#',
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
