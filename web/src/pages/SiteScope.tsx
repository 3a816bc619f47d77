// What a gateway's pages add when the site aggregator shows them: the way back to the site, the
// gateway's link state (offline data is never shown as current), and a note where a part is kept
// at the gateway and not forwarded.
import { useEffect, useState } from 'preact/hooks';
import { getJsonAt } from '../lib/api';
import { gatewayScope, link } from '../lib/scope';
import { SiteAnswer, dataAgeText, shownState, stateLabel } from '../lib/site';

const STATE_POLL_MS = 3_000;

/** The start of a page's breadcrumbs: "Site" on a gateway, "Site › gw2" through the aggregator. */
export function SiteCrumb() {
  const gateway = gatewayScope();
  if (!gateway) return <a href="#/">Site</a>;
  return (
    <>
      <a href="#/">Site</a> › <a href={link('#/')}>{gateway}</a>
    </>
  );
}

/** A banner while the gateway shown is offline or not reached yet: its values are its last ones. */
export function GatewayStateBanner(props: { gateway: string }) {
  const [answer, setAnswer] = useState<{ site: SiteAnswer; at: number } | undefined>();
  const [, setTick] = useState(0);
  useEffect(() => {
    const read = () =>
      getJsonAt('/api/v1/site').then(
        (site: SiteAnswer) => setAnswer({ site, at: Date.now() }),
        () => setTick((t) => t + 1),
      );
    read();
    const timer = setInterval(read, STATE_POLL_MS);
    return () => clearInterval(timer);
  }, [props.gateway]);
  if (!answer) return null;
  const g = answer.site.gateways.find((x) => x.name === props.gateway);
  if (!g) return <p class="banner" data-testid="gateway-banner">The site has no gateway {props.gateway}.</p>;
  const state = shownState(g, answer.at, Date.now());
  if (state !== 'offline' && state !== 'connecting') return null;
  return (
    <div class="banner banner-offline" data-testid="gateway-banner">
      <h2>
        Gateway {g.name}: {stateLabel(state)}
      </h2>
      {dataAgeText(g, answer.at, Date.now())}. The values below are the last ones received (grey, with their age), not the present state.
    </div>
  );
}

/** Where a page or part is kept at the gateway and the aggregator does not forward it. */
export function NotAtSiteLevel(props: { gateway?: string; what: string }) {
  return (
    <p class="muted site-note" data-testid="not-at-site-level">
      {props.gateway
        ? `The ${props.what} page is not available through the site aggregator: it is kept at gateway ${props.gateway}, open that gateway's own web UI.`
        : `The ${props.what} page belongs to a gateway: open the gateway from the site page.`}{' '}
      <a href={props.gateway ? link('#/') : '#/'}>Back</a>
    </p>
  );
}
