// Browser test of the "batteries needing attention" page against `btms demo` with the
// commissioning-faults scenario, whose first fault is a resistance rise of battery 1/12 (x1.35 at
// 60 s, x1.6 at 600 s of plant time): the page ranks 1/12 first with the reason in words, the
// per-string table sorts by a figure, and the healthy batteries appear only when asked for.
// The same demo feeds the monthly string report (#/string/1/report/<month>): header, every
// battery with the history API's figures, the scenario's alarms with who acknowledged them, and
// its PDF read back with pdftotext and rendered with pdftoppm. Screenshots and the PDF go to
// e2e/artifacts/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, ARTIFACTS, addAdmin, closeDemoInBrowser, dataDir, logIn, openDemoInBrowser, pollUntil, shot, skipReason } from './demo.mjs';

describe('batteries needing attention and the monthly report (commissioning-faults scenario)', { skip: skipReason, timeout: 150_000 }, () => {
  let session;
  let page;
  let base;

  before(async () => {
    const dir = dataDir();
    addAdmin(dir);
    session = await openDemoInBrowser({ dir, scenario: 'scenarios/commissioning-faults.toml', speed: 60 });
    ({ base, page } = session);
    page.setDefaultTimeout(30_000);
    await logIn(page, base);
  });

  after(async () => {
    await closeDemoInBrowser(session);
  });

  test('the battery the scenario degraded first is ranked first, with the reason in words', async () => {
    // Past the second rise (600 s of plant time at x60: 10 s): 1/12 is then 60 % over its baseline.
    const ranked = await pollUntil(async () => {
      const r = await page.evaluate(async () => (await fetch('/api/v1/attention')).json());
      return r.batteries?.[0]?.battery === 'battery/1/12' && r.batteries[0].recommendation === 'replace_now';
    }, 40_000, 1000);
    assert.ok(ranked, 'battery/1/12 ranked first with "replace_now"');
    await page.goto(`${base}#/attention`);
    const first = page.locator('[data-testid="attention-row"]').first();
    await first.waitFor();
    assert.equal(await first.getAttribute('data-battery'), 'battery/1/12');
    const text = await first.innerText();
    assert.match(text, /Replace now/);
    assert.match(text, /resistance \d+\.\d\d mΩ is \d+\.\d % over its baseline \d+\.\d\d mΩ \(replace at 50 %\)/);
    assert.match(await page.locator('[data-testid="count-replace_now"]').innerText(), /Replace now: [1-9]/);
    await shot(page, 'attention-ranking');
  });

  test('a string\'s table: healthy batteries on request, sorted by resistance over baseline', async () => {
    await page.goto(`${base}#/attention/1`);
    await page.locator('[data-testid="attention-row"]').first().waitFor();
    await page.check('[data-testid="attention-all"]');
    const topology = await page.evaluate(async () => (await fetch('/api/v1/topology')).json());
    const batteries = topology.strings.find((s) => s.id === 1).batteries;
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="attention-row"]').length === n, batteries);
    // A figure sorts largest first; a second click flips it.
    await page.click('[data-testid="sort-over_baseline_pct"]');
    assert.equal(await page.locator('[data-testid="attention-row"]').first().getAttribute('data-battery'), 'battery/1/12');
    await page.click('[data-testid="sort-over_baseline_pct"]');
    assert.notEqual(await page.locator('[data-testid="attention-row"]').first().getAttribute('data-battery'), 'battery/1/12');
    const strings = await page.$$eval('[data-testid="attention-row"]', (rows) => [...new Set(rows.map((r) => r.dataset.battery.split('/')[1]))]);
    assert.deepEqual(strings, ['1']);
  });

  test('monthly report of string 1: header, every battery with the API\'s figures, the alarms, and its PDF', async () => {
    const t0 = Date.now();
    // The scenario's resistance alarm of 1/12 (60 % over its baseline, past the 50 % alarm limit).
    const raised = await pollUntil(async () => {
      const r = await page.evaluate(async () => (await fetch('/api/v1/events?limit=10000')).json());
      return r.events?.some((e) => e.kind === 'alarm_raised' && e.source === 'battery/1/12' && e.rule === 'battery_resistance_alarm');
    }, 30_000, 1000);
    assert.ok(raised, 'the scenario raised an alarm of battery/1/12');
    // Acknowledged by the logged-in admin: the report names who.
    const ack = await page.evaluate(async () => {
      const session = await (await fetch('/api/v1/session')).json();
      const r = await fetch('/api/v1/alarms/acknowledge', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token },
        body: JSON.stringify({ source: 'string/1', comment: 'e2e: monthly report' }),
      });
      return { status: r.status, body: await r.json() };
    });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));

    // The string page's link opens the current month on the gateway's clock, in the browser's zone.
    await page.goto(`${base}#/string/1`);
    // Every battery's buckets in the history answers the report page receives (the first answer
    // per channel: the test's own requests below go through the page too).
    const received = {};
    page.on('response', async (r) => {
      if (!r.url().includes('/api/v1/history?') || !r.ok()) return;
      for (const s of (await r.json().catch(() => ({}))).series ?? []) {
        const battery = s.channel.replace(/\/resistance$/, '');
        if (s.channel.endsWith('/resistance') && !(battery in received)) received[battery] = s.buckets;
      }
    });
    await page.click('[data-testid="monthly-report-link"]');
    await page.waitForURL(/#\/string\/1\/report\/\d{4}-\d{2}$/);
    const month = await page.evaluate(async () => {
      const t = (await (await fetch('/api/v1/live?prefix=string/1/voltage')).json()).time_ms;
      const d = new Date(t);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
    });
    assert.ok(page.url().endsWith(`/report/${month}`), `${page.url()} opens ${month}`);

    const topology = await page.evaluate(async () => (await fetch('/api/v1/topology')).json());
    const string1 = topology.strings.find((s) => s.id === 1);
    const rows = page.locator('[data-testid="monthly-battery"]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="monthly-battery"]').length === n, string1.batteries);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({ battery: tr.dataset.battery, end: tr.querySelector('[data-testid="end"]')?.textContent ?? null, start: tr.querySelector('[data-testid="start"]')?.textContent ?? null })),
    );
    // The API's answers the page was given (as they came over the network) ...
    assert.ok(await pollUntil(() => string1.batteries <= Object.keys(received).length, 5_000, 100), `history answers for ${Object.keys(received).length} batteries seen`);
    // ... and the same question asked again by the test, right after.
    const head = page.locator('[data-testid="report-month"]');
    const q = { from: await head.getAttribute('data-from-ms'), to: await head.getAttribute('data-to-ms'), points: await head.getAttribute('data-points') };
    const asked = await page.evaluate(async ({ q, n }) => {
      const out = {};
      for (let k = 0; k < n; k += 32) {
        const p = new URLSearchParams();
        for (let i = k + 1; i <= Math.min(n, k + 32); i++) p.append('channel', `battery/1/${i}/resistance`);
        p.set('from', q.from);
        p.set('to', q.to);
        p.set('points', q.points);
        const a = await (await fetch(`/api/v1/history?${p}`)).json();
        for (const s of a.series) out[s.channel.replace(/\/resistance$/, '')] = { tier: a.tier, buckets: s.buckets };
      }
      return out;
    }, { q, n: string1.batteries });
    assert.equal(asked['battery/1/12'].tier, 'hour', 'a month is read from the hour tier');
    assert.ok(asked['battery/1/12'].buckets.length > 0, 'battery 1/12 has resistance data this month');
    for (const r of shown) {
      const given = received[r.battery] ?? [];
      const again = asked[r.battery]?.buckets ?? [];
      if (given.length === 0) {
        assert.equal(r.end, null, `${r.battery}: no data in the answer, none shown`);
        continue;
      }
      // Exactly the first and last hour's mean of the answer, rounded as shown.
      assert.equal(r.start, given[0][3].toFixed(3), `${r.battery} start`);
      assert.equal(r.end, given[given.length - 1][3].toFixed(3), `${r.battery} end`);
      // Asked again, the same hours are there. Their means are not compared: when the report
      // asks, the demo has run about one plant hour (x60), so its first and last hours are still
      // filling (samples of the hour in progress, raw chunks of 600 s sealing into the hour
      // before; 1/12's resistance rises by 60 % in that time) and a second answer moments later
      // may differ by several per cent. The figures shown are checked exactly against the
      // report's own answer above.
      for (const [what, bucket] of [['start', given[0]], ['end', given[given.length - 1]]]) {
        assert.ok(
          again.some((b) => b[0] === bucket[0]),
          `${r.battery} ${what}: the hour ${new Date(bucket[0]).toISOString()} asked again`,
        );
      }
    }

    // Header: names as the UI shows them, the month, who generated it.
    assert.equal(await page.locator('[data-testid="report-site"]').innerText(), topology.site?.name ?? topology.site ?? topology.name);
    assert.match(await page.locator('[data-testid="report-string"]').innerText(), new RegExp(`^${string1.name} \\(${string1.batteries} batteries\\)$`));
    const ups = topology.upses.find((u) => u.id === (string1.ups ?? string1.ups_id));
    assert.equal(await page.locator('[data-testid="report-ups"]').innerText(), ups.name || `UPS ${ups.id}`);
    assert.equal(await page.locator('[data-testid="report-month"]').getAttribute('data-month'), month);
    assert.match(await page.locator('[data-testid="report-generated"]').innerText(), new RegExp(`by ${ADMIN.user}$`));
    // Every battery of the string once, the degraded one first (worst first: "Replace now").
    const batteries = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.battery));
    assert.deepEqual([...batteries].sort(), Array.from({ length: string1.batteries }, (_, k) => `battery/1/${k + 1}`).sort());
    assert.equal(batteries[0], 'battery/1/12');
    assert.match(await rows.first().innerText(), /Replace now/);

    // The scenario's alarms of string 1 this month (as the API lists them) are all in the report.
    const logged = await page.evaluate(async ([f, t]) => (await (await fetch(`/api/v1/events?from=${f}&to=${t}&limit=10000`)).json()).events, [q.from, q.to]);
    const raisedOf1 = logged.filter((e) => e.kind === 'alarm_raised' && /^(string|battery)\/1(\/|$)/.test(e.source));
    const listed = await page.locator('[data-testid="monthly-alarm"]').evaluateAll((trs) => trs.map((tr) => `${tr.dataset.source}:${tr.dataset.rule}`));
    for (const e of raisedOf1) assert.ok(listed.includes(`${e.source}:${e.rule}`), `${e.source} ${e.rule} listed`);
    const alarm12 = page.locator('[data-testid="monthly-alarm"][data-source="battery/1/12"][data-rule="battery_resistance_alarm"]').first();
    assert.match(await alarm12.locator('[data-testid="acknowledged-by"]').innerText(), new RegExp(`by ${ADMIN.user}`));
    assert.match(await page.locator('[data-testid="monthly-event-counts"]').innerText(), /alarm raised\s+\d+/);
    await shot(page, 'monthly-report');

    // Printed to PDF (A4, the print stylesheet) and read back.
    const pdf = join(ARTIFACTS, 'monthly-report.pdf');
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    assert.ok(existsSync('/usr/bin/pdftotext'), 'pdftotext missing: scripts/install.sh --with-tests installs poppler-utils');
    const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
    assert.match(text, /Monthly string report/);
    assert.ok(text.includes(string1.name), `${string1.name} in the PDF`);
    assert.ok(text.includes(month), `${month} in the PDF`);
    assert.ok(text.includes(ADMIN.user), 'who generated it, in the PDF');
    assert.ok(text.includes(shown.find((r) => r.battery === 'battery/1/12').end), "1/12's end value in the PDF");
    assert.ok(!text.includes('Log out') && !text.includes('previous month'), 'no app header or buttons in the printed report');
    for (const f of readdirSync(ARTIFACTS)) if (f.startsWith('monthly-report-pdf')) rmSync(join(ARTIFACTS, f));
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', pdf, join(ARTIFACTS, 'monthly-report-pdf')]);
    assert.ok(readdirSync(ARTIFACTS).some((f) => f.startsWith('monthly-report-pdf') && f.endsWith('.png')), 'the PDF renders to PNG');
    console.log(`# monthly report test took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});
