import { useEffect, useMemo, useState } from 'preact/hooks';
import { Topology, getJson, getJsonAt } from '../lib/api';
import { AttentionAnswer, BatteryAttention, LABEL, RECOMMENDATIONS, SortKey, gatewayRows, sortRows, tone, visibleRows } from '../lib/attention';
import { link } from '../lib/scope';
import { scopedHref } from '../lib/site_route';
import { useDebounced } from './useDebounced';

const fixed = (v: number | null, digits: number, unit = '') => (v === null ? '—' : `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`);
const signed = (v: number | null, digits: number, unit: string) => (v === null ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(digits)} ${unit}`);

const COLUMNS: { key: SortKey; label: string; title?: string }[] = [
  { key: 'rank', label: '#', title: 'Most urgent first' },
  { key: 'battery', label: 'Battery' },
  { key: 'voltage_V', label: 'Voltage' },
  { key: 'temperature_C', label: 'Temperature' },
  { key: 'resistance_mOhm', label: 'Resistance' },
  { key: 'over_baseline_pct', label: 'Over baseline', title: 'Resistance over the battery\'s own learned baseline (IEEE 1188: investigate at 20 %, replace at 50 %)' },
  { key: 'trend_pct_per_month', label: 'Trend', title: 'Resistance change per month, % of baseline (healthy ageing: under 0.4 %/month)' },
  { key: 'soh_pct', label: 'SOH', title: 'State of health: replace below 80 % of rated capacity' },
  { key: 'balancing', label: 'Balancing' },
];

/** Where a battery's row links to: its page, under its gateway when the site lists it. */
const batteryHref = (b: BatteryAttention) => (b.gateway ? scopedHref(b.gateway, `#/battery/${b.string_id}/${b.position}`) : link(`#/battery/${b.string_id}/${b.position}`));

/**
 * Batteries needing attention: every battery of the gateway ranked by what to do about it (replace
 * now, plan a replacement, check a connection or a sensor, watch), with the reasons in words, and
 * a per-string table sortable by every figure. At the site aggregator (`site`): the batteries that
 * need something on every gateway, ranked together, filtered by gateway.
 */
export function AttentionPage(props: { topology?: Topology; changeTick: number; initialString?: number; site?: boolean }) {
  const site = props.site === true;
  const changeTick = useDebounced(props.changeTick, 5000);
  const [answer, setAnswer] = useState<AttentionAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [stringId, setStringId] = useState(props.initialString ?? 0);
  const [gateway, setGateway] = useState('');
  const [all, setAll] = useState(false);
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'rank', descending: false });
  useEffect(() => {
    (site ? getJsonAt('/api/v1/attention') : getJson('/api/v1/attention')).then(
      (a: AttentionAnswer) => {
        setAnswer(a);
        setError(undefined);
      },
      (e) => setError(e.message ?? String(e)),
    );
  }, [changeTick]);
  const rows = useMemo(
    () => (answer ? sortRows(site ? gatewayRows(answer.batteries, gateway) : visibleRows(answer.batteries, stringId, all), sort.key, sort.descending) : []),
    [answer, stringId, gateway, all, sort],
  );
  const rank = useMemo(() => new Map(answer?.batteries.map((b, i) => [b.battery, i + 1]) ?? []), [answer]);
  const sortBy = (key: SortKey) =>
    setSort((s) => ({ key, descending: s.key === key ? !s.descending : key !== 'rank' && key !== 'battery' }));

  return (
    <section data-testid="attention-page">
      <h1>Batteries needing attention{site ? ' across the site' : ''}</h1>
      {error && <p class="value-invalid">Attention: {error}</p>}
      {!answer && !error && <p>Loading…</p>}
      {answer && (
        <>
          <ul class="string-chips" data-testid="attention-counts">
            {RECOMMENDATIONS.map((r) => (
              <li class={`state-chip tone-${answer.counts[r] > 0 ? tone(r) : 'muted'}`} data-testid={`count-${r}`}>
                {LABEL[r]}: {answer.counts[r]}
              </li>
            ))}
          </ul>
          <p class="muted">
            Judged from each battery's own resistance baseline (IEEE 1188: investigate at 20 % over, replace at 50 %), its
            resistance trend, state of health (replace below 80 %), temperature against its room and its place in the last
            discharges.{' '}
            {site
              ? 'Each gateway judges its own batteries from its history; the site ranks them together.'
              : answer.history
                ? `Trends over the history since ${new Date(answer.from_ms).toLocaleDateString()}.`
                : 'No history store: live figures only, no trends.'}
          </p>
          {site && (answer.gateways ?? []).some((g) => !g.ok) && (
            <ul class="value-invalid" data-testid="attention-unanswered">
              {(answer.gateways ?? [])
                .filter((g) => !g.ok)
                .map((g) => (
                  <li>
                    Gateway {g.name} not judged now: {g.error}. Its batteries are missing from this list.
                  </li>
                ))}
            </ul>
          )}
          {site && (
            <div class="actions">
              <label>
                Gateway{' '}
                <select value={gateway} onChange={(e) => setGateway((e.target as HTMLSelectElement).value)} data-testid="attention-gateway">
                  <option value="">all</option>
                  {(answer.gateways ?? []).map((g) => (
                    <option value={g.name}>{g.name}</option>
                  ))}
                </select>
              </label>
            </div>
          )}
          {!site && props.topology && <div class="actions">
            <label>
              String{' '}
              <select value={stringId} onChange={(e) => setStringId(+(e.target as HTMLSelectElement).value)} data-testid="attention-string">
                <option value={0}>all</option>
                {props.topology.strings.map((s) => (
                  <option value={s.id}>{s.name || `String ${s.id}`}</option>
                ))}
              </select>
            </label>
            <label>
              <input type="checkbox" checked={all} onChange={(e) => setAll((e.target as HTMLInputElement).checked)} data-testid="attention-all" /> show
              healthy batteries too
            </label>
          </div>}
          {rows.length === 0 ? (
            <p data-testid="attention-none">
              No battery needs attention{site ? (gateway ? ` on gateway ${gateway}` : '') : stringId ? ` in string ${stringId}` : ''}.
            </p>
          ) : (
            <table class="grid attention" data-testid="attention-table">
              <thead>
                <tr>
                  {COLUMNS.map((c) => (
                    <th title={c.title} aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined}>
                      <button class="sort" onClick={() => sortBy(c.key)} data-testid={`sort-${c.key}`}>
                        {c.label}
                        {sort.key === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
                      </button>
                    </th>
                  ))}
                  <th>What to do</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((b) => (
                  <tr data-testid="attention-row" data-battery={b.battery} data-recommendation={b.recommendation}>
                    <td>{rank.get(b.battery)}</td>
                    <td>
                      <a href={batteryHref(b)}>
                        {b.gateway ? `${b.gateway} · ` : ''}
                        {b.string_id}/{b.position}
                      </a>
                      {b.replaced && (
                        <div class="muted" title={`serial ${b.replaced.serial}`}>
                          replaced {b.replaced.work_date}
                        </div>
                      )}
                    </td>
                    <td>{fixed(b.voltage_V, 3, 'V')}</td>
                    <td>{fixed(b.temperature_C, 1, '°C')}</td>
                    <td>{fixed(b.resistance_mOhm, 3, 'mΩ')}</td>
                    <td>{signed(b.over_baseline_pct, 1, '%')}</td>
                    <td>{b.trend_pct_per_month === null ? '—' : `${signed(b.trend_pct_per_month, 2, '%')}/month`}</td>
                    <td>{fixed(b.soh_pct, 0, '%')}</td>
                    <td>{b.balancing ? 'yes' : 'no'}</td>
                    <td>
                      <span class={`state-chip tone-${tone(b.recommendation)}`}>{LABEL[b.recommendation]}</span>
                      {b.reasons.length > 0 && (
                        <ul class="reasons">
                          {b.reasons.map((r) => (
                            <li>{r}</li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
