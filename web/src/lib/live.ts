// The browser's copy of the gateway's live channels, fed by /api/v1/live and the WebSocket
// stream. Pure logic, no DOM: what is fresh, what is stale, how a value is shown.

export type Quality = 'ok' | 'stale' | 'comm_lost' | 'invalid';

export interface ChannelValue {
  value: number;
  unit: string;
  time_ms: number;
  quality: Quality;
}

export type Channels = Record<string, ChannelValue>;

export class LiveStore {
  private channels: Channels = {};
  private listeners = new Set<() => void>();
  sequence = 0;

  /** Merges a full /api/v1/live answer or a stream "values" message. */
  apply(update: Channels, sequence?: number): void {
    for (const [name, v] of Object.entries(update)) this.channels[name] = v;
    if (sequence !== undefined) this.sequence = sequence;
    this.listeners.forEach((l) => l());
  }

  get(name: string): ChannelValue | undefined {
    return this.channels[name];
  }

  /** Every channel name seen, sorted (the history explorer's picker). */
  names(): string[] {
    return Object.keys(this.channels).sort();
  }

  unitOf(name: string): string {
    return this.channels[name]?.unit ?? '';
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** A value older than this is shown as stale in the browser even if the gateway said ok
 *  (the browser may have lost the stream without noticing yet). */
export const BROWSER_STALE_AFTER_MS = 10_000;

export type Freshness = 'fresh' | 'stale' | 'lost' | 'invalid' | 'missing';

export function freshness(v: ChannelValue | undefined, now_ms: number): Freshness {
  if (!v) return 'missing';
  switch (v.quality) {
    case 'comm_lost':
      return 'lost';
    case 'invalid':
      return 'invalid';
    case 'stale':
      return 'stale';
    case 'ok':
      return now_ms - v.time_ms > BROWSER_STALE_AFTER_MS ? 'stale' : 'fresh';
  }
}

/** "13.52 V", or "—" when there is nothing trustworthy to show. */
export function formatValue(v: ChannelValue | undefined, digits: number): string {
  if (!v || v.quality === 'invalid') return '—';
  const text = v.value.toFixed(digits);
  return v.unit ? `${text} ${v.unit}` : text;
}

/** "5 s ago", "3 min ago", "2 h ago": the age shown next to a stale value. */
export function formatAge(time_ms: number, now_ms: number): string {
  const s = Math.max(0, Math.round((now_ms - time_ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
