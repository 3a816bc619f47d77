// Helpers of the browser tests: a `btms demo` of the test's own (data folder, free ports,
// optional scenario and site file, an admin account), Debian's chromium, screenshots.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '..', '..');
export const CHROMIUM = process.env.BTMS_CHROMIUM ?? '/usr/bin/chromium';
// BTMS_BIN (or the older BTMS_BINARY): relative paths are taken from web/.
export const BINARY = resolve(here, '..', process.env.BTMS_BIN ?? process.env.BTMS_BINARY ?? '../build/btms');
export const ARTIFACTS = resolve(here, 'artifacts');
export const ADMIN = { user: 'e2e-admin', password: 'correct horse battery staple' };
const STARTUP_TIMEOUT_MS = 20_000;

export const skipReason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the browser tests`
  : !existsSync(BINARY)
    ? `${BINARY} is missing: build btms or set BTMS_BIN`
    : undefined;

/** A fresh data folder, removed when the test process exits. */
export function dataDir() {
  const dir = mkdtempSync(resolve(tmpdir(), 'btms-ui-test-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The demo site with string 1 made `batteries` long (up to 120), written into `dir`. */
export function siteWithLongString(dir, batteries) {
  const text = readFileSync(resolve(REPO, 'config/demo-site.toml'), 'utf8');
  let strings = 0;
  const out = text
    .split('\n')
    .map((line) => {
      if (/^\[\[string\]\]/.test(line)) strings++;
      return strings === 1 && /^batteries\s*=/.test(line) ? `batteries = ${batteries}` : line;
    })
    .join('\n');
  const path = resolve(dir, 'site.toml');
  writeFileSync(path, out);
  return path;
}

/** Creates an admin in `dir` with the CLI (password on stdin), before the demo opens it. */
export function addAdmin(dir) {
  const r = spawnSync(BINARY, ['user', 'add', ADMIN.user, '--role', 'admin', '--data-dir', dir], {
    input: `${ADMIN.password}\n`,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`btms user add failed (${r.status}): ${r.stdout}${r.stderr}`);
}

/** Starts `btms demo` on free ports; resolves `url` once it prints its "Web UI:" line. */
export function startDemo({ dir, scenario, speed, config } = {}) {
  // The UI under test is this tree's build (npm run build), wherever the binary lives.
  const args = ['demo', '--port', '0', '--scada-port', '0', '--data-dir', dir, '--static-dir', resolve(here, '..', 'dist')];
  if (scenario) args.push('--scenario', resolve(REPO, scenario));
  if (speed) args.push('--speed', String(speed));
  if (config) args.push('--config', config);
  const child = spawn(BINARY, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  // Last resort if the runner is torn down before after() (e.g. Ctrl-C): no orphaned demo.
  process.once('exit', () => child.exitCode === null && child.kill('SIGKILL'));
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

/**
 * Starts `btms demo --gateways N` (N virtual plants and gateways and an aggregator over them, in
 * one process) on free ports with this tree's UI; resolves `url` (the aggregator's) and
 * `gateways` ([{name, url, dataDir}]) once it prints its "Aggregator" line. The gateways' data
 * folders (the demo makes them in /tmp) are removed when the test process exits.
 */
export function startSiteDemo({ gateways = 3, speed } = {}) {
  const args = ['demo', '--gateways', String(gateways), '--port', '0', '--scada-port', '0', '--static-dir', resolve(here, '..', 'dist')];
  if (speed) args.push('--speed', String(speed));
  const child = spawn(BINARY, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  process.once('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  let output = '';
  const found = [];
  process.once('exit', () => found.forEach((g) => rmSync(g.dataDir, { recursive: true, force: true })));
  const started = new Promise((resolveStarted, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`btms demo --gateways printed no "Aggregator" line within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)),
      STARTUP_TIMEOUT_MS,
    );
    const onData = (chunk) => {
      output += chunk;
      found.length = 0;
      for (const m of output.matchAll(/gateway (\S+): (http:\/\/\S+?)\/?\s+SCADA \S+\s+data in (\S+)/g)) found.push({ name: m[1], url: `${m[2]}/`, dataDir: m[3] });
      const m = /Aggregator[^:]*:\s*(http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveStarted({ url: m[1].endsWith('/') ? m[1] : `${m[1]}/`, gateways: [...found] });
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
      reject(new Error(`btms demo --gateways exited early (code ${code}, signal ${signal}):\n${output}`));
    });
  });
  return { child, started, output: () => output };
}

/** Stops the demo: SIGTERM, then SIGKILL if it has not gone within 3 s. */
export async function stopDemo(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await gone;
  clearTimeout(timer);
}

export async function launchBrowser() {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
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
}

export async function newPage(browser) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => console.error(`[browser error] ${e.message}`));
  return page;
}

// Screenshots are artifacts for people, not assertions: one that times out on a loaded machine
// (a full-page capture waits for a quiet frame) is reported and the test goes on.
export async function shot(page, name) {
  try {
    await page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), fullPage: true, timeout: 20_000 });
  } catch (error) {
    console.log(`# screenshot ${name} not taken: ${String(error?.message ?? error).split('\n')[0]}`);
  }
}

/**
 * Starts `btms demo` (startDemo's options) and a browser page beside it; resolves
 * { demo, base, browser, page }. A browser that fails to start stops the demo before the error
 * goes on, so no process outlives the test.
 */
export async function openDemoInBrowser(options) {
  const demo = startDemo(options);
  let browser;
  try {
    const base = await demo.url;
    browser = await launchBrowser();
    return { demo, base, browser, page: await newPage(browser) };
  } catch (error) {
    await closeDemoInBrowser({ demo, browser });
    throw error;
  }
}

/** Closes what openDemoInBrowser opened (either may be missing when it failed). */
export async function closeDemoInBrowser(session) {
  try {
    await session?.browser?.close();
  } finally {
    await stopDemo(session?.demo?.child);
  }
}

/** Logs in through the UI's login page; resolves once the header names the user. */
export async function logIn(page, base) {
  await page.goto(`${base}#/login`);
  await page.fill('input[autocomplete="username"]', ADMIN.user);
  await page.fill('input[type="password"]', ADMIN.password);
  await page.click('form.login button[type="submit"]');
  await page.locator('[data-testid="session-user"]').waitFor();
}

/**
 * Why the gateway cannot answer `path` (404: not in this build; 503: e.g. "engine not
 * running"), or undefined when it answers.
 */
export async function unavailable(base, path) {
  const r = await fetch(`${base}${path}`);
  if (r.status !== 404 && r.status !== 503) return undefined;
  const body = await r.json().catch(() => ({}));
  return `GET /${path} answers ${r.status} ${body.error ?? ''} in this gateway build`;
}

export const round1 = (x) => Math.round(x * 10) / 10;

// Polls an async condition from the test process until it holds or the time is up. Used where
// a consumer catches up at its own pace (the history writer's event log after an action).
export async function pollUntil(condition, timeout_ms, interval_ms = 250) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, interval_ms));
  }
}
