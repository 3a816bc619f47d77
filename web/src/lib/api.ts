// Talks to the gateway: topology and live values over REST, changes over the WebSocket stream
// (reconnects by itself; the connection state is shown, never hidden).
import { Channels, LiveStore } from './live';

export interface UpsInfo {
  id: number;
  name: string;
}
export interface StringInfo {
  id: number;
  ups: number;
  name: string;
  batteries: number;
}
export interface Topology {
  name: string;
  upses: UpsInfo[];
  strings: StringInfo[];
}

/** Thrown when the gateway wants a login (401) or a first admin (setup). */
export class LoginRequired extends Error {
  constructor(readonly setup: boolean) {
    super(setup ? 'setup required' : 'login required');
  }
}

async function getJson(path: string): Promise<any> {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (r.status === 401 || r.status === 409) {
    const session = await fetch('/api/v1/session', { credentials: 'same-origin' })
      .then((s) => s.json())
      .catch(() => ({}));
    throw new LoginRequired(session.setup_required === true);
  }
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

export async function fetchTopology(): Promise<Topology> {
  const t = await getJson('/api/v1/topology');
  return {
    name: (typeof t.site === 'string' ? t.site : t.site?.name) ?? t.name ?? 'Site',
    upses: (t.upses ?? t.site?.upses ?? []).map((u: any) => ({ id: u.id, name: u.name || `UPS ${u.id}` })),
    strings: (t.strings ?? t.site?.strings ?? []).map((s: any) => ({
      id: s.id,
      ups: s.ups ?? s.ups_id,
      name: s.name || `String ${s.id}`,
      batteries: s.batteries,
    })),
  };
}

export async function fetchLive(prefix = ''): Promise<{ sequence: number; channels: Channels }> {
  const q = prefix ? `?prefix=${encodeURIComponent(prefix)}` : '';
  return getJson(`/api/v1/live${q}`);
}

export type LinkState = 'connecting' | 'live' | 'reconnecting';

/** Keeps `store` current through the WebSocket stream; returns a function that stops it. */
export function connectStream(
  store: LiveStore,
  prefixes: string[],
  onState: (s: LinkState) => void,
): () => void {
  let socket: WebSocket | undefined;
  let stopped = false;
  let retry_ms = 500;
  const open = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/api/v1/stream`);
    socket.onopen = () => {
      retry_ms = 500;
      onState('live');
      socket?.send(JSON.stringify({ subscribe: prefixes }));
    };
    socket.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === 'values') store.apply(msg.channels, msg.sequence);
    };
    socket.onclose = () => {
      if (stopped) return;
      onState('reconnecting');
      setTimeout(open, retry_ms);
      retry_ms = Math.min(retry_ms * 2, 10_000);
    };
  };
  onState('connecting');
  // Fill everything once over REST so the page is complete before the first change arrives.
  fetchLive()
    .then((live) => store.apply(live.channels, live.sequence))
    .catch(() => undefined)
    .finally(() => !stopped && open());
  return () => {
    stopped = true;
    socket?.close();
  };
}
