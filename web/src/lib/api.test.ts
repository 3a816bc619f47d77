import { connectStream, hasRole, roleReason } from './api';
import { LiveStore } from './live';

class FakeSocket {
  static last: FakeSocket;
  onopen?: () => void;
  onmessage?: (e: { data: string }) => void;
  onclose?: () => void;
  sent: string[] = [];
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(m: string) {
    this.sent.push(m);
  }
  close() {}
}

describe('stream messages', () => {
  beforeEach(() => {
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('location', { protocol: 'http:', host: 'gw:8080' });
    vi.stubGlobal('fetch', async () => ({ ok: true, status: 200, json: async () => ({ sequence: 1, channels: {} }) }));
  });
  afterEach(() => vi.unstubAllGlobals());

  test('values go to the store, alarm counts and events to their handlers', async () => {
    const store = new LiveStore();
    const states: string[] = [];
    const counts: unknown[] = [];
    const events: unknown[] = [];
    const stop = connectStream(store, [''], (s) => states.push(s), { onAlarms: (c) => counts.push(c), onEvent: (e) => events.push(e) });
    await vi.waitFor(() => expect(FakeSocket.last?.url).toBe('ws://gw:8080/api/v1/stream'));
    const ws = FakeSocket.last;
    ws.onopen!();
    expect(ws.sent).toEqual([JSON.stringify({ subscribe: [''] })]);
    ws.onmessage!({ data: JSON.stringify({ type: 'values', sequence: 5, channels: { 'string/1/voltage': { value: 540, unit: 'V', time_ms: 1, quality: 'ok' } } }) });
    ws.onmessage!({ data: JSON.stringify({ type: 'alarms', count: 3, unacknowledged: 1 }) });
    ws.onmessage!({ data: JSON.stringify({ type: 'event', event: { id: 42, kind: 'alarm_raised' } }) });
    expect(store.get('string/1/voltage')?.value).toBe(540);
    expect(store.sequence).toBe(5);
    expect(counts).toEqual([{ count: 3, unacknowledged: 1 }]);
    expect(events).toEqual([{ id: 42, kind: 'alarm_raised' }]);
    expect(states).toEqual(['connecting', 'live']);
    stop();
  });
});

describe('roles', () => {
  test.each([
    [undefined, 'viewer', false],
    [{ authenticated: false }, 'viewer', false],
    [{ authenticated: true, role: 'viewer' }, 'viewer', true],
    [{ authenticated: true, role: 'viewer' }, 'operator', false],
    [{ authenticated: true, role: 'operator' }, 'operator', true],
    [{ authenticated: true, role: 'admin' }, 'operator', true],
    [{ authenticated: true, role: 'operator' }, 'admin', false],
  ] as const)('%j may act as %s: %s', (session, role, allowed) => {
    expect(hasRole(session as any, role)).toBe(allowed);
    expect(roleReason(session as any, role) === undefined).toBe(allowed);
  });
  test('reasons say what is needed', () => {
    expect(roleReason({ authenticated: false }, 'admin')).toBe('log in as admin or higher to do this');
    expect(roleReason({ authenticated: true, role: 'viewer' }, 'operator')).toBe('your role (viewer) may not do this: operator or higher needed');
  });
});
