import { useEffect, useState } from 'preact/hooks';
import { getJsonAt } from '../lib/api';
import { Extreme, GatewaySummary, SiteAnswer, arrangeGateways, dataAgeText, formatDuration, shownState, siteWorst, stateLabel, stateTone } from '../lib/site';
import { scopedHref } from '../lib/site_route';

/** The site's summaries are cheap (held by the aggregator): read often. */
const SITE_POLL_MS = 2_000;
/** Gateways come and go, their topology seldom changes. */
const TOPOLOGY_POLL_MS = 30_000;

interface GatewayTopology {
  name: string;
  url: string;
  strings: { id: number; name: string; ups: number }[];
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

const extremeText = (e: Extreme | null, digits: number, unit: string) => (e ? `${e.value.toFixed(digits)} ${unit} (#${e.battery})` : '—');

/**
 * Per string its lowest and highest battery voltage and its hottest battery, as the gateway works
 * them out (the aggregator holds them with the string summaries): grey when not current.
 */
function ExtremesTable(props: { g: GatewaySummary; topology?: GatewayTopology; current: boolean }) {
  const { g, topology } = props;
  const strings = g.strings ?? [];
  if (strings.length === 0) return <p class="muted">lowest / highest battery: not reported by this gateway yet</p>;
  return (
    <table class="extremes" data-testid={`extremes-${g.name}`}>
      <thead>
        <tr>
          <th />
          <th>lowest</th>
          <th>highest</th>
          <th>hottest</th>
        </tr>
      </thead>
      <tbody>
        {strings.map((e) => {
          const name = topology?.strings.find((s) => s.id === e.id)?.name ?? `String ${e.id}`;
          const stale = !props.current || e.quality !== 'ok';
          const where = (x: Extreme | null) => (x ? `battery ${e.id}/${x.battery}` : 'no good reading');
          return (
            <tr data-testid={`extremes-${g.name}-${e.id}`} class={stale ? 'value-stale' : ''}>
              <th>
                <a href={scopedHref(g.name, `#/string/${e.id}`)}>{name}</a>
              </th>
              <td title={where(e.lowest_voltage_V)}>
                <a href={e.lowest_voltage_V ? scopedHref(g.name, `#/battery/${e.id}/${e.lowest_voltage_V.battery}`) : undefined}>{extremeText(e.lowest_voltage_V, 2, 'V')}</a>
              </td>
              <td title={where(e.highest_voltage_V)}>
                <a href={e.highest_voltage_V ? scopedHref(g.name, `#/battery/${e.id}/${e.highest_voltage_V.battery}`) : undefined}>{extremeText(e.highest_voltage_V, 2, 'V')}</a>
              </td>
              <td title={where(e.highest_temperature_C)}>{extremeText(e.highest_temperature_C, 1, '°C')}</td>
            </tr>
          );
        })}
      </tbody>
      {!props.current && (
        <caption class="age">last known values (gateway not reached now)</caption>
      )}
    </table>
  );
}

function GatewayTile(props: { g: GatewaySummary; at: number; now: number; topology?: GatewayTopology }) {
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
      <ExtremesTable g={g} topology={props.topology} current={current} />
    </div>
  );
}

/** The aggregator's home: one tile per gateway (worst first, offline apart) and the site's totals. */
export function SitePage(props: { now: number; changeTick: number }) {
  const { answer, error } = useSite(props.changeTick);
  const topologies = useTopologies();
  const now = props.now;
  const arranged = answer ? arrangeGateways(answer.site.gateways, answer.at, now) : { online: [], apart: [] };
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
          <GatewayTile g={g} at={at} now={now} topology={topologies[g.name]} />
        ))}
      </div>
      {arranged.apart.length > 0 && (
        <>
          <h2>Not online</h2>
          <div class="tiles site-tiles" data-testid="gateways-apart">
            {arranged.apart.map((g) => (
              <GatewayTile g={g} at={at} now={now} topology={topologies[g.name]} />
            ))}
          </div>
        </>
      )}
      <p>
        <a href="#/attention" data-testid="site-attention-link">Batteries needing attention across the site</a> (each gateway judges its own, the site
        ranks them together).
      </p>
    </section>
  );
}
