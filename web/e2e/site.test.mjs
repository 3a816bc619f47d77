// Browser tests of the site pages served by the aggregator, against `btms demo --gateways 3`
// (three virtual plants and gateways and an aggregator in one process, free ports, this tree's
// UI): the site page's gateway tiles, totals and per-string lowest/highest battery; gateway 2's
// string 1 page reached through the aggregator, its battery values against the aggregator's
// /api/v1/live answer; the site alarm list (the demo's aggregator has no token store, so the
// acknowledgement is checked against stubbed answers). Screenshots go to e2e/artifacts/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, pollUntil, shot, skipReason, startSiteDemo, stopDemo } from './demo.mjs';

const GATEWAYS = 3;

/** Resolves the JSON of the next answer to a GET of the aggregator's /api/v1/live for `prefix`. */
function nextLiveAnswer(page, prefix) {
  const wanted = `/api/v1/live?prefix=${encodeURIComponent(prefix)}`;
  return page
    .waitForResponse((r) => r.url().endsWith(wanted) && r.status() === 200, { timeout: 15_000 })
    .then((r) => r.json());
}

describe('site pages through the aggregator (btms demo --gateways 3)', { skip: skipReason, timeout: 150_000 }, () => {
  let demo;
  let browser;
  let page;
  let base;

  before(async () => {
    demo = startSiteDemo({ gateways: GATEWAYS });
    try {
      ({ url: base } = await demo.started);
      // Every gateway online with data before the pages are judged.
      const online = await pollUntil(async () => {
        const site = await (await fetch(`${base}api/v1/site`)).json();
        return site.totals.online === GATEWAYS && site.gateways.every((g) => g.worst_state !== 'connecting');
      }, 20_000);
      assert.ok(online, `not all ${GATEWAYS} gateways came online:\n${demo.output()}`);
      browser = await launchBrowser();
      page = await newPage(browser);
    } catch (error) {
      await browser?.close();
      await stopDemo(demo.child);
      throw error;
    }
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      await stopDemo(demo?.child);
      // The demo must be gone, not left running behind the test.
      assert.ok(demo.child.exitCode !== null || demo.child.signalCode !== null, 'btms demo still running');
    }
  });

  test('the site page: one tile per gateway with its state, data age and counts, and the totals', async () => {
    await page.goto(`${base}#/`);
    await page.waitForFunction((n) => document.querySelectorAll('.gateway-tile[data-state="normal"]').length === n, GATEWAYS);
    const site = await (await fetch(`${base}api/v1/site`)).json();
    assert.equal(await page.locator('.gateway-tile').count(), GATEWAYS);
    for (const g of site.gateways) {
      const tile = page.locator(`[data-testid="gateway-${g.name}"]`);
      assert.equal(await tile.getAttribute('data-tone'), 'ok', `${g.name} is normal: green`);
      assert.equal((await tile.locator(`[data-testid="gateway-state-${g.name}"]`).innerText()).trim(), 'normal');
      assert.match(await tile.locator(`[data-testid="gateway-age-${g.name}"]`).innerText(), /^data \d+\.\d s old$/);
      assert.equal((await tile.locator(`[data-testid="gateway-counts-${g.name}"]`).innerText()).trim(), `${g.ups_count} · ${g.string_count} · ${g.battery_count}`);
    }
    const totals = await page.locator('[data-testid="site-totals"]').innerText();
    const t = site.totals;
    assert.ok(totals.startsWith(`${t.gateways} gateways (${t.online} online)`), totals);
    assert.ok(totals.includes(`${t.ups_count} UPS · ${t.string_count} strings · ${t.battery_count} batteries`), totals);

    // Per string the lowest and highest battery, as gateway 2 works them out and the aggregator
    // holds them (no battery values fetched by the page): checked here against gateway 2's own
    // battery voltages, read right after, within what float noise moves in that time.
    const rowsOf = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('[data-testid^="extremes-gw2-"]')].map((tr) => ({
          id: tr.getAttribute('data-testid').split('-').pop(),
          cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
        })),
      );
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid^="extremes-gw2-"]').length === n, site.gateways.find((g) => g.name === 'gw2').string_count);
    const shown = await rowsOf();
    const live = await (await fetch(`${base}api/v1/live?prefix=${encodeURIComponent('gw2/battery/')}`)).json();
    const TOLERANCE_V = 0.02;
    for (const row of shown) {
      const volts = new Map();
      for (const [name, v] of Object.entries(live.channels)) {
        const m = /^gw2\/battery\/(\d+)\/(\d+)\/voltage$/.exec(name);
        if (m && m[1] === row.id && v.quality === 'ok') volts.set(Number(m[2]), v.value);
      }
      assert.ok(volts.size > 0, `string ${row.id} of gw2 has battery voltages`);
      const lo = Math.min(...volts.values());
      const hi = Math.max(...volts.values());
      const [lowText, highText] = row.cells;
      const low = /^(\d+\.\d\d) V \(#(\d+)\)$/.exec(lowText);
      const high = /^(\d+\.\d\d) V \(#(\d+)\)$/.exec(highText);
      assert.ok(low && high, `string ${row.id}: ${lowText} / ${highText}`);
      assert.ok(Math.abs(Number(low[1]) - lo) <= TOLERANCE_V, `string ${row.id} lowest ${low[1]} V, gateway's batteries ${lo} V`);
      assert.ok(volts.get(Number(low[2])) - lo <= TOLERANCE_V, `string ${row.id}: battery #${low[2]} is (one of) the lowest`);
      assert.ok(Math.abs(Number(high[1]) - hi) <= TOLERANCE_V, `string ${row.id} highest ${high[1]} V, gateway's batteries ${hi} V`);
      assert.ok(hi - volts.get(Number(high[2])) <= TOLERANCE_V, `string ${row.id}: battery #${high[2]} is (one of) the highest`);
    }
    await shot(page, 'site');
  });

  test("gateway 2's string 1 through the aggregator shows the aggregator's live battery values", async () => {
    await page.goto(`${base}#/`);
    await page.click('[data-testid="gateway-link-gw2"]');
    await page.waitForFunction(() => location.hash === '#/gw/gw2/');
    await page.click('[data-testid="ups-1"]');
    await page.waitForFunction(() => location.hash === '#/gw/gw2/ups/1');
    const answer = nextLiveAnswer(page, 'gw2/battery/1/');
    await page.click('[data-testid="string-1"]');
    await page.waitForFunction(() => location.hash === '#/gw/gw2/string/1');
    const live = await answer;
    const topology = await (await fetch(`${base}api/v1/gateways/gw2/topology`)).json();
    const batteries = topology.strings.find((s) => s.id === 1).batteries;
    // The voltage chart's bars say "Battery N: 13.612 V (ok)": the digits the page shows, which
    // must be the aggregator's answer rounded to them, for every battery.
    const expected = Array.from({ length: batteries }, (_, k) => {
      const v = live.channels[`gw2/battery/1/${k + 1}/voltage`];
      assert.ok(v, `the aggregator answers battery 1/${k + 1}'s voltage`);
      return `Battery ${k + 1}: ${v.value.toFixed(3)} V (${v.quality})`;
    });
    await page
      .waitForFunction(
        (want) => {
          const titles = [...document.querySelectorAll('figure.barchart:first-of-type svg rect title')].map((t) => t.textContent.trim());
          return titles.length === want.length && titles.every((t, i) => t.startsWith(want[i]));
        },
        expected,
        { timeout: 1_900 }, // before the page asks again (every 2 s) and the values move on
      )
      .catch(async () => {
        const shown = await page.locator('figure.barchart:first-of-type svg rect title').allTextContents();
        assert.deepEqual(shown.map((t) => t.split(' · ')[0].trim()), expected, 'bars against the aggregator answer');
      });
    // The string's summary comes from the aggregator's stream: the string voltage is shown.
    assert.match(await page.locator('p.summary').innerText(), /voltage \d+\.\d\d V/);
    // Links stay under the gateway; the maintenance record is read from the gateway, and where
    // entries are made is said.
    assert.equal(await page.locator('figure.barchart:first-of-type svg a').first().getAttribute('href'), '#/gw/gw2/battery/1/1');
    assert.match(await page.locator('[data-testid="maintenance-at-gateway"]').innerText(), /Read from gateway gw2/);
    await page.waitForSelector('[data-testid="maintenance-empty"], [data-testid="maintenance-list"]');
    assert.match(await page.locator('nav.crumbs').innerText(), /Site › gw2 › UPS 1 › String 1/);
    await shot(page, 'site-gw2-string-1');
  });

  test('an offline gateway is grey and apart with the age of its last data; the worst state comes first (stubbed site answer)', async () => {
    const real = await (await fetch(`${base}api/v1/site`)).json();
    const stubbed = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await stubbed.route('**/api/v1/site', (r) =>
        r.fulfill({
          json: {
            ...real,
            gateways: real.gateways.map((g) =>
              g.name === 'gw3'
                ? { ...g, state: 'offline', fresh: false, worst_state: 'offline', data_age_ms: 95_000 }
                : g.name === 'gw2'
                  ? { ...g, worst_state: 'alarm', alarm_count: 1, unacknowledged: 1 }
                  : g,
            ),
          },
        }),
      );
      await stubbed.goto(`${base}#/`);
      const gw3 = stubbed.locator('[data-testid="gateways-apart"] [data-testid="gateway-gw3"]');
      await gw3.waitFor();
      assert.equal(await gw3.getAttribute('data-tone'), 'muted');
      assert.equal((await gw3.locator('[data-testid="gateway-state-gw3"]').innerText()).trim(), 'OFFLINE');
      assert.match(await gw3.locator('[data-testid="gateway-age-gw3"]').innerText(), /^offline — last data 2 min ago$/);
      const first = stubbed.locator('.site-tiles').first().locator('.gateway-tile').first();
      assert.equal(await first.getAttribute('data-testid'), 'gateway-gw2', 'the gateway in alarm comes first');
      assert.equal(await first.getAttribute('data-tone'), 'err');
      assert.equal((await stubbed.locator('[data-testid="site-state"]').innerText()).trim(), 'ALARM');
      await shot(stubbed, 'site-offline-stubbed');
    } finally {
      await stubbed.close();
    }
  });

  test('one alarm list for the site, each alarm with its gateway', async () => {
    await page.goto(`${base}#/alarms`);
    const site = await (await fetch(`${base}api/v1/alarms`)).json();
    if (site.count === 0) {
      await page.locator('[data-testid="no-alarms"]').waitFor();
    } else {
      await page.locator('[data-testid="site-alarms"]').waitFor();
      const gateways = await page.locator('[data-testid="alarm-gateway"]').allInnerTexts();
      assert.deepEqual(gateways.slice(0, site.alarms.length), site.alarms.map((a) => a.gateway));
    }
    // The demo reads anonymously from loopback: a viewer, told why it cannot acknowledge.
    assert.match(await page.locator('main').innerText(), /operator or higher needed/);
    await shot(page, 'site-alarms');
  });

  test('batteries needing attention across the site: every gateway judged, rows under their gateway', async () => {
    await page.goto(`${base}#/`);
    await page.click('[data-testid="site-attention-link"]');
    await page.waitForFunction(() => location.hash === '#/attention');
    await page.locator('[data-testid="attention-counts"]').waitFor();
    assert.match(await page.locator('h1').innerText(), /across the site/);
    const site = await (await fetch(`${base}api/v1/site`)).json();
    // Every battery of every gateway is judged by its gateway: the counts add up to the site's.
    let judged = 0;
    for (const chip of await page.locator('[data-testid^="count-"]').allInnerTexts()) judged += Number(/: (\d+)$/.exec(chip.trim())[1]);
    assert.equal(judged, site.totals.battery_count);
    assert.equal(await page.locator('[data-testid="attention-unanswered"]').count(), 0, 'every gateway answered');
    assert.deepEqual(await page.locator('[data-testid="attention-gateway"] option').allInnerTexts(), ['all', ...site.gateways.map((g) => g.name)]);
    const rows = page.locator('[data-testid="attention-row"]');
    if ((await rows.count()) > 0) {
      const battery = await rows.first().getAttribute('data-battery');
      const [gw, , s, p] = battery.split('/');
      assert.equal(await rows.first().locator('a').first().getAttribute('href'), `#/gw/${gw}/battery/${s}/${p}`);
    } else {
      await page.locator('[data-testid="attention-none"]').waitFor();
    }
    // One gateway's own attention page through the aggregator.
    await page.goto(`${base}#/gw/gw2/attention`);
    await page.locator('[data-testid="attention-counts"]').waitFor();
    assert.doesNotMatch(await page.locator('h1').innerText(), /across the site/);
    await shot(page, 'site-attention');
  });

  test('an acknowledgement and a reset on the site list go to the aggregator for the owning gateway (stubbed answers)', async () => {
    const key = 'gw2/battery/1/7:battery_temperature_alarm';
    const posted = [];
    const resets = [];
    const stubbed = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await stubbed.route('**/api/v1/session', (r) =>
        r.fulfill({ json: { authenticated: true, user: 'token:ops', role: 'operator', aggregator: true } }),
      );
      await stubbed.route('**/api/v1/alarms', (r) =>
        r.fulfill({
          json: {
            time_ms: Date.now(),
            count: 3,
            unacknowledged: 2,
            alarms: [
              { key, source: 'gw2/battery/1/7', gateway: 'gw2', rule: 'battery_temperature_alarm', severity: 'alarm', text: 'Battery 1/7 temperature 45.2 °C above alarm limit 45 °C', since_ms: Date.now() - 60_000, value: 47.1, raised_value: 45.2, unit: '°C', limit: 45, acknowledged: false, acknowledged_by: '', acknowledged_ms: 0, waiting_for_ack: false, stale: false },
              { key: 'gw2/string/1:string_trip', source: 'gw2/string/1', gateway: 'gw2', rule: 'string_trip', severity: 'trip', text: 'String 1 tripped', since_ms: Date.now() - 30_000, value: null, acknowledged: true, acknowledged_by: 'token:agg', acknowledged_ms: Date.now() - 5_000, waiting_for_ack: false, stale: false },
              { key: 'gw3:gateway_offline', source: 'gw3', gateway: 'gw3', rule: 'gateway_offline', severity: 'alarm', text: 'Gateway gw3 offline: no data for 12.0 s (silent)', since_ms: Date.now() - 12_000, acknowledged: false, stale: false, site: true },
            ],
          },
        }),
      );
      await stubbed.route('**/api/v1/alarms/acknowledge', (r) => {
        posted.push(JSON.parse(r.request().postData() ?? '{}'));
        return r.fulfill({ json: { ok: true, message: '1 alarm acknowledged', durable: true } });
      });
      await stubbed.route('**/api/v1/gateways/gw2/strings/1/reset', (r) => {
        resets.push(JSON.parse(r.request().postData() ?? '{}'));
        return r.fulfill({ json: { ok: true, message: 'string 1 reset and reconnected', durable: true } });
      });
      await stubbed.goto(`${base}#/alarms`);
      const row = stubbed.locator(`[data-testid="site-alarm-${key}"]`);
      await row.waitFor();
      assert.equal((await row.locator('[data-testid="alarm-gateway"]').innerText()).trim(), 'gw2');
      assert.equal(await row.locator('a[href="#/gw/gw2/battery/1/7"]').count(), 1, 'the source opens the battery through the aggregator');
      // The site's own alarm for an offline gateway cannot be acknowledged: it clears by itself.
      assert.match(await stubbed.locator('[data-testid="site-alarm-gw3:gateway_offline"]').innerText(), /clears when the gateway is back/);
      await row.locator('[data-testid="ack"]').click();
      await row.locator('[data-testid="ack-text"]').fill('e2e checked');
      await row.locator('[data-testid="ack-confirm"]').click();
      await row.locator('text=1 alarm acknowledged').waitFor();
      assert.deepEqual(posted, [{ key, comment: 'e2e checked' }]);
      // The tripped string is offered for a reset, sent to its gateway through the aggregator.
      await stubbed.click('[data-testid="reset-gw2-1"]');
      await stubbed.fill('[data-testid="reset-gw2-1-text"]', 'e2e cell replaced');
      await stubbed.click('[data-testid="reset-gw2-1-confirm"]');
      await stubbed.locator('text=string 1 reset and reconnected').waitFor();
      assert.deepEqual(resets, [{ reason: 'e2e cell replaced' }]);
    } finally {
      await stubbed.close();
    }
  });
});
