// The dashboard page in a real browser (Debian's Chromium through playwright-core): the overview
// loads, goes live over the WebSocket and a value changes when a window arrives, under the page's
// own CSP, with chart.js from this server and no request beyond 127.0.0.1. First with an in-memory
// feed (exact values we push), then with the real collector + processor + dashboard against the
// stack's snmpd, where the numbers on the page come from SNMP polls through Kafka.
// Fails, never skips, when Chromium or the stack is missing (`npm test` provides both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { assemble } from '../../cli/services.js';
import { deviceSchema, netmonConfigSchema } from '../../common/config/schema.js';
import type { WindowResult } from '../../common/contracts/window-result.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { sampleWindow } from '../../dashboard/fakes.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { artifactPath, canvasInk, chartPoints, launchChromium, openRecordedPage, type PageRecorder } from './browser.js';
import { loaded, stackSnmpDevice, testConfig, uniqueId, waitFor } from './stack.js';

const testLog = () => createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', destination: process.stderr });

const STATUS_LIVE = '[data-testid="status"][data-state="live"]';

function cardSelector(deviceId: string, seriesKey: string): string {
  return `[data-testid="device-section"][data-device-id="${deviceId}"] [data-testid="interface-card"][data-series-key="${seriesKey}"]`;
}

/** A latest-value field's raw number (data-value), or null while it shows nothing. */
async function fieldValue(card: Locator, name: string): Promise<number | null> {
  const raw = await card.locator(`[data-testid="latest-${name}"]`).getAttribute('data-value', { timeout: 1000 });
  return raw === null || raw === '' ? null : Number(raw);
}

/** The page did nothing wrong: no errors, no CSP violations, nothing fetched from elsewhere. */
async function assertCleanPage(rec: PageRecorder, origin: string): Promise<void> {
  assert.deepEqual(rec.pageErrors, [], 'no uncaught exceptions in the page');
  assert.deepEqual(rec.consoleErrors, [], 'no console errors (CSP refusals included)');
  assert.deepEqual(rec.consoleWarnings, [], 'no console warnings (app.js warns when a REST call fails)');
  assert.deepEqual(await rec.cspViolations(), [], 'no securitypolicyviolation events');
  assert.deepEqual(rec.foreignRequests, [], 'no request to a host other than 127.0.0.1');
  assert.deepEqual(rec.failedRequests, [], 'no failed requests');
  for (const path of ['/', '/app.js', '/app.css', '/vendor/chart.umd.js']) {
    const url = new URL(path, origin).href;
    assert.ok(rec.responses.some((r) => r.url === url && r.status === 200), `${url} loaded with 200 (responses: ${rec.responses.map((r) => `${r.url} ${r.status}`).join(', ')})`);
  }
  assert.ok(rec.requests.includes(new URL('/live', origin.replace(/^http/, 'ws')).href), 'the page opened the /live WebSocket');
  assert.equal(await rec.page.evaluate(() => typeof (globalThis as unknown as { Chart?: unknown }).Chart), 'function', 'chart.js is loaded');
}

async function screenshot(page: Page | undefined, name: string): Promise<void> {
  if (!page || page.isClosed()) return;
  await page.screenshot({ path: artifactPath(`dashboard-${name}.png`), fullPage: true });
}

void test('dashboard page with an in-memory feed: goes live, shows a pushed window, and the value changes with the next window', { timeout: 60_000 }, async (t) => {
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0 } });
  const feed = createMemoryFeed();
  const community = 'br0wser-test-s3cret';
  const device = deviceSchema.parse({ id: 'edge-1', host: '192.0.2.1', tags: ['lab'], snmp: { version: '2c', community } });
  const dash = createDashboard(testLog(), config, { registry: createRegistry({ defaultMetrics: false }), feed, store: null, devices: () => [device] });
  let browser: Browser | undefined;
  let rec: PageRecorder | undefined;
  await dash.start();
  try {
    const url = dash.url();
    assert.ok(url, 'dashboard listening');
    browser = await launchChromium();
    rec = await openRecordedPage(browser);
    const { page } = rec;
    const res = await page.goto(url);
    assert.equal(res?.status(), 200);
    await page.locator(STATUS_LIVE).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('empty').isVisible(), true, 'the empty-state text shows before any window');

    const step = 60_000;
    const start = Math.floor(Date.now() / step) * step - 2 * step;
    const w1: WindowResult = sampleWindow({ deviceId: 'edge-1', ifIndex: 3, ifName: 'ge-0/0/3', windowStart: start, windowEnd: start + step, inBps: 1_234_567.5, outBps: 98_765, inUtilization: 0.1234567, outUtilization: 0.0098765, revision: 0 });
    const w2: WindowResult = { ...w1, windowStart: start + step, windowEnd: start + 2 * step, inBps: 2_500_000.25, outBps: 120_000, inUtilization: 0.25, outUtilization: 0.012 };
    assert.equal(feed.push(w1), true);

    const sel = cardSelector('edge-1', 'edge-1/3');
    const card = page.locator(sel);
    await card.waitFor({ timeout: 10_000 });
    assert.equal(await card.getAttribute('data-if-index'), '3');
    assert.equal(await card.getByTestId('interface-name').textContent(), 'ge-0/0/3');
    await waitFor('the first window on the card', async () => (await fieldValue(card, 'in-bps')) === w1.inBps, 10_000, 50);
    assert.equal(await fieldValue(card, 'in-bps'), w1.inBps);
    assert.equal(await fieldValue(card, 'out-bps'), w1.outBps);
    assert.equal(await fieldValue(card, 'window'), w1.windowStart);
    assert.equal(await card.getByTestId('latest-in-bps').textContent(), '1.23 Mb/s');
    assert.equal(await page.getByTestId('window-length').textContent(), 'traffic per 1-minute window', 'the subtitle follows the windows, not a constant');
    assert.equal(await page.getByTestId('empty').isVisible(), false, 'the empty-state text is gone');
    // The device's description comes from /api/devices, without its community.
    await waitFor('the device description', async () => (await page.getByTestId('device-meta').textContent())?.includes('192.0.2.1:161'), 10_000, 50);
    assert.ok(!(await page.content()).includes(community), 'no SNMP community in the page');
    await screenshot(page, 'memory-feed-1');

    // The next window arrives: the latest value changes and the chart gets a second point.
    assert.equal(feed.push(w2), true);
    await waitFor('the latest in bit/s to change', async () => (await fieldValue(card, 'in-bps')) !== w1.inBps, 10_000, 50);
    assert.equal(await fieldValue(card, 'in-bps'), w2.inBps);
    assert.equal(await fieldValue(card, 'out-bps'), w2.outBps);
    assert.equal(await fieldValue(card, 'window'), w2.windowStart);
    assert.equal(await card.getByTestId('latest-in-bps').textContent(), '2.50 Mb/s');

    const ink = await canvasInk(page, sel);
    t.diagnostic(`canvas ${ink.width}x${ink.height}: ${ink.painted} painted pixels, ${ink.inSeries} in-series pixels in the plot area`);
    assert.deepEqual(ink.inData, [w1.inBps, w2.inBps], 'the chart holds both windows');
    assert.ok(ink.painted > 1000, 'the canvas is drawn');
    assert.ok(ink.inSeries > 50, 'the in line is drawn in the plot area');

    await screenshot(page, 'memory-feed');
    await assertCleanPage(rec, url);
  } catch (err) {
    await screenshot(rec?.page, 'memory-feed-failure').catch(() => undefined);
    throw err;
  } finally {
    await browser?.close();
    await dash.stop();
  }
});

void test('dashboard page with the real services: lo traffic polled from snmpd reaches the page through Kafka and is drawn', { timeout: 150_000 }, async (t) => {
  const id = uniqueId('browser');
  const config = testConfig(id, { collector: { pollIntervalSeconds: 1 }, processor: { windowSeconds: 5 } });
  const log = testLog();
  const { components, dashboardUrl } = assemble(log, loaded(config, [stackSnmpDevice('localhost')]), ['collector', 'processor', 'dashboard']);
  const supervisor = createSupervisor(log);
  const running = supervisor.run(components, { handleSignals: false });
  // A service that fails to start (stack down) ends the run early: fail at once instead of timing out.
  const exitedEarly = running.then((code) => {
    throw new Error(`the services stopped before the test finished (exit code ${code}); is the stack up? (npm run stack:up)`);
  });
  void exitedEarly.catch(() => undefined);
  const store = createInfluxStore(config.influx);
  let browser: Browser | undefined;
  let rec: PageRecorder | undefined;
  let code: number | undefined;
  try {
    const url = await Promise.race([waitFor('the dashboard to listen', () => dashboardUrl(), 30_000), exitedEarly]);
    browser = await launchChromium();
    rec = await openRecordedPage(browser);
    const { page } = rec;
    const t0 = Date.now();
    assert.equal((await page.goto(url))?.status(), 200);
    await page.locator(STATUS_LIVE).waitFor({ timeout: 15_000 });

    // The card of lo on the polled device; its series key names the ifIndex snmpd reports.
    const lo = page
      .locator('[data-testid="device-section"][data-device-id="localhost"] [data-testid="interface-card"]')
      .filter({ has: page.locator('[data-testid="interface-name"]', { hasText: /^lo$/ }) });
    const found = await Promise.race([
      waitFor(
        'two windows for lo on the page with a live in bit/s',
        async () => {
          if ((await lo.count()) !== 1) return null;
          const key = await lo.getAttribute('data-series-key', { timeout: 1000 });
          const inBps = await fieldValue(lo, 'in-bps');
          if (!key || inBps === null || !(inBps > 0)) return null;
          const points = await chartPoints(page, cardSelector('localhost', key));
          return points.filter((v) => v !== null).length >= 2 ? { key, points } : null;
        },
        60_000,
        250,
      ),
      exitedEarly,
    ]);
    t.diagnostic(`lo card ${found.key} live after ${Date.now() - t0} ms; in bit/s per window: ${found.points.join(', ')}`);
    const sel = cardSelector('localhost', found.key);
    const card = page.locator(sel);
    const ifIndex = Number(await card.getAttribute('data-if-index'));
    assert.ok(Number.isInteger(ifIndex) && ifIndex >= 1, `lo has an ifIndex (${ifIndex})`);

    // What the page shows is what the processor computed from the polls: the same window is in
    // InfluxDB with the same rate (the processor writes InfluxDB and netmon.windows from one result).
    const shown = await waitFor(
      'the shown window to match the one stored in InfluxDB',
      async () => {
        const windowStart = await fieldValue(card, 'window');
        const inBps = await fieldValue(card, 'in-bps');
        if (windowStart === null || inBps === null) return null;
        const rows = await store.queryWindows({ deviceId: 'localhost', ifIndex, fromMs: windowStart, toMs: windowStart + 1 });
        const stored = rows.find((w) => w.windowStart === windowStart);
        return stored && Math.abs(stored.inBps - inBps) <= Math.abs(inBps) * 1e-12 ? { windowStart, inBps, stored } : null;
      },
      15_000,
      500,
    );
    t.diagnostic(`shown window ${new Date(shown.windowStart).toISOString()}: in ${shown.inBps} bit/s (stored: ${shown.stored.inOctets} octets, ${shown.stored.sampleCount} samples, coverage ${shown.stored.coverage})`);
    assert.ok(shown.stored.sampleCount > 0, 'the window was computed from SNMP samples');
    assert.equal(shown.stored.ifName, 'lo');
    assert.ok(shown.windowStart >= t0 - 60_000, 'a window of this run');

    const ink = await canvasInk(page, sel);
    t.diagnostic(`canvas ${ink.width}x${ink.height}: ${ink.painted} painted pixels, ${ink.inSeries} in-series pixels in the plot area`);
    assert.ok(ink.painted > 1000, 'the canvas is drawn');
    assert.ok(ink.inSeries > 50, 'the in line is drawn in the plot area');

    await screenshot(page, 'full-stack');
    await assertCleanPage(rec, url);
  } catch (err) {
    await screenshot(rec?.page, 'full-stack-failure').catch(() => undefined);
    throw err;
  } finally {
    await browser?.close();
    supervisor.shutdown('test finished');
    code = await running;
  }
  assert.equal(code, 0, 'services stop cleanly');
});
