import { useEffect, useState } from 'preact/hooks';
import { getJsonAt } from '../lib/api';
import { ChannelValue } from '../lib/live';
import { GatewaySummary, SiteAnswer, StringExtremes, arrangeGateways, dataAgeText, formatDuration, shownState, siteWorst, stateLabel, stateTone, stringExtremes } from '../lib/site';
import { scopedHref } from '../lib/site_route';

/** The site's summaries are cheap (held by the aggregator): read often. */
const SITE_POLL_MS = 2_000;
/** Gateways come and go, their topology seldom changes. */
const TOPOLOGY_POLL_MS = 30_000;
/**
 * The lowest and highest battery per string need every battery's voltage, which stays at the
 * gateway (the aggregator holds only UPS and string summaries): asked of each online gateway at
 * this pace, not more, to keep the load on the gateways small.
 */
const EXTREMES_POLL_MS = 10_000;

interface GatewayTopology {
  name: string;
  url: string;
  strings: { id: number; name: string; ups: number }[];
}

interface Extremes {
  list: StringExtremes[];
  at: number;
}

function useSite(changeTick: number) {
  const [answer, setAnswer] = useState<{ site: SiteAnswer; at: number } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [poll, setPoll] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setPoll((n) => n + 1), SITE_POLL_MS);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    getJsonAt('/api/v1/site').then(
      (site: SiteAnswer) => {
        setAnswer({ site, at: Date.now() });
        setError(undefined);
      },
      (e) => setError(e.message ?? String(e)),
    );
  }, [poll, changeTick]);
  return { answer, error };
}

function useTopologies(): Record<string, GatewayTopology> {
  const [topologies, setTopologies] = useState<Record<string, GatewayTopology>>({});
  useEffect(() => {
    const read = () =>
      getJsonAt('/api/v1/topology').then(
        (t) => {
          const out: Record<string, GatewayTopology> = {};
          for (const g of t.gateways ?? [])
            out[g.name] = {
              name: g.name,
              url: g.url,
              strings: (g.topology?.strings ?? []).map((s: any) => ({ id: s.id, name: s.name || `String ${s.id}`, ups: s.ups ?? s.ups_id })),
            };
          setTopologies(out);
        },
        () => undefined,
      );
    read();
    const timer = setInterval(read, TOPOLOGY_POLL_MS);
    return () => clearInterval(timer);
  }, []);
  return topologies;
}

/** Per gateway: its strings' lowest and highest battery, from its batteries' voltages. */
function useExtremes(online: string[]): Record<string, Extremes> {
  const [extremes, setExtremes] = useState<Record<string, Extremes>>({});
  const key = online.join(',');
  useEffect(() => {
    let stopped = false;
    const read = () =>
      online.forEach((name) =>
        getJsonAt(`/api/v1/live?prefix=${encodeURIComponent(`${name}/battery/`)}`).then(
          (live: { channels: Record<string, ChannelValue> }) => !stopped && setExtremes((e) => ({ ...e, [name]: { list: stringExtremes(live.channels ?? {}), at: Date.now() } })),
          () => undefined,
        ),
      );
    read();
    const timer = setInterval(read, EXTREMES_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [key]);
  return extremes;
}

function ExtremesTable(props: { gateway: string; topology?: GatewayTopology; extremes?: Extremes; current: boolean; now: number }) {
  const { topology, extremes } = props;
  if (!extremes) return <p class="muted">lowest / highest battery: reading…</p>;
  const old = !props.current || props.now - extremes.at > 3 * EXTREMES_POLL_MS;
  return (
    <table class={`extremes ${old ? 'value-stale' : ''}`} data-testid={`extremes-${props.gateway}`}>
      <thead>
        <tr>
          <th />
          <th>lowest</th>
          <th>highest</th>
        </tr>
      </thead>
      <tbody>
        {extremes.list.map((e) => {
          const name = topology?.strings.find((s) => s.id === e.string)?.name ?? `String ${e.string}`;
          const missing = e.seen - e.good;
          return (
            <tr data-testid={`extremes-${props.gateway}-${e.string}`}>
              <th>
                <a href={scopedHref(props.gateway, `#/string/${e.string}`)}>{name}</a>
              </th>
              <td title={e.lowest ? `battery ${e.string}/${e.lowest.position}` : 'no good reading'}>
                {e.lowest ? `${e.lowest.value.toFixed(2)} V (#${e.lowest.position})` : '—'}
              </td>
              <td title={e.highest ? `battery ${e.string}/${e.highest.position}` : 'no good reading'}>
                {e.highest ? `${e.highest.value.toFixed(2)} V (#${e.highest.position})` : '—'}
                {missing > 0 && <small class="value-invalid"> {missing} without reading</small>}
              </td>
            </tr>
          );
        })}
      </tbody>
      {old && (
        <caption class="age">
          as of {formatDuration(props.now - extremes.at)} ago{!props.current && ' (gateway not reached now)'}
        </caption>
      )}
    </table>
  );
}

function GatewayTile(props: { g: GatewaySummary; at: number; now: number; topology?: GatewayTopology; extremes?: Extremes }) {
  const { g, at, now } = props;
  const state = shownState(g, at, now);
  const tone = stateTone(state);
  const current = state !== 'offline' && state !== 'connecting';
  return (
    <div class={`tile tone-${tone} gateway-tile ${current ? '' : 'gateway-apart'}`} data-testid={`gateway-${g.name}`} data-state={state} data-tone={tone}>
      <h2>
        <a href={scopedHref(g.name, '#/')} data-testid={`gateway-link-${g.name}`}>
          {g.name}
        </a>{' '}
        <span class={`state-chip tone-${tone}`} data-testid={`gateway-state-${g.name}`}>
          {stateLabel(state)}
        </span>
      </h2>
      <div class={current ? 'muted' : 'value-stale'} data-testid={`gateway-age-${g.name}`} title={props.topology?.url}>
        {dataAgeText(g, at, now)}
      </div>
      <dl>
        <dt>UPS · strings · batteries</dt>
        <dd data-testid={`gateway-counts-${g.name}`}>
          {g.ups_count} · {g.string_count} · {g.battery_count}
        </dd>
        <dt>Active alarms</dt>
        <dd>
          {g.alarm_count === 0 ? (
            'none'
          ) : (
            <a href="#/alarms" class="value-invalid">
              {g.alarm_count}
              {g.unacknowledged ? ` (${g.unacknowledged} unacknowledged)` : ''}
            </a>
          )}
          {!current && g.alarm_count > 0 && <small class="age"> (last known)</small>}
        </dd>
      </dl>
      <ExtremesTable gateway={g.name} topology={props.topology} extremes={props.extremes} current={current} now={now} />
    </div>
  );
}

/** The aggregator's home: one tile per gateway (worst first, offline apart) and the site's totals. */
export function SitePage(props: { now: number; changeTick: number }) {
  const { answer, error } = useSite(props.changeTick);
  const topologies = useTopologies();
  const now = props.now;
  const arranged = answer ? arrangeGateways(answer.site.gateways, answer.at, now) : { online: [], apart: [] };
  const extremes = useExtremes(arranged.online.map((g) => g.name));
  if (!answer) return <p>{error ? `Site: ${error}` : 'Loading…'}</p>;
  const { site, at } = answer;
  const t = site.totals;
  const worst = siteWorst(site.gateways, at, now);
  return (
    <section>
      <h1>
        {site.site} <span class={`state-chip tone-${stateTone(worst)}`} data-testid="site-state">{stateLabel(worst)}</span>
      </h1>
      {error && <p class="value-invalid">The aggregator did not answer: {error}. Shown: its answer of {formatDuration(now - at)} ago.</p>}
      <p class="summary" data-testid="site-totals">
        {t.gateways} gateways ({t.online} online{t.offline ? `, ${t.offline} not online` : ''}) · {t.ups_count} UPS · {t.string_count} strings · {t.battery_count} batteries ·{' '}
        {t.alarm_count === 0 ? (
          'no active alarms'
        ) : (
          <a href="#/alarms">
            {t.alarm_count} active alarms ({t.unacknowledged} unacknowledged)
          </a>
        )}
      </p>
      <div class="tiles site-tiles">
        {arranged.online.map((g) => (
          <GatewayTile g={g} at={at} now={now} topology={topologies[g.name]} extremes={extremes[g.name]} />
        ))}
      </div>
      {arranged.apart.length > 0 && (
        <>
          <h2>Not online</h2>
          <div class="tiles site-tiles" data-testid="gateways-apart">
            {arranged.apart.map((g) => (
              <GatewayTile g={g} at={at} now={now} topology={topologies[g.name]} extremes={extremes[g.name]} />
            ))}
          </div>
        </>
      )}
      <p class="muted">
        Batteries needing attention are judged by each gateway (its Attention page) and not gathered at the site level yet.
      </p>
    </section>
  );
}
