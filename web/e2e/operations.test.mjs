// Browser tests of the operator's pages against `btms demo` with scenarios: a 120-battery
// string (render time), an alarm raised by the thermal-runaway scenario and acknowledged, the
// history explorer and battery history (draw time of a year), settings, and a discharge of the
// mains-outage scenario played back. Pages whose API the gateway build lacks (404) are
// skipped with a message, never passed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, addAdmin, closeDemoInBrowser, dataDir, unavailable, logIn, newPage, openDemoInBrowser, round1, shot, siteWithLongString, skipReason } from './demo.mjs';

const LONG_STRING = 120;
const figures = {};

/** Collects the page's 'string-page-render' measures (the page clears them, an observer does not miss them). */
async function watchRenders(page) {
  await page.addInitScript(() => {
    window.__renders = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.name === 'string-page-render') window.__renders.push(e.duration);
    }).observe({ type: 'measure', buffered: true });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

// The whole suite: its first test alone took 33-64 s on a loaded 2-core machine (120 s was cut).
describe('120-battery string, alarms, history and settings (thermal-runaway scenario)', { skip: skipReason, timeout: 300_000 }, () => {
  let session;
  let browser;
  let page;
  let base;

  before(async () => {
    const dir = dataDir();
    addAdmin(dir);
    // Battery 2/7 runs away 120 simulated seconds in; at x600 its temperature alarms come
    // about 10 s after the start and the protection opens string 2 about 30 s after it.
    session = await openDemoInBrowser({ dir, config: siteWithLongString(dir, LONG_STRING), scenario: 'scenarios/thermal-runaway.toml', speed: 600 });
    ({ base, browser, page } = session);
    await watchRenders(page);
  });

  after(async () => {
    await closeDemoInBrowser(session);
    if (Object.keys(figures).length) console.log('figures:', JSON.stringify(figures));
  });

  test('a 120-battery string page renders all its bars from live data (speed: bench/web/ui_render.sh)', async () => {
    await logIn(page, base);
    await page.waitForFunction(() => document.querySelector('[data-testid="link-state"]')?.textContent?.includes('live'));
    await page.goto(`${base}#/string/1`);
    await page.waitForFunction((n) => document.querySelectorAll('figure.barchart svg rect').length === n, 3 * LONG_STRING);
    await page.waitForFunction(() => document.querySelectorAll('figure.barchart:first-of-type svg rect.bar-stale').length === 0);
    // Renders driven by live updates (the data is in the store; each is a full render of 360 bars).
    await page.evaluate(() => (window.__renders.length = 0));
    await page.waitForTimeout(5_000);
    const renders = await page.evaluate(() => window.__renders);
    assert.ok(renders.length >= 3, `only ${renders.length} renders in 5 s: live updates missing`);
    figures.string120_live_render_median_ms = round1(median(renders));
    figures.string120_live_render_max_ms = round1(Math.max(...renders));
    // Navigation into the page with data already in the store (what a click does).
    // Navigation into the page with the data already in the store (what a click does): the
    // render itself, and from the hash change to the frame after the first paint.
    const nav = await page.evaluate(async () => {
      location.hash = '#/';
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      location.hash = '#/string/1';
      await new Promise((r) => {
        const check = () => (document.querySelectorAll('figure.barchart svg rect').length === 360 ? r() : requestAnimationFrame(check));
        check();
      });
      // The page keeps only its latest measure: the render that put the bars there.
      const render = performance.getEntriesByName('string-page-render')[0]?.duration;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return { render, toPaint: performance.now() - t0 };
    });
    figures.string120_navigation_render_ms = round1(nav.render);
    figures.string120_navigation_to_painted_ms = round1(nav.toPaint);
    await shot(page, 'string-120');

    // A cold load straight to the string: from the moment the live values arrived (the page
    // marks it) to the end of the render that shows them.
    const cold = await newPage(browser);
    try {
      await watchRenders(cold);
      await cold.addInitScript(() => {
        window.__renderEnds = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.__renderEnds.push(e.startTime + e.duration);
        }).observe({ type: 'measure', buffered: true });
      });
      await cold.goto(`${base}#/string/1`);
      // Observer callbacks come asynchronously: wait until the render after the data is seen.
      const ms = await (
        await cold.waitForFunction(
          () => {
            const filled = performance.getEntriesByName('btms-live-filled')[0]?.startTime;
            const end = filled === undefined ? undefined : window.__renderEnds.find((e) => e >= filled);
            return end === undefined ? false : end - filled;
          },
          undefined,
          { timeout: 20_000 },
        )
      ).jsonValue();
      figures.string120_cold_data_arrived_to_rendered_ms = round1(ms);
    } finally {
      await cold.close();
    }
    // The 50 ms goal is a speed goal: the benchmark checks it (bench/web/ui_render.sh sets
    // BTMS_UI_BENCH), on a machine left alone. Here the figures are printed next to the limit,
    // and the test fails only on what it can judge whatever the load: the page rendered.
    console.log(`# string page render: live median ${figures.string120_live_render_median_ms} ms, ` +
      `cold ${figures.string120_cold_data_arrived_to_rendered_ms} ms (limit 50 ms, checked by bench/web/ui_render.sh)`);
    if (process.env.BTMS_UI_BENCH) {
      assert.ok(figures.string120_live_render_median_ms < 50, `median render ${figures.string120_live_render_median_ms} ms`);
      assert.ok(figures.string120_cold_data_arrived_to_rendered_ms < 50, `cold render ${figures.string120_cold_data_arrived_to_rendered_ms} ms`);
    }
  });

  test('an alarm raised by the scenario shows in the badge and is acknowledged with a comment', async (t) => {
    const missing = await unavailable(base, 'api/v1/alarms');
    if (missing) return t.skip(missing);
    await page.goto(`${base}#/alarms`);
    const badge = page.locator('[data-testid="alarm-badge"]');
    await badge.waitFor({ timeout: 30_000 });
    const first = page.locator('[data-testid="active-alarms"] tr', { has: page.locator('[data-testid="ack"]') }).first();
    await first.waitFor({ timeout: 30_000 });
    const key = (await first.getAttribute('data-testid')).replace(/^alarm-/, '');
    const row = page.locator(`[data-testid="alarm-${key}"]`);
    await shot(page, 'alarms-active');
    await row.locator('[data-testid="ack"]').click();
    await row.locator('[data-testid="ack-text"]').fill('e2e: ventilation checked');
    await row.locator('[data-testid="ack-confirm"]').click();
    await page.waitForFunction(
      (k) => document.querySelector(`[data-testid="alarm-${k}"]`)?.textContent?.includes('by e2e-admin') ?? true,
      key,
    );
    const answer = await page.evaluate(async () => (await fetch('/api/v1/alarms')).json());
    const acked = answer.alarms.find((a) => a.key === key);
    assert.ok(!acked || (acked.acknowledged && acked.acknowledged_by === 'e2e-admin'), JSON.stringify(acked));
    await shot(page, 'alarms-acknowledged');
  });

  test('alarm history lists the scenario\'s events and filters them by source', async (t) => {
    let events = { events: [] };
    for (const until = Date.now() + 30_000; Date.now() < until && events.events.length === 0; await new Promise((r) => setTimeout(r, 1000)))
      events = await (await fetch(`${base}api/v1/events?limit=1000`)).json();
    if (!events.events.some((e) => e.source.startsWith('battery/2/') || e.source === 'string/2'))
      return t.skip('the gateway logged no event of string 2 (engine events not in this build)');
    await page.goto(`${base}#/alarms`);
    await page.locator('[data-testid="event-history"] tbody tr').first().waitFor();
    await page.fill('[data-testid="filter-source"]', 'string/2');
    // The filtered list is asked of the server again: wait for its answer, not the old rows.
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('[data-testid="event-history"] tbody tr td:nth-child(4)')];
      return cells.length > 0 && cells.every((c) => /^(string\/2|battery\/2\/\d+)$/.test(c.textContent.trim()));
    }, undefined, { timeout: 15_000 });
    const sources = await page.locator('[data-testid="event-history"] tbody tr td:nth-child(4)').allInnerTexts();
    assert.ok(sources.length > 0);
    for (const s of sources) assert.match(s, /^(string\/2|battery\/2\/\d+)$/);
    await shot(page, 'alarm-history');
  });

  test('battery history: a year of hour buckets draws in under 300 ms', async () => {
    // The real answer first (the demo has only minutes of data), then a year's 1000-bucket
    // hour-tier answer in the API's format, to time what a year of history costs to draw.
    await page.goto(`${base}#/battery/1/5`);
    await page.click('[data-testid="range-1y"]');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="history-voltage"]')?.closest('.plot-wrap')?.getAttribute('data-span-ms')) >= 365 * 86_400_000,
    );
    figures.battery_year_real_answer_draw_ms = Number(await page.getAttribute('[data-testid="history-voltage"]', 'data-draw-ms'));
    await page.route('**/api/v1/history?*', async (route) => {
      const url = new URL(route.request().url());
      const to = Number(url.searchParams.get('to'));
      const from = Number(url.searchParams.get('from'));
      const channel = url.searchParams.get('channel');
      const n = 1000;
      const step = Math.ceil((to - from) / n / 3_600_000) * 3_600_000;
      const buckets = [];
      for (let i = 0; i < n; i++) {
        const mean = 13.6 + 0.05 * Math.sin(i / 20) + (i % 97 === 0 ? -0.4 : 0);
        buckets.push([from + i * step, mean - 0.02, mean + 0.02, mean, 3600]);
      }
      await route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ tier: 'hour', bucket_ms: step, from_ms: from, to_ms: to, points: n, series: [{ channel, unit: 'V', buckets }] }),
      });
    });
    await page.click('[data-testid="range-30d"]');
    await page.click('[data-testid="range-1y"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="history-voltage"]')?.dataset.points === '1000');
    const ms = Number(await page.getAttribute('[data-testid="history-voltage"]', 'data-draw-ms'));
    figures.battery_year_1000_buckets_draw_ms = ms;
    await shot(page, 'battery-history-year');
    await page.unroute('**/api/v1/history?*');
    assert.ok(ms < 300, `a year of history took ${ms} ms to draw`);
  });

  test('history explorer compares channels of two units and exports CSV', async () => {
    await page.goto(`${base}#/history`);
    await page.fill('[data-testid="channel-search"]', 'string/1 voltage');
    await page.locator('[data-testid="channel-matches"] input').first().check();
    await page.fill('[data-testid="channel-search"]', 'string/1 current');
    await page.locator('[data-testid="channel-matches"] input').first().check();
    // One y axis per unit (V and A) besides the time axis, once both channels are drawn.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="explorer-plot"] .u-axis').length === 3);
    assert.deepEqual(await page.locator('[data-testid="selected-channels"] button').allInnerTexts(), ['string/1/voltage ×', 'string/1/current ×']);
    const href = await page.getAttribute('[data-testid="explorer-csv"]', 'href');
    assert.match(href, /^\/api\/v1\/history\.csv\?channel=string%2F1%2Fvoltage&channel=string%2F1%2Fcurrent&from=\d+&to=\d+&points=\d+$/);
    const csv = await page.evaluate(async (h) => (await fetch(h)).text(), href);
    assert.match(csv, /^time_iso,channel,min,max,mean,count\r\n/);
    await shot(page, 'history-explorer');
  });

  test('settings: out-of-range values are refused before sending, a change is confirmed and saved', async (t) => {
    const missing = await unavailable(base, 'api/v1/config');
    if (missing) return t.skip(missing);
    await page.goto(`${base}#/settings`);
    // The battery temperature alarm (45 °C by default) moved by 1 °C stays between its
    // warning and trip limits: a change the server accepts.
    const path = 'defaults.battery.temperature_alarm_C';
    const input = page.locator(`[data-testid="field-${path}"]`);
    await input.waitFor();
    const original = Number(await input.inputValue());
    await input.fill('100000');
    await page.click('[data-testid="review-changes"]');
    assert.match(await page.locator('[data-testid="settings-problems"]').innerText(), /above the maximum/);
    await input.fill(String(original + 1));
    await page.click('[data-testid="review-changes"]');
    const dialog = page.locator('[data-testid="confirm-dialog"]');
    assert.match(await dialog.innerText(), new RegExp(`${path.replace(/\./g, '\\.')}\\s+${original} °C\\s+→\\s+${original + 1} °C`));
    await shot(page, 'settings-confirm');
    await page.click('[data-testid="confirm-apply"]');
    await page.locator('[data-testid="settings-saved"]').waitFor();
    const after = await (await fetch(`${base}api/v1/config`)).json();
    assert.equal(after.config.defaults.battery.temperature_alarm_C, original + 1);
    // The change is in the event log / audit (server side); the form shows the new value.
    assert.equal(Number(await input.inputValue()), original + 1);
    await shot(page, 'settings-result');
  });
});

describe('discharge playback (mains-outage scenario)', { skip: skipReason, timeout: 240_000 }, () => {
  let session;
  let browser;
  let page;
  let base;

  before(async () => {
    const dir = dataDir();
    // Mains fails 60 simulated seconds in and returns after 10 minutes: at x60, 1 s and 11 s.
    session = await openDemoInBrowser({ dir, scenario: 'scenarios/mains-outage.toml', speed: 60 });
    ({ base, browser, page } = session);
  });

  after(async () => {
    await closeDemoInBrowser(session);
  });

  test('the discharge is listed and plays back with curves and a bar chart per moment', async (t) => {
    const missing = (await unavailable(base, 'api/v1/discharges')) ?? (await unavailable(base, 'api/v1/alarms'));
    // Discharges are detected and recorded by the engine: without it none can appear.
    if (missing) return t.skip(missing);
    // The outage lasts 10 simulated minutes (10 s at x60): wait for its discharges to end.
    let ended;
    for (const until = Date.now() + 45_000; !ended && Date.now() < until; await new Promise((r) => setTimeout(r, 1000)))
      ended = (await (await fetch(`${base}api/v1/discharges`)).json()).discharges.find((d) => !d.running);
    assert.ok(ended, 'no discharge ended within 45 s of the mains outage');
    await page.goto(`${base}#/discharges`);
    const link = page.locator(`[data-testid="discharge-${ended.id}"]`);
    await link.waitFor();
    await shot(page, 'discharges');
    await link.click();
    await page.waitForURL(/#\/discharge\//);
    await page.locator('[data-testid="playback-slider"]').waitFor({ timeout: 20_000 });
    assert.match(await page.locator('[data-testid="runtime-vs-prediction"]').innerText(), /min|running|unknown/);
    const slider = page.locator('[data-testid="playback-slider"]');
    const max = Number(await slider.getAttribute('max'));
    assert.ok(max > 0, 'the discharge has more than one moment');
    const moveTo = (i) =>
      slider.evaluate((el, v) => {
        el.value = String(v);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, i);
    await moveTo(Math.floor(max / 2));
    const middle = await page.locator('[data-testid="playback-time"]').innerText();
    await shot(page, 'discharge-playback-middle');
    await moveTo(max);
    assert.notEqual(await page.locator('[data-testid="playback-time"]').innerText(), middle);
    assert.ok((await page.locator('figure.barchart svg rect:not(.bar-stale)').count()) > 0, 'bars with values at the moment');
    const csv = await page.getAttribute('[data-testid="discharge-csv"]', 'href');
    assert.equal((await page.evaluate(async (h) => (await fetch(h)).status, csv)), 200);
    await shot(page, 'discharge-playback');

    // The printable report of the same discharge, saved as PDF and read back.
    await page.click('[data-testid="discharge-report-link"]');
    const report = page.locator('[data-testid="discharge-report"]');
    await report.waitFor();
    await page.locator('[data-testid="report-string-voltage"]').waitFor({ timeout: 20_000 });
    const kind = await page.locator('[data-testid="report-kind"]').getAttribute('data-kind');
    assert.ok(['full', 'partial'].includes(kind), `judged full or partial, not ${kind}`);
    if (kind === 'partial') assert.match(await page.locator('[data-testid="report-runtime"]').innerText(), /not compared: partial discharge/);
    assert.equal(await page.locator('[data-testid="report-batteries"] tbody tr').count(), ended.min_battery_voltage_V.length);
    await shot(page, 'discharge-report');
    const pdf = join(ARTIFACTS, 'discharge-report.pdf');
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    assert.ok(existsSync('/usr/bin/pdftotext'), 'pdftotext missing: scripts/install.sh --with-tests installs poppler-utils');
    {
      const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
      assert.match(text, /Discharge report/);
      assert.ok(text.includes(`${ended.ah_out.toFixed(1)} Ah`), `Ah out ${ended.ah_out.toFixed(1)} in the PDF`);
      assert.ok(text.includes(`${ended.min_string_voltage_V.toFixed(1)} V`), 'lowest string voltage in the PDF');
      const weakest = ended.min_battery_voltage_V[ended.weakest_position - 1];
      assert.ok(text.includes(`${weakest.toFixed(3)} V`), `weakest battery's ${weakest.toFixed(3)} V in the PDF`);
      assert.ok(!text.includes('Log out'), 'no app header in the printed report');
      execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', pdf, join(ARTIFACTS, 'discharge-report-pdf')]);
      assert.ok(readdirSync(ARTIFACTS).some((f) => f.startsWith('discharge-report-pdf') && f.endsWith('.png')), 'the PDF renders to PNG');
    }
  });
});
