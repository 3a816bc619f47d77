import { useState } from 'preact/hooks';
import { apiPath } from '../lib/scope';
import { LiveStore } from '../lib/live';
import { historyCsvUrl } from '../lib/history';
import { pointsForWidth } from '../lib/ranges';
import { unitGroups } from '../lib/axes';
import { HistoryPlot, useHistory } from './Plot';
import { RangePicker, useRangeState } from './RangePicker';
import { matchChannels } from '../lib/channel_search';

const MAX_CHANNELS = 32; // the API's limit per request

/** Pick channels, compare them on one chart (an axis per unit), export what is shown. */
export function HistoryExplorer(props: { store: LiveStore; initial: string[]; now: number }) {
  const [selected, setSelected] = useState<string[]>(props.initial);
  const [search, setSearch] = useState('');
  const [range, preset, setRange] = useRangeState('1h');
  const [band, setBand] = useState(true);
  const points = pointsForWidth(Math.min(1200, innerWidth));
  const loaded = useHistory(selected, range, points);
  const matches = matchChannels(props.store.names(), search);
  const toggle = (name: string) =>
    setSelected(selected.includes(name) ? selected.filter((x) => x !== name) : selected.length < MAX_CHANNELS ? [...selected, name] : selected);
  const groups = unitGroups(selected.map((c) => props.store.unitOf(c)));
  return (
    <section>
      <h1>History explorer</h1>
      <div class="explorer">
        <div class="picker">
          <label>
            Channels{' '}
            <input
              placeholder="e.g. string/1 voltage"
              value={search}
              data-testid="channel-search"
              onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
            />
          </label>
          <small class="muted"> {props.store.names().length} live channels; type words to find them</small>
          <ul class="channel-list" data-testid="channel-matches">
            {matches.map((n) => (
              <li>
                <label>
                  <input type="checkbox" checked={selected.includes(n)} onChange={() => toggle(n)} /> {n} <small class="muted">{props.store.unitOf(n)}</small>
                </label>
              </li>
            ))}
          </ul>
          {selected.length > 0 && (
            <p data-testid="selected-channels">
              Shown:{' '}
              {selected.map((n) => (
                <button class="chip" onClick={() => toggle(n)} title="remove">
                  {n} ×
                </button>
              ))}
            </p>
          )}
          {selected.length >= MAX_CHANNELS && <p class="muted">At most {MAX_CHANNELS} channels at once.</p>}
        </div>
      </div>
      <RangePicker range={range} now={props.now} preset={preset} onChange={setRange} />
      <label>
        <input type="checkbox" checked={band} onChange={() => setBand(!band)} /> min/max band
      </label>{' '}
      {groups.length > 0 && <small class="muted">axes: {groups.map((g) => g.unit || '(no unit)').join(', ')}</small>}
      {selected.length === 0 ? (
        <p class="muted">Pick one or more channels.</p>
      ) : (
        <>
          <HistoryPlot
            loaded={loaded}
            band={band}
            testid="explorer-plot"
            height={360}
            onZoom={(r) => setRange(r)}
          />
          <a href={apiPath(historyCsvUrl(selected, range, points))} download data-testid="explorer-csv">
            Export CSV
          </a>
        </>
      )}
    </section>
  );
}
