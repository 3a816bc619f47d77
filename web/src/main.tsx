import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { connectStream, fetchTopology, LinkState, LoginRequired, Topology } from './lib/api';
import { LoginPage } from './pages/LoginPage';
import { LiveStore } from './lib/live';
import { Overview } from './pages/Overview';
import { UpsPage } from './pages/UpsPage';
import { StringPage } from './pages/StringPage';
import { BatteryPage } from './pages/BatteryPage';
import './style.css';

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
  const route = useHashRoute();
  useLiveTick();

  useEffect(() => {
    let stop: (() => void) | undefined;
    fetchTopology().then(
      (t) => {
        setTopology(t);
        stop = connectStream(store, [''], setLink);
      },
      (e) => (e instanceof LoginRequired ? setLogin(e) : setError(String(e))),
    );
    return () => stop?.();
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('btms-theme', theme);
  }, [theme]);

  const now = Date.now();
  let page;
  if (login) page = <LoginPage setup={login.setup} />;
  else if (!topology) page = <p>{error ?? 'Loading…'}</p>;
  else if (route[0] === 'ups' && route[1]) page = <UpsPage topology={topology} store={store} ups={+route[1]} now={now} />;
  else if (route[0] === 'string' && route[1]) page = <StringPage topology={topology} store={store} string={+route[1]} now={now} />;
  else if (route[0] === 'battery' && route[2])
    page = (
      <BatteryPage
        store={store}
        string={+route[1]}
        position={+route[2]}
        upsId={topology.strings.find((s) => s.id === +route[1])?.ups}
        now={now}
      />
    );
  else page = <Overview topology={topology} store={store} now={now} />;

  return (
    <>
      <header>
        <a href="#/" class="brand">BTMS</a>
        <span class="site">{topology?.name}</span>
        <span class={`link link-${link}`} data-testid="link-state">
          {link === 'live' ? '● live' : link === 'connecting' ? '○ connecting' : '○ connection lost, retrying'}
        </span>
        <button onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
          {theme === 'dark' ? 'Light' : 'Dark'} theme
        </button>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
