/** The answer of GET /api/v1/attention and how the attention page orders and labels it. */

export type Recommendation = 'replace_now' | 'plan_replacement' | 'check_connection' | 'check_sensor' | 'watch' | 'ok';

export interface BatteryAttention {
  battery: string;
  string_id: number;
  position: number;
  ups_id: number;
  recommendation: Recommendation;
  reasons: string[];
  readings_ok: boolean;
  voltage_V: number | null;
  temperature_C: number | null;
  resistance_mOhm: number | null;
  baseline_mOhm: number | null;
  over_baseline_pct: number | null;
  soh_pct: number | null;
  balancing: boolean;
  trend_pct_per_month: number | null;
  rise_in_week_pct: number | null;
  mean_temperature_C: number | null;
  max_over_ambient_K: number | null;
  recent_discharges: number;
  weakest_in_recent: number;
  /** At the site aggregator: the gateway that judged it (battery is then "gw2/battery/3/7"). */
  gateway?: string;
  /** Its latest replacement (maintenance record), judged from then on. */
  replaced?: { work_date: string; serial: string; recorded_ms: number } | null;
}

export interface AttentionAnswer {
  time_ms: number;
  from_ms: number;
  history: boolean;
  counts: Record<Recommendation, number>;
  batteries: BatteryAttention[]; // most urgent first
  /** At the site aggregator: every gateway asked, and why one did not answer. */
  gateways?: { name: string; ok: boolean; error?: string; history?: boolean; from_ms?: number }[];
}

/** Most urgent first, as the gateway ranks them. */
export const RECOMMENDATIONS: Recommendation[] = ['replace_now', 'plan_replacement', 'check_connection', 'check_sensor', 'watch', 'ok'];

export const LABEL: Record<Recommendation, string> = {
  replace_now: 'Replace now',
  plan_replacement: 'Plan replacement',
  check_connection: 'Check connection',
  check_sensor: 'Check sensor',
  watch: 'Watch',
  ok: 'OK',
};

/** Beyond a replace limit: red; needs a visit: yellow; the rest plain. */
export function tone(r: Recommendation): 'err' | 'warn' | 'muted' | 'ok' {
  if (r === 'replace_now') return 'err';
  if (r === 'plan_replacement' || r === 'check_connection' || r === 'check_sensor') return 'warn';
  if (r === 'watch') return 'muted';
  return 'ok';
}

export type SortKey =
  | 'rank'
  | 'battery'
  | 'voltage_V'
  | 'temperature_C'
  | 'resistance_mOhm'
  | 'over_baseline_pct'
  | 'trend_pct_per_month'
  | 'soh_pct'
  | 'balancing';

/**
 * The rows sorted by `key` (rank = the gateway's order). Unknown values (null) go last in
 * either direction, so a sort never hides a battery with figures behind ones without.
 */
export function sortRows(rows: BatteryAttention[], key: SortKey, descending: boolean): BatteryAttention[] {
  const ranked = rows.map((row, rank) => ({ row, rank }));
  const value = (x: { row: BatteryAttention; rank: number }): number | null => {
    if (key === 'rank') return x.rank;
    if (key === 'battery') return x.row.string_id * 10_000 + x.row.position;
    if (key === 'balancing') return x.row.balancing ? 1 : 0;
    return x.row[key];
  };
  ranked.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null && vb === null) return a.rank - b.rank;
    if (va === null) return 1;
    if (vb === null) return -1;
    if (va !== vb) return descending ? vb - va : va - vb;
    return a.rank - b.rank;
  });
  return ranked.map((x) => x.row);
}

/** The rows a page shows: one string (0 = all) and, unless `all`, only those that need something. */
export function visibleRows(rows: BatteryAttention[], stringId: number, all: boolean): BatteryAttention[] {
  return rows.filter((r) => (stringId === 0 || r.string_id === stringId) && (all || r.recommendation !== 'ok'));
}

/** At the site: the rows of one gateway ('' = all). The site lists only batteries that need something. */
export function gatewayRows(rows: BatteryAttention[], gateway: string): BatteryAttention[] {
  return gateway === '' ? rows : rows.filter((r) => r.gateway === gateway);
}
