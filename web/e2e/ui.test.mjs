// Browser end-to-end test of the web UI against a real `btms demo` (virtual plant + gateway).
// Run from web/: `npm run build && npm run e2e`. Needs Debian's chromium at /usr/bin/chromium
// and a built btms binary (../build/btms, or env BTMS_BIN); skipped with a message otherwise.
// Screenshots of every page go to e2e/artifacts/ for a human to look at.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { addAdmin, dataDir, launchBrowser, logIn, newPage, round1, shot, skipReason, startDemo, stopDemo } from './demo.mjs';

// The demo string the walk goes through: UPS 1 -> string 1 (40 batteries, 3 charts) -> battery 1/5.
const BATTERIES_PER_STRING = 40;
const CHARTS_PER_STRING = 3;
const LIVE_CHANGE_TIMEOUT_MS = 15_000;

describe('web UI in a browser against btms demo', { skip: skipReason, timeout: 115_000 }, () => {
  let demo;
  let browser;
  let page;
  let base;
  const figures = {};

  before(async () => {
    const dir = dataDir();
    addAdmin(dir);
    demo = startDemo({ dir });
    base = await demo.url;
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    // Always runs, also when before() or a test failed: never leave the demo or chromium behind.
    try {
      await browser?.close();
    } finally {
      await stopDemo(demo?.child);
    }
    if (Object.keys(figures).length) console.log('figures:', JSON.stringify(figures));
  });

  test('overview shows the 2 UPS tiles of the demo site', async () => {
    await page.goto(base);
    await page.locator('[data-testid="ups-1"]').waitFor();
    const tiles = await page.locator('[data-testid^="ups-"]').count();
    assert.equal(tiles, 2);
    assert.match(await page.locator('[data-testid="ups-2"]').innerText(), /UPS|\d/);
  });

  test(
    'header shows the site name from the topology',
    {},
    async () => {
      const topology = await (await fetch(`${base}api/v1/topology`)).json();
      const name = typeof topology.site === 'string' ? topology.site : topology.site?.name;
      assert.ok(name, 'topology has a site name');
      assert.equal((await page.locator('header .site').innerText()).trim(), name);
    },
  );

  test('link state shows live once the WebSocket stream is connected', async () => {
    const link = page.locator('[data-testid="link-state"]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="link-state"]')?.textContent?.includes('live'),
    );
    assert.equal((await link.innerText()).trim(), '● live');
    // Values have arrived (REST + stream) before the picture is taken: UPS voltage is a number.
    await page.waitForFunction(() => /Voltage\s*\d+\.\d V/.test(document.querySelector('[data-testid="ups-1"]')?.innerText ?? ''));
    await shot(page, 'overview');
  });

  test('log in as admin through the login page', async () => {
    await logIn(page, base);
    assert.match(await page.locator('[data-testid="session-user"]').innerText(), /e2e-admin \(admin\)/);
    await page.locator('[data-testid="ups-1"]').waitFor();
  });

  test('settings: the admin adds and removes a user', async () => {
    await page.goto(`${base}#/settings`);
    const users = page.locator('[data-testid="users"]');
    await users.locator('tr', { hasText: 'e2e-admin' }).waitFor();
    await page.fill('.users input[placeholder^="name"]', 'olga');
    await page.selectOption('.users select', 'operator');
    await page.fill('.users input[type="password"]', 'another long secret');
    await page.click('.users button[type="submit"]');
    const olga = users.locator('tr', { hasText: 'olga' });
    await olga.waitFor();
    assert.match(await olga.innerText(), /operator/);
    await shot(page, 'settings-users');
    page.once('dialog', (d) => d.accept());
    await olga.locator('button', { hasText: 'Remove' }).click();
    await olga.waitFor({ state: 'detached' });
    const listed = await page.evaluate(async () => (await fetch('/api/v1/users')).json());
    assert.deepEqual(listed.map((u) => u.name), ['e2e-admin']);
    await page.goto(base);
    await page.locator('[data-testid="ups-1"]').waitFor();
  });

  test('settings: export the configuration, import a changed copy, refuse a broken file', async () => {
    const t0 = Date.now();
    const getConfig = () => page.evaluate(async () => (await fetch('/api/v1/config')).json());
    await page.goto(`${base}#/settings`);
    const exportButton = page.locator('[data-testid="config-export"]');
    await exportButton.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
    const day = new Date();
    const ymd = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    assert.match(download.suggestedFilename(), new RegExp(`^btms-config-[A-Za-z0-9._-]+-${ymd}\\.json$`));
    const file = JSON.parse(readFileSync(await download.path(), 'utf8'));
    const topology = await page.evaluate(async () => (await fetch('/api/v1/topology')).json());
    const site = typeof topology.site === 'string' ? topology.site : topology.site?.name;
    assert.equal(file.btms_config, 1);
    assert.equal(file.site, site);
    assert.ok(Math.abs(file.exported_ms - Date.now()) < 60_000, `exported_ms ${file.exported_ms}`);
    assert.deepEqual(file.config, (await getConfig()).config);

    // The temperature alarm moved by 1 °C stays between its warning and trip: the server takes it.
    const path = 'defaults.battery.temperature_alarm_C';
    const original = file.config.defaults.battery.temperature_alarm_C;
    file.config.defaults.battery.temperature_alarm_C = original + 1;
    const changed = { name: 'changed.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) };
    const puts = [];
    const onRequest = (r) => r.method() === 'PUT' && r.url().endsWith('/api/v1/config') && puts.push(r.postDataJSON());
    page.on('request', onRequest);
    try {
      const input = page.locator('[data-testid="config-import-file"]');
      await input.setInputFiles(changed);
      const rows = page.locator('[data-testid="config-import-row"]');
      await rows.first().waitFor();
      assert.equal(await rows.count(), 1);
      assert.match(await rows.first().innerText(), new RegExp(`${path.replace(/\./g, '\\.')}\\s+${original} °C\\s+${original + 1} °C`));
      assert.equal(await page.locator('[data-testid="config-import-site-warning"]').count(), 0, 'same site: no warning');
      await shot(page, 'settings-import-preview');
      await page.click('[data-testid="config-import-apply"]');
      await page.locator('[data-testid="config-import-saved"]').waitFor();
      assert.equal(puts.length, 1, 'one PUT');
      assert.equal((await getConfig()).config.defaults.battery.temperature_alarm_C, original + 1);
      assert.equal(Number(await page.locator(`[data-testid="field-${path}"]`).inputValue()), original + 1);

      // The same file again changes nothing; broken files are refused; none of them is sent.
      await input.setInputFiles(changed);
      await page.locator('[data-testid="config-import-identical"]').waitFor();
      await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"btms_config": 1, "config": ') });
      assert.match(await page.locator('[data-testid="config-import-refused"]').innerText(), /broken\.json: The file is not JSON .*Nothing was sent/);
      await input.setInputFiles({ name: 'v2.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...file, btms_config: 2 })) });
      await page.locator('[data-testid="config-import-refused"]', { hasText: 'format version 2' }).waitFor();
      await shot(page, 'settings-import-refused');
      assert.equal(puts.length, 1, 'nothing sent after the first import');
    } finally {
      page.off('request', onRequest);
    }
    figures.config_export_import_ms = Date.now() - t0;
    await page.goto(base);
    await page.locator('[data-testid="ups-1"]').waitFor();
  });

  test('walk site -> UPS 1 -> string 1 -> battery 1/5 by clicking', async () => {
    await page.click('[data-testid="ups-1"]');
    await page.waitForURL(/#\/ups\/1$/);
    await page.locator('[data-testid="string-1"]').waitFor();
    assert.ok((await page.locator('[data-testid^="string-"]').count()) >= 1);
    await shot(page, 'ups-1');

    // Time from the click (hash navigation) to all bars of the 3 charts in the DOM, measured in
    // the page with performance.now() so test-runner overhead is not counted.
    const expectedRects = BATTERIES_PER_STRING * CHARTS_PER_STRING;
    const renderMs = await page.evaluate((expected) => {
      return new Promise((done) => {
        const t0 = performance.now();
        const check = () => {
          if (document.querySelectorAll('figure.barchart svg rect').length >= expected) done(performance.now() - t0);
          else requestAnimationFrame(check);
        };
        document.querySelector('[data-testid="string-1"]').click();
        check();
      });
    }, expectedRects);
    figures.string_page_click_to_120_rects_ms = round1(renderMs);
    await page.waitForURL(/#\/string\/1$/);

    const charts = page.locator('figure.barchart');
    assert.equal(await charts.count(), CHARTS_PER_STRING);
    for (let c = 0; c < CHARTS_PER_STRING; c++) {
      assert.equal(await charts.nth(c).locator('svg rect').count(), BATTERIES_PER_STRING, `chart ${c}`);
    }
    // Fresh values give real bars (not the grey "stale" placeholder) on the voltage chart.
    await page.waitForFunction(
      () => document.querySelectorAll('figure.barchart:first-of-type svg rect.bar-stale').length === 0,
    );
    await shot(page, 'string-1');

    await charts.nth(0).locator('svg a').nth(4).click();
    await page.waitForURL(/#\/battery\/1\/5$/);
    await page.locator('[data-testid="voltage"]').waitFor();
    assert.match(await page.locator('h1').innerText(), /Battery 1\/5/);
  });

  test('battery voltage is plausible and changes live without a reload', async () => {
    const voltage = page.locator('[data-testid="voltage"]');
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="voltage"]')?.textContent ?? ''));
    const first = (await voltage.innerText()).trim();
    const m = /^(\d+\.\d+) V/.exec(first);
    assert.ok(m, `voltage text "${first}" is not "<number> V"`);
    const volts = Number(m[1]);
    assert.ok(volts >= 13 && volts < 14, `voltage ${volts} V is not a float-charged 12 V block (13.x V)`);
    // Mark the document: a reload would drop the mark, so a change seen with it present is live.
    await page.evaluate(() => (window.__e2eNoReload = true));

    const t0 = Date.now();
    let now = first;
    while (now === first && Date.now() - t0 < LIVE_CHANGE_TIMEOUT_MS) {
      await page.waitForTimeout(250);
      now = (await voltage.innerText()).trim();
    }
    figures.battery_voltage_first_change_ms = Date.now() - t0;
    assert.notEqual(now, first, `voltage stayed "${first}" for ${LIVE_CHANGE_TIMEOUT_MS} ms`);
    assert.match(now, /^13\.\d+ V/);
    assert.equal(await page.evaluate(() => window.__e2eNoReload), true, 'the page was reloaded');
    // Give the trend a few more points so the screenshot shows a line, not a single dot.
    await page.locator('.uplot').first().waitFor();
    await page.waitForTimeout(4_000);
    await shot(page, 'battery-1-5');
  });

  test('cold load of the string page renders all bars', async () => {
    // A full page load straight to the string (what a bookmarked link does). An init script
    // records, in the page's own clock (0 = navigation start), when the last bar appears, so
    // neither the test runner nor the polling interval is counted.
    const expected = BATTERIES_PER_STRING * CHARTS_PER_STRING;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const cold = await context.newPage();
      await cold.addInitScript((n) => {
        new MutationObserver((_, observer) => {
          if (document.querySelectorAll('figure.barchart svg rect').length >= n) {
            window.__e2eRectsAt = performance.now();
            observer.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      }, expected);
      await cold.goto(`${base}#/string/1`);
      await cold.waitForFunction(() => window.__e2eRectsAt !== undefined);
      const ms = await cold.evaluate(() => window.__e2eRectsAt);
      figures.string_page_cold_load_to_120_rects_ms = round1(ms);
      assert.equal(await cold.locator('figure.barchart svg rect').count(), expected);
    } finally {
      await context.close();
    }
  });

  test('theme toggle switches between dark and light', async () => {
    await page.goto(base);
    await page.locator('[data-testid="ups-1"]').waitFor();
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    const before = await theme();
    assert.ok(before === 'dark' || before === 'light', `theme "${before}"`);
    const toggle = page.locator('header button', { hasText: /theme/i });
    await toggle.click();
    // The theme is applied in an effect, after the render: wait for it rather than read at once.
    await page.waitForFunction((b) => document.documentElement.dataset.theme !== b, before);
    const afterOne = await theme();
    assert.notEqual(afterOne, before);
    assert.ok(afterOne === 'dark' || afterOne === 'light');
    // The background really follows the theme (CSS variables), not only the attribute.
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const bgOne = await bg();
    await shot(page, `overview-${afterOne}`);
    await toggle.click();
    await page.waitForFunction((b) => document.documentElement.dataset.theme === b, before);
    assert.equal(await theme(), before);
    assert.notEqual(await bg(), bgOne);
  });
});
