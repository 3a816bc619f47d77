import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { connectStream, fetchLive, fetchSession, fetchTopology, getJson, LinkState, LoginRequired, Session, Topology } from './lib/api';
import { LoginPage } from './pages/LoginPage';
import { LiveStore } from './lib/live';
import { Overview } from './pages/Overview';
import { UpsPage } from './pages/UpsPage';
import { StringPage } from './pages/StringPage';
import { BatteryPage } from './pages/BatteryPage';
import { AlarmsPage } from './pages/AlarmsPage';
import { DischargePlayback, DischargesPage } from './pages/DischargesPage';
import { HistoryExplorer } from './pages/HistoryExplorer';
import { SettingsPage } from './pages/SettingsPage';
import { AttentionPage } from './pages/AttentionPage';
import { DischargeReport } from './pages/DischargeReport';
import { MonthlyReport } from './pages/MonthlyReport';
import { formatMonth, monthOf } from './lib/monthly';
import { ActiveAlarm } from './lib/events';
import './style.css';
import { serverNow } from './lib/clock';
import { Header } from './pages/Header';
import { SitePage } from './pages/SitePage';
import { SiteAlarmsPage } from './pages/SiteAlarmsPage';
import { TokenPage } from './pages/TokenPage';
import { GatewayStateBanner, NotAtSiteLevel } from './pages/SiteScope';
import { link, setGatewayScope } from './lib/scope';
import { detailPrefixes, parseSiteRoute } from './lib/site_route';

/** Counts for the header badge when the stream has said nothing yet (or cannot). */
const ALARM_POLL_MS = 30_000;
/**
 * Through the aggregator a gateway's per-battery values are not streamed (it holds only the
 * summaries): the page's batteries are read again this often.
 */
const DETAIL_POLL_MS = 2_000;

function useHashRoute(): string[] {
  const parse = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(parse());
  useEffect(() => {
    const on = () => setRoute(parse());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Re-renders every second (ages of values) and on every live update. */
function useLiveTick(store: LiveStore): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const off = store.subscribe(() => setTick((t) => t + 1));
    const timer = setInterval(() => setTick((t) => t + 1), 1000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [store]);
  return tick;
}

interface Shell {
  session?: Session;
  /** The site's name (the aggregator's health answer); undefined on a gateway. */
  siteName?: string;
  theme: string;
  setTheme: (t: string) => void;
}

/**
 * One gateway's pages: on the gateway itself (`gateway` undefined), or one level up through the
 * site aggregator (`gateway` = its name there: links, API paths and channel names are scoped).
 */
function GatewayView(props: Shell & { gateway?: string; route: string[] }) {
  const { gateway, route, session } = props;
  // Set while rendering: the pages' effects, which run after this, read it for their requests.
  setGatewayScope(gateway);
  const store = useMemo(() => new LiveStore(), []);
  const [topology, setTopology] = useState<Topology | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [login, setLogin] = useState<LoginRequired | undefined>();
  const [link_, setLink] = useState<LinkState>('connecting');
  const [alarmCounts, setAlarmCounts] = useState<{ count: number; unacknowledged: number } | undefined>();
  // Bumped on every engine event or alarm-count change: pages showing alarms refetch.
  const [changeTick, setChangeTick] = useState(0);
  const [alarms, setAlarms] = useState<ActiveAlarm[] | undefined>();
  // Whether the current stream connection has sent alarm counts (then polls do not set them).
  const countsFromStream = useRef(false);
  const [pollTick, setPollTick] = useState(0);
  useLiveTick(store);
  useEffect(() => {
    const timer = setInterval(() => setPollTick((n) => n + 1), ALARM_POLL_MS);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    let stop: (() => void) | undefined;
    let gone = false;
    fetchTopology().then(
      (t) => {
        if (gone) return;
        setTopology(t);
        stop = connectStream(
          store,
          [''],
          setLink,
          {
            onAlarms: (c) => {
              countsFromStream.current = true;
              // Through the aggregator these are the site's counts: the gateway's come from its list.
              if (!gateway) setAlarmCounts(c);
              setChangeTick((n) => n + 1);
            },
            onEvent: () => setChangeTick((n) => n + 1),
          },
          gateway,
        );
      },
      (e) => (e instanceof LoginRequired ? setLogin(e) : setError(String(e))),
    );
    return () => {
      gone = true;
      stop?.();
    };
  }, []);
  useEffect(() => {
    if (link_ !== 'live') countsFromStream.current = false;
  }, [link_]);
  useEffect(() => {
    // The stream sends counts only when they change: the first ones, and the fallback when
    // the gateway's stream does not send them, come from /api/v1/alarms (also the list the
    // overview counts per UPS). Bursts of events are coalesced into one request.
    if (!topology) return;
    const timer = setTimeout(() => {
      getJson('/api/v1/alarms').then(
        (a) => {
          // Counts the stream pushed are newer than a poll that may have crossed them.
          if (gateway || !countsFromStream.current) setAlarmCounts({ count: a.count, unacknowledged: a.unacknowledged });
          setAlarms(a.alarms);
        },
        () => undefined,
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [topology, link_ === 'live', changeTick, pollTick]);
  // Through the aggregator: the batteries (and room sensors) of the page shown, read again and
  // again from the gateway, and the summaries as well when the stream is down.
  const detail = gateway && topology ? detailPrefixes(route, topology.inputs.map((i) => i.channel)) : [];
  const detailKey = detail.join(',');
  useEffect(() => {
    if (!gateway || !topology) return;
    const prefixes = link_ === 'live' ? detail : ['', ...detail];
    let stopped = false;
    const read = () =>
      prefixes.forEach((p) =>
        fetchLive(p, gateway).then(
          (live) => !stopped && store.apply(live.channels),
          () => undefined,
        ),
      );
    read();
    const timer = setInterval(read, DETAIL_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [topology, detailKey, link_ === 'live']);

  const logout = async () => {
    await fetch('/api/v1/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': session?.csrf_token ?? '' } });
    location.reload();
  };

  const now = serverNow();
  let page;
  if (login) page = gateway ? <TokenPage /> : <LoginPage setup={login.setup} />;
  else if (route[0] === 'login') page = <LoginPage setup={session?.setup_required === true} />;
  else if (!topology) page = <p>{error ?? 'Loading…'}</p>;
  else if (gateway && !['ups', 'string', 'battery', 'history', 'attention', undefined].includes(route[0]))
    page = <NotAtSiteLevel gateway={gateway} what={route[0]} />;
  else if (gateway && route[0] === 'string' && route[2] === 'report') page = <NotAtSiteLevel gateway={gateway} what="monthly report" />;
  else if (route[0] === 'alarms')
    page = (
      <AlarmsPage
        session={session}
        now={now}
        changeTick={changeTick}
        openStrings={topology.strings.filter((s) => store.get(`string/${s.id}/relay_closed`)?.value === 0).map((s) => s.id)}
      />
    );
  else if (route[0] === 'attention')
    page = <AttentionPage key={route[1] ?? 'all'} topology={topology} changeTick={changeTick} initialString={route[1] ? +route[1] : undefined} />;
  else if (route[0] === 'discharges') page = <DischargesPage changeTick={changeTick} />;
  else if (route[0] === 'discharge' && route[1] && route[2] === 'report')
    page = <DischargeReport id={decodeURIComponent(route[1])} topology={topology} session={session} />;
  else if (route[0] === 'discharge' && route[1]) page = <DischargePlayback id={decodeURIComponent(route[1])} topology={topology} />;
  else if (route[0] === 'history')
    page = <HistoryExplorer store={store} now={now} initial={route[1] ? decodeURIComponent(route[1]).split(',').filter(Boolean) : []} />;
  else if (route[0] === 'settings') page = <SettingsPage session={session} topology={topology} />;
  else if (route[0] === 'ups' && route[1]) page = <UpsPage topology={topology} store={store} ups={+route[1]} now={now} />;
  else if (route[0] === 'string' && route[1] && route[2] === 'report')
    // Without a month: the current one on the gateway's clock (the one its data is stamped in).
    page = <MonthlyReport topology={topology} string={+route[1]} month={route[3] ?? formatMonth(monthOf(now))} session={session} />;
  else if (route[0] === 'string' && route[1])
    page = <StringPage topology={topology} store={store} string={+route[1]} now={now} alarms={alarms} session={session} changeTick={changeTick} />;
  else if (route[0] === 'battery' && route[2])
    page = (
      <BatteryPage
        store={store}
        string={+route[1]}
        position={+route[2]}
        upsId={topology.strings.find((s) => s.id === +route[1])?.ups}
        cells={topology.strings.find((s) => s.id === +route[1])?.cells}
        now={now}
        alarms={alarms}
        session={session}
        changeTick={changeTick}
      />
    );
  else page = <Overview topology={topology} store={store} now={now} alarms={alarms} />;

  const badge = alarmCounts && alarmCounts.count > 0 && (
    <span class={`badge ${alarmCounts.unacknowledged > 0 ? 'badge-unacked' : ''}`} data-testid="alarm-badge" title={`${alarmCounts.count} active, ${alarmCounts.unacknowledged} unacknowledged`}>
      {alarmCounts.count}
    </span>
  );
  const nav = gateway ? (
    <>
      <a href="#/" data-testid="nav-site">Site</a>
      <a href="#/alarms" data-testid="nav-alarms">Site alarms</a>
      <a href={link('#/')} data-testid="nav-gateway">
        {gateway}
        {badge}
      </a>
      <a href={link('#/attention')} data-testid="nav-attention">Attention</a>
      <a href={link('#/history')}>History</a>
    </>
  ) : (
    <>
      <a href="#/alarms" data-testid="nav-alarms">
        Alarms
        {badge}
      </a>
      <a href="#/attention" data-testid="nav-attention">Attention</a>
      <a href="#/discharges">Discharges</a>
      <a href="#/history">History</a>
      <a href="#/settings">Settings</a>
    </>
  );
  return (
    <>
      <Header
        title={gateway ? `${props.siteName ?? 'Site'} › ${gateway}` : topology?.name}
        nav={nav}
        link={link_}
        session={session}
        site={gateway !== undefined}
        onLogout={logout}
        theme={props.theme}
        setTheme={props.setTheme}
      />
      {/* Keyed by theme: canvases (uPlot) take the theme's colours when created, so a theme change redraws them. */}
      <main key={props.theme}>
        {gateway && <GatewayStateBanner gateway={gateway} />}
        {page}
      </main>
    </>
  );
}

/** The aggregator's own pages: the site and its one alarm list. */
function SiteView(props: Shell & { route: string[] }) {
  setGatewayScope(undefined);
  const { route, session } = props;
  const [link_, setLink] = useState<LinkState>('connecting');
  const [changeTick, setChangeTick] = useState(0);
  const [counts, setCounts] = useState<{ count: number; unacknowledged: number } | undefined>();
  const [, setTick] = useState(0);
  const store = useMemo(() => new LiveStore(), []);
  useEffect(() => {
    // No values: the site page reads summaries; the stream says when alarms or gateway states change.
    const stop = connectStream(store, [], setLink, {
      onAlarms: (c) => {
        setCounts(c);
        setChangeTick((n) => n + 1);
      },
      onGateways: () => setChangeTick((n) => n + 1),
    });
    const timer = setInterval(() => setTick((t) => t + 1), 1000);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, []);
  const now = Date.now();
  let page;
  if (route[0] === 'token') page = <TokenPage />;
  else if (route[0] === 'alarms') page = <SiteAlarmsPage session={session} now={now} changeTick={changeTick} />;
  else if (route[0] === 'attention') page = <AttentionPage site changeTick={changeTick} />;
  else if (route[0] === undefined) page = <SitePage now={now} changeTick={changeTick} />;
  else page = <NotAtSiteLevel what={route[0]} />;
  const nav = (
    <>
      <a href="#/" data-testid="nav-site">Site</a>
      <a href="#/alarms" data-testid="nav-alarms">
        Site alarms
        {counts && counts.count > 0 && (
          <span class={`badge ${counts.unacknowledged > 0 ? 'badge-unacked' : ''}`} data-testid="alarm-badge" title={`${counts.count} active, ${counts.unacknowledged} unacknowledged`}>
            {counts.count}
          </span>
        )}
      </a>
      <a href="#/attention" data-testid="nav-attention">Attention</a>
    </>
  );
  return (
    <>
      <Header title={props.siteName} nav={nav} link={link_} session={session} site theme={props.theme} setTheme={props.setTheme} />
      <main key={props.theme}>{page}</main>
    </>
  );
}

/** Finds out whether a gateway or the site aggregator serves this UI, then shows its pages. */
function App() {
  const [theme, setTheme] = useState(localStorage.getItem('btms-theme') ?? 'dark');
  const [session, setSession] = useState<Session | undefined>();
  const [mode, setMode] = useState<'gateway' | 'site' | undefined>();
  const [siteName, setSiteName] = useState<string | undefined>();
  const route = useHashRoute();
  useEffect(() => {
    fetchSession().then(setSession, () => setSession({ authenticated: false }));
    // The aggregator says so in its health answer (no login needed); a gateway's has no role.
    fetch('/api/v1/health')
      .then((r) => r.json())
      .then(
        (h) => {
          if (h?.role === 'aggregator') setSiteName(typeof h.site === 'string' ? h.site : 'Site');
          setMode(h?.role === 'aggregator' ? 'site' : 'gateway');
        },
        () => setMode('gateway'),
      );
  }, []);
  // Set while rendering, not in an effect: the pages' effects (which create the canvases and
  // read the theme's colours) run before this component's effects would.
  document.documentElement.dataset.theme = theme;
  useEffect(() => localStorage.setItem('btms-theme', theme), [theme]);
  const shell = { session, siteName, theme, setTheme };
  if (mode === undefined) return <p>Loading…</p>;
  if (mode === 'gateway') return <GatewayView {...shell} route={route} />;
  const scoped = parseSiteRoute(route);
  // Keyed by gateway: another gateway's pages start with their own store and stream.
  if (scoped.gateway) return <GatewayView key={scoped.gateway} {...shell} gateway={scoped.gateway} route={scoped.rest} />;
  return <SiteView {...shell} route={scoped.rest} />;
}

render(<App />, document.getElementById('app')!);
