// Browser end-to-end test of the web UI against a real `btms demo` (virtual plant + gateway).
// Run from web/: `npm run build && npm run e2e`. Needs Debian's chromium at /usr/bin/chromium
// (skipped with a message otherwise) and a built btms binary (../build/btms, or env BTMS_BINARY).
// Screenshots of every page go to ../test-artifacts/ui/ for a human to look at.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
// The demo's history goes to a folder of this test's own, removed at exit.
const DATA_DIR = mkdtempSync(resolve(tmpdir(), 'btms-ui-test-'));
process.on('exit', () => rmSync(DATA_DIR, { recursive: true, force: true }));
const CHROMIUM = process.env.BTMS_CHROMIUM ?? '/usr/bin/chromium';
const BINARY = resolve(here, '..', process.env.BTMS_BINARY ?? '../build/btms');
const ARTIFACTS = resolve(here, '../../test-artifacts/ui');
const STARTUP_TIMEOUT_MS = 20_000;
// The demo string the walk goes through: UPS 1 -> string 1 (40 batteries, 3 charts) -> battery 1/5.
const BATTERIES_PER_STRING = 40;
const CHARTS_PER_STRING = 3;
const LIVE_CHANGE_TIMEOUT_MS = 15_000;

const skipReason = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the browser tests`;

/** Starts `btms demo` on free ports and resolves with its web URL once it prints it. */
function startDemo() {
  const child = spawn(BINARY, ['demo', '--port', '0', '--scada-port', '0', '--data-dir', DATA_DIR], {
    cwd: resolve(here, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = new Promise((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`btms demo printed no "Web UI:" line within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)),
      STARTUP_TIMEOUT_MS,
    );
    const onData = (chunk) => {
      output += chunk;
      const m = /Web UI:\s*(http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1].endsWith('/') ? m[1] : `${m[1]}/`);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (c) => (output += c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${BINARY}: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`btms demo exited early (code ${code}, signal ${signal}):\n${output}`));
    });
  });
  return { child, url };
}

/** Stops the demo: SIGTERM, then SIGKILL if it has not gone within 3 s. */
async function stopDemo(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await gone;
  clearTimeout(timer);
}

async function shot(page, name) {
  await page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('web UI in a browser against btms demo', { skip: skipReason, timeout: 85_000 }, () => {
  let demo;
  let browser;
  let page;
  let base;
  const figures = {};

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    demo = startDemo();
    // Last resort if the runner is torn down before after() (e.g. Ctrl-C): no orphaned demo.
    process.once('exit', () => demo.child.exitCode === null && demo.child.kill('SIGKILL'));
    base = await demo.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => console.error(`[browser error] ${e.message}`));
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
    figures.string_page_click_to_120_rects_ms = Math.round(renderMs * 10) / 10;
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
    await page.locator('.uplot').waitFor();
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
      figures.string_page_cold_load_to_120_rects_ms = Math.round(ms * 10) / 10;
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
