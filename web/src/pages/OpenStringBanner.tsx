import { useEffect, useState } from 'preact/hooks';
import { link } from '../lib/scope';
import { getJson, roleReason, sendJson, Session } from '../lib/api';
import { ActiveAlarm, LogEvent } from '../lib/events';
import { LiveStore } from '../lib/live';
import { openBanner } from '../lib/string_state';

const EVENT_LOOKBACK_MS = 90 * 24 * 3600 * 1000;

/**
 * The banner of an open string on its string and battery pages: who or what opened it, the
 * battery, the value with its unit and the limit, when, and the steps to reconnect, with the
 * acknowledge and reset actions next to them (their refusals shown as the engine words them).
 */
export function OpenStringBanner(props: {
  stringId: number;
  store: LiveStore;
  alarms?: ActiveAlarm[];
  session?: Session;
  changeTick: number;
  now: number;
}) {
  const { stringId, store } = props;
  const open = store.get(`string/${stringId}/relay_closed`)?.value === 0 || (store.get(`string/${stringId}/protection`)?.value ?? 0) !== 0;
  const [events, setEvents] = useState<LogEvent[]>([]);
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  useEffect(() => {
    if (!open) return;
    // The trip or open event says when and by whom; the newest of the last 90 days is enough.
    getJson(`/api/v1/events?from=${Math.max(0, props.now - EVENT_LOOKBACK_MS)}&limit=1000`).then(
      (r) => setEvents(r.events ?? []),
      () => setEvents([]),
    );
  }, [stringId, open, props.changeTick]);
  const banner = openBanner(stringId, (c) => store.get(c), props.alarms ?? [], events);
  if (!banner) return null;
  const maintenance = store.get(`string/${stringId}/protection`)?.value === 3;
  const denied = roleReason(props.session, 'operator');
  const act = async (path: string, body: unknown) => {
    try {
      const r = await sendJson('POST', path, props.session, body);
      setMessage({ ok: true, text: r.message ?? 'done' });
    } catch (e: any) {
      setMessage({ ok: false, text: e.body?.error ?? String(e.message ?? e) });
    }
  };
  const unacked = (props.alarms ?? []).some((a) => !a.acknowledged && (a.source === `string/${stringId}` || a.source.startsWith(`battery/${stringId}/`)));
  return (
    <section class={`banner ${maintenance ? 'banner-maintenance' : ''}`} data-testid="open-string-banner" role="alert">
      <h2>{banner.title}</h2>
      <p data-testid="banner-cause">
        {banner.cause}
        {banner.battery && (
          <>
            {' '}
            — <a href={link(`#/battery/${banner.battery.string}/${banner.battery.position}`)}>battery {banner.battery.string}/{banner.battery.position}</a>
          </>
        )}
      </p>
      {banner.since_ms !== undefined && (
        <p class="muted" data-testid="banner-since">
          Open since {new Date(banner.since_ms).toLocaleString()}
        </p>
      )}
      <ol data-testid="banner-steps">
        {banner.steps.map((s) => (
          <li>{s}</li>
        ))}
      </ol>
      <div class="actions">
        {unacked && (
          <button disabled={!!denied} title={denied} data-testid="banner-ack" onClick={() => act('/api/v1/alarms/acknowledge', { source: `string/${stringId}`, comment: 'acknowledged from the open-string banner' })}>
            Acknowledge alarms of string {stringId}
          </button>
        )}
        <span class="inline-form">
          <input placeholder="reason for the reset" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} data-testid="banner-reason" />
          <button disabled={!!denied || !reason.trim()} title={denied} data-testid="banner-reset" onClick={() => act(`/api/v1/strings/${stringId}/reset`, { reason: reason.trim() })}>
            Reset string {stringId}
          </button>
        </span>
      </div>
      {message && (
        <p class={message.ok ? 'ok-text' : 'value-invalid'} data-testid="banner-message">
          {message.text}
        </p>
      )}
    </section>
  );
}
