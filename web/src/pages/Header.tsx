import { ComponentChildren } from 'preact';
import { LinkState, Session } from '../lib/api';
import { aggregatorToken, setAggregatorToken } from '../lib/scope';

/**
 * The bar above every page: name, navigation, the stream's state (never hidden), who is logged
 * in, the theme. At the site aggregator there are no password logins: the user is a token's or
 * the loopback demo's anonymous viewer, and a token can be given for this tab.
 */
export function Header(props: {
  title?: string;
  nav: ComponentChildren;
  link: LinkState;
  session?: Session;
  /** Served by the site aggregator. */
  site: boolean;
  onLogout?: () => void;
  theme: string;
  setTheme: (t: string) => void;
}) {
  const { session, link } = props;
  const forgetToken = () => {
    setAggregatorToken(undefined);
    location.reload();
  };
  let user;
  if (props.site)
    user = (
      <span class="user" data-testid="session-user">
        {session?.authenticated ? `${session.user} (${session.role})` : 'not signed in'}{' '}
        {aggregatorToken() ? <button onClick={forgetToken}>Forget token</button> : <a href="#/token" data-testid="token-link">Use a token</a>}
      </span>
    );
  else
    user = session?.authenticated ? (
      <span class="user" data-testid="session-user">
        {session.user} ({session.role}) <button onClick={props.onLogout}>Log out</button>
      </span>
    ) : (
      <a href="#/login" data-testid="login-link">Log in</a>
    );
  return (
    <header>
      <a href="#/" class="brand">BTMS</a>
      <span class="site">{props.title}</span>
      <nav class="main-nav">{props.nav}</nav>
      <span class={`link link-${link}`} data-testid="link-state">
        {link === 'live' ? '● live' : link === 'connecting' ? '○ connecting' : '○ connection lost, retrying'}
      </span>
      {user}
      <button onClick={() => props.setTheme(props.theme === 'dark' ? 'light' : 'dark')}>
        {props.theme === 'dark' ? 'Light' : 'Dark'} theme
      </button>
    </header>
  );
}
