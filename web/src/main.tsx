import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { connectStream, fetchSession, fetchTopology, getJson, LinkState, LoginRequired, Session, Topology } from './lib/api';
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

/** Counts for the header badge when the stream has said nothing yet (or cannot). */
const ALARM_POLL_MS = 30_000;

const store = new LiveStore();

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
function useLiveTick(): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const off = store.subscribe(() => setTick((t) => t + 1));
    const timer = setInterval(() => setTick((t) => t + 1), 1000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, []);
  return tick;
}

function App() {
  const [topology, setTopology] = useState<Topology | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [login, setLogin] = useState<LoginRequired | undefined>();
  const [link, setLink] = useState<LinkState>('connecting');
  const [theme, setTheme] = useState(localStorage.getItem('btms-theme') ?? 'dark');
  const [session, setSession] = useState<Session | undefined>();
  const [alarmCounts, setAlarmCounts] = useState<{ count: number; unacknowledged: number } | undefined>();
  // Bumped on every engine event or alarm-count change: pages showing alarms refetch.
  const [changeTick, setChangeTick] = useState(0);
  const [alarms, setAlarms] = useState<ActiveAlarm[] | undefined>();
  // Whether the current stream connection has sent alarm counts (then polls do not set them).
  const countsFromStream = useRef(false);
  const route = useHashRoute();
  const [pollTick, setPollTick] = useState(0);
  useLiveTick();
  useEffect(() => {
    const timer = setInterval(() => setPollTick((n) => n + 1), ALARM_POLL_MS);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    let stop: (() => void) | undefined;
    fetchSession().then(setSession, () => setSession({ authenticated: false }));
    fetchTopology().then(
      (t) => {
        setTopology(t);
        stop = connectStream(store, [''], setLink, {
          onAlarms: (c) => {
            countsFromStream.current = true;
            setAlarmCounts(c);
            setChangeTick((n) => n + 1);
          },
          onEvent: () => setChangeTick((n) => n + 1),
        });
      },
      (e) => (e instanceof LoginRequired ? setLogin(e) : setError(String(e))),
    );
    return () => stop?.();
  }, []);
  useEffect(() => {
    if (link !== 'live') countsFromStream.current = false;
  }, [link]);
  useEffect(() => {
    // The stream sends counts only when they change: the first ones, and the fallback when
    // the gateway's stream does not send them, come from /api/v1/alarms (also the list the
    // overview counts per UPS). Bursts of events are coalesced into one request.
    if (!topology) return;
    const timer = setTimeout(() => {
      getJson('/api/v1/alarms').then(
        (a) => {
          // Counts the stream pushed are newer than a poll that may have crossed them.
          if (!countsFromStream.current) setAlarmCounts({ count: a.count, unacknowledged: a.unacknowledged });
          setAlarms(a.alarms);
        },
        () => undefined,
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [topology, link === 'live', changeTick, pollTick]);
  const logout = async () => {
    await fetch('/api/v1/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': session?.csrf_token ?? '' } });
    location.reload();
  };
  // Set while rendering, not in an effect: the pages' effects (which create the canvases and
  // read the theme's colours) run before this component's effects would.
  document.documentElement.dataset.theme = theme;
  useEffect(() => localStorage.setItem('btms-theme', theme), [theme]);

  const now = serverNow();
  let page;
  if (login) page = <LoginPage setup={login.setup} />;
  else if (route[0] === 'login') page = <LoginPage setup={session?.setup_required === true} />;
  else if (!topology) page = <p>{error ?? 'Loading…'}</p>;
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

  return (
    <>
      <header>
        <a href="#/" class="brand">BTMS</a>
        <span class="site">{topology?.name}</span>
        <nav class="main-nav">
          <a href="#/alarms" data-testid="nav-alarms">
            Alarms
            {alarmCounts && alarmCounts.count > 0 && (
              <span class={`badge ${alarmCounts.unacknowledged > 0 ? 'badge-unacked' : ''}`} data-testid="alarm-badge" title={`${alarmCounts.count} active, ${alarmCounts.unacknowledged} unacknowledged`}>
                {alarmCounts.count}
              </span>
            )}
          </a>
          <a href="#/attention" data-testid="nav-attention">Attention</a>
          <a href="#/discharges">Discharges</a>
          <a href="#/history">History</a>
          <a href="#/settings">Settings</a>
        </nav>
        <span class={`link link-${link}`} data-testid="link-state">
          {link === 'live' ? '● live' : link === 'connecting' ? '○ connecting' : '○ connection lost, retrying'}
        </span>
        {session?.authenticated ? (
          <span class="user" data-testid="session-user">
            {session.user} ({session.role}) <button onClick={logout}>Log out</button>
          </span>
        ) : (
          <a href="#/login" data-testid="login-link">Log in</a>
        )}
        <button onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
          {theme === 'dark' ? 'Light' : 'Dark'} theme
        </button>
      </header>
      {/* Keyed by theme: canvases (uPlot) take the theme's colours when created, so a theme change redraws them. */}
      <main key={theme}>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
