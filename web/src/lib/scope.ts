// Which gateway the pages are showing when the UI is served by the site aggregator, and the
// aggregator's API token when the browser uses one. Set by the app while it renders a gateway's
// pages, read by the API helpers and the pages' links, so the gateway's own pages work one level
// up without knowing it (lib/site_route.ts has the rules).
import { scopedApiPath, scopedHref } from './site_route';

let gateway: string | undefined;

export function setGatewayScope(name: string | undefined): void {
  gateway = name;
}

/** The gateway whose pages are shown through the aggregator; undefined on a gateway's own UI. */
export function gatewayScope(): string | undefined {
  return gateway;
}

/** A page's link ("#/string/3") as it must be written for the gateway shown. */
export function link(href: string): string {
  return scopedHref(gateway, href);
}

/** The path to ask for an API path of the gateway shown; undefined when it is not forwarded. */
export function apiPath(path: string, method = 'GET'): string | undefined {
  return scopedApiPath(gateway, path, method);
}

// The aggregator has no password logins: machine clients and people use its API tokens (`btms
// token add NAME --role operator --data-dir AGGREGATOR_DATA_DIR`). The browser keeps one for this
// tab only (sessionStorage: gone when the tab closes) and sends it as a Bearer header.
const TOKEN_KEY = 'btms-aggregator-token';

export function aggregatorToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function setAggregatorToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The Authorization header when a token is kept. */
export function authHeaders(): Record<string, string> {
  const token = aggregatorToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}
