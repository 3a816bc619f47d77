// Talks to the gateway: topology and live values over REST, changes over the WebSocket stream
// (reconnects by itself; the connection state is shown, never hidden).
import { Channels, LiveStore } from './live';
import { noteServerTime } from './clock';
import { InputInfo, inputChannel } from './string_state';
import { apiPath, authHeaders, gatewayScope } from './scope';
import { unprefixChannels } from './site_route';

export interface UpsInfo {
  id: number;
  name: string;
}
export interface StringInfo {
  id: number;
  ups: number;
  name: string;
  batteries: number;
  /** Cells per battery (its battery type); voltage limits are per cell. */
  cells?: number;
}
export interface AmbientInfo {
  index: number;
  name: string;
}
export interface Topology {
  name: string;
  upses: UpsInfo[];
  strings: StringInfo[];
  /** Ambient sensors (ambient/N/temperature, ambient/N/humidity); empty when the site has none. */
  ambients: AmbientInfo[];
  /** Named digital inputs (door, leak, fire, ...). */
  inputs: InputInfo[];
}

/** Thrown when the gateway wants a login (401) or a first admin (setup). */
export class LoginRequired extends Error {
  constructor(readonly setup: boolean) {
    super(setup ? 'setup required' : 'login required');
  }
}

/** Thrown for a gateway request the site aggregator does not forward (kept at the gateway). */
export class NotForwarded extends Error {
  constructor(readonly path: string) {
    super(`not available through the site aggregator: ${path.replace(/\?.*$/, '')} (open the gateway's own web UI)`);
  }
}

/** GET of an API path of the gateway shown (through the aggregator when it serves the UI). */
export async function getJson(path: string): Promise<any> {
  const target = apiPath(path);
  if (target === undefined) throw new NotForwarded(path);
  return getJsonAt(target);
}

/** GET of exactly `path`. */
export async function getJsonAt(path: string): Promise<any> {
  const r = await fetch(path, { credentials: 'same-origin', headers: authHeaders() });
  if (r.status === 401 || r.status === 409) {
    const session = await fetch('/api/v1/session', { credentials: 'same-origin', headers: authHeaders() })
      .then((s) => s.json())
      .catch(() => ({}));
    throw new LoginRequired(session.setup_required === true);
  }
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    throw new ApiError(r.status, body.error ? `${body.error} (HTTP ${r.status})` : `${path}: HTTP ${r.status}`, body);
  }
  return r.json();
}

/** An answer other than 2xx: status, the server's reason, and its body (problems list). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: any = {},
  ) {
    super(message);
  }
}

export type Role = 'viewer' | 'operator' | 'admin';
const ROLE_RANK: Record<string, number> = { viewer: 1, operator: 2, admin: 3 };

export interface Session {
  authenticated: boolean;
  user?: string;
  role?: Role;
  csrf_token?: string;
  anonymous_read?: boolean;
  setup_required?: boolean;
}

export async function fetchSession(): Promise<Session> {
  const r = await fetch('/api/v1/session', { credentials: 'same-origin', headers: authHeaders() });
  if (!r.ok) return { authenticated: false };
  return r.json();
}

/** Whether the session may do what `needed` may (roles include each lower one). */
export function hasRole(session: Session | undefined, needed: Role): boolean {
  if (!session?.authenticated || !session.role) return false;
  return (ROLE_RANK[session.role] ?? 0) >= ROLE_RANK[needed];
}

/** Why a control is disabled for this session, or undefined when it is allowed. */
export function roleReason(session: Session | undefined, needed: Role): string | undefined {
  if (hasRole(session, needed)) return undefined;
  if (!session?.authenticated) return `log in as ${needed} or higher to do this`;
  return `your role (${session.role}) may not do this: ${needed} or higher needed`;
}

/** POST/PUT/DELETE with the session's CSRF token; throws ApiError with the server's reason. */
export async function sendJson(method: 'POST' | 'PUT' | 'DELETE', path: string, session: Session | undefined, body?: unknown): Promise<any> {
  const target = apiPath(path, method);
  if (target === undefined) throw new NotForwarded(path);
  const headers: Record<string, string> = { 'X-CSRF-Token': session?.csrf_token ?? '', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(target, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, answer.error ? `${answer.error} (HTTP ${r.status})` : `HTTP ${r.status}`, answer);
  return answer;
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
      cells: s.battery_type?.cells,
    })),
    ambients: (t.mc?.th ?? []).map((a: any) => ({ index: a.index, name: a.name || `Ambient ${a.index}` })),
    inputs: (t.mc?.inputs ?? []).map((i: any) => ({
      channel: inputChannel(i.point),
      name: i.name,
      alarm_text: i.alarm_text ?? '',
      active_high: i.active_high !== false,
    })),
  };
}

/**
 * Live values under `prefix` of the gateway shown; through the aggregator (`gateway` set) the
 * gateway's prefix is added to the question and taken off the answer.
 */
export async function fetchLive(prefix = '', gateway = gatewayScope()): Promise<{ sequence: number; time_ms: number; channels: Channels }> {
  if (!gateway) return getJsonAt(`/api/v1/live${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ''}`);
  const answer = await getJsonAt(`/api/v1/live?prefix=${encodeURIComponent(`${gateway}/${prefix}`)}`);
  return { ...answer, channels: unprefixChannels(answer.channels ?? {}, gateway) };
}

export type LinkState = 'connecting' | 'live' | 'reconnecting';

/** What the stream says besides values: engine events and alarm counts. */
export interface StreamHandlers {
  onAlarms?: (counts: { count: number; unacknowledged: number }) => void;
  onEvent?: (event: any) => void;
  /** The aggregator's gateway states (only the aggregator's stream sends them). */
  onGateways?: (gateways: any[]) => void;
}

/**
 * Keeps `store` current through the WebSocket stream; returns a function that stops it. With
 * `gateway` (a gateway's pages through the aggregator) the prefixes are asked for under the
 * gateway's name and the store gets the gateway's own channel names.
 */
export function connectStream(
  store: LiveStore,
  prefixes: string[],
  onState: (s: LinkState) => void,
  handlers: StreamHandlers = {},
  gateway?: string,
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
      socket?.send(JSON.stringify({ subscribe: gateway ? prefixes.map((p) => `${gateway}/${p}`) : prefixes }));
    };
    socket.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === 'values') {
        noteServerTime(msg.time_ms);
        store.apply(gateway ? unprefixChannels(msg.channels, gateway) : msg.channels, msg.sequence);
      } else if (msg.type === 'gateways') handlers.onGateways?.(msg.gateways);
      else if (msg.type === 'alarms') handlers.onAlarms?.({ count: msg.count, unacknowledged: msg.unacknowledged });
      else if (msg.type === 'event') handlers.onEvent?.(msg.event);
    };
    socket.onclose = () => {
      if (stopped) return;
      onState('reconnecting');
      setTimeout(open, retry_ms);
      retry_ms = Math.min(retry_ms * 2, 10_000);
    };
  };
  onState('connecting');
  // Fill everything once over REST so the page is complete before the first change arrives
  // (through the aggregator: the summaries it holds; the page asks for its batteries itself).
  const first = prefixes.length === 0 ? Promise.resolve({ time_ms: 0, sequence: 0, channels: {} }) : fetchLive('', gateway);
  first
    .then((live) => {
      // User Timing mark: when the page's data arrived (browser tools; the e2e render figure).
      performance.mark('btms-live-filled');
      noteServerTime(live.time_ms);
      if (Object.keys(live.channels).length) store.apply(live.channels, live.sequence);
    })
    .catch(() => undefined)
    .finally(() => !stopped && open());
  return () => {
    stopped = true;
    socket?.close();
  };
}
