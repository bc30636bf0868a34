// The dashboard page in a real browser (Debian's Chromium through playwright-core), under the page's
// own CSP, with chart.js from this server and no request beyond 127.0.0.1. First the dashboard's
// Kafka feed and InfluxDB store with records we produce: the overview loads, the device's status and
// a value change when a window arrives on the real topic, and the device page draws history from
// InfluxDB (raw windows with gaps, hourly rollups, a drag zoom). Then the real collector + processor
// + dashboard against the stack's snmpd, where the numbers come from SNMP polls through Kafka.
// Fails, never skips, when Chromium or the stack is missing (`npm test` provides both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { assemble } from '../../cli/services.js';
import { deviceSchema } from '../../common/config/schema.js';
import type { WindowResult } from '../../common/contracts/window-result.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createKafka, defaultPartitioner } from '../../common/bus/kafka.js';
import { encodeAlertEvent } from '../../common/contracts/alert-event.js';
import { encodeDeviceStatus } from '../../common/contracts/device-status.js';
import { encodeWindowResult } from '../../common/contracts/window-result.js';
import { createInfluxStore, rollupSelect } from '../../common/store/influx.js';
import { sampleWindow } from '../../dashboard/dashboard.fixture.js';
import { createKafkaWindowFeed } from '../../dashboard/feed/kafka-window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { artifactPath, canvasInk, chartPoints, launchChromium, openRecordedPage, type PageRecorder } from './browser.js';
import { loaded, stackSnmpDevice, testConfig, uniqueId, waitFor } from './stack.js';

const testLog = () => createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', destination: process.stderr });

const STATUS_LIVE = '[data-testid="status"][data-state="live"]';

/** A card on the device page (#/device/<id>). */
function cardSelector(seriesKey: string): string {
  return `[data-testid="interface-card"][data-series-key="${seriesKey}"]`;
}

/** A latest-value field's raw number (data-value), or null while it shows nothing. */
async function fieldValue(card: Locator, name: string, timeout = 1000): Promise<number | null> {
  const testId = name.startsWith('device-') || name.startsWith('latest-') ? name : `latest-${name}`;
  const raw = await card.locator(`[data-testid="${testId}"]`).getAttribute('data-value', { timeout });
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
  for (const path of ['/', '/app.js', '/app.css', '/vendor/chart.umd.js', '/live-model.js']) {
    const url = new URL(path, origin).href;
    assert.ok(rec.responses.some((r) => r.url === url && r.status === 200), `${url} loaded with 200 (responses: ${rec.responses.map((r) => `${r.url} ${r.status}`).join(', ')})`);
  }
  const live = new URL('/live?view=', origin.replace(/^http/, 'ws')).href;
  assert.ok(rec.requests.some((u) => u.startsWith(live)), `the page opened the /live WebSocket for its view (requests: ${rec.requests.join(', ')})`);
  assert.equal(await rec.page.evaluate(() => typeof (globalThis as unknown as { Chart?: unknown }).Chart), 'function', 'chart.js is loaded');
}

async function screenshot(page: Page | undefined, name: string): Promise<void> {
  if (!page || page.isClosed()) return;
  await page.screenshot({ path: artifactPath(`dashboard-${name}.png`), fullPage: true });
}

/** Runs an InfluxQL statement against the stack's InfluxDB (here: the rollup backfill). */
async function influxQuery(influxUrl: string, db: string, q: string): Promise<void> {
  const res = await fetch(new URL('/query', influxUrl), { method: 'POST', body: new URLSearchParams({ db, q }) });
  const text = await res.text();
  if (!res.ok || text.includes('"error"')) throw new Error(`InfluxDB ${q.slice(0, 60)}…: ${res.status} ${text}`);
}

/** The points chart.js holds for both series of a card, plus the page's history note. */
async function historyState(page: Page, sel: string) {
  const inData = await chartPoints(page, sel);
  const resolution = await page.getByTestId('range-note').getAttribute('data-resolution');
  return { inData, resolution };
}

void test('overview and device page against real Kafka and InfluxDB: status, a value change and an alert live, history 1 h (gaps) and 7 d (rollups), zoom', { timeout: 120_000 }, async (t) => {
  const id = uniqueId('dashview');
  // The pages read only: the anonymous viewer role (docs/security.md) stands in for a login.
  const config = testConfig(id, { dashboard: { auth: { anonymousRole: 'viewer' } } });
  const log = testLog();
  const registry = createRegistry({ defaultMetrics: false });
  const feed = createKafkaWindowFeed(log, config, { registry });
  const store = createInfluxStore(config.influx);
  const community = 'br0wser-test-s3cret';
  const device = deviceSchema.parse({ id: 'edge-1', host: '192.0.2.1', tags: ['lab'], snmp: { version: '2c', community } });
  const dash = createDashboard(log, config, { registry, feed, store, devices: () => [device] });
  const kafka = createKafka(log, config.kafka, 'browser-test');
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  let browser: Browser | undefined;
  let rec: PageRecorder | undefined;
  await store.ensureDatabase();
  await feed.start();
  await feed.ready();
  await dash.start();
  await producer.connect();
  try {
    const url = dash.url();
    assert.ok(url, 'dashboard listening');
    browser = await launchChromium();
    rec = await openRecordedPage(browser);
    const { page } = rec;
    assert.equal((await page.goto(url))?.status(), 200);
    await page.locator(STATUS_LIVE).waitFor({ timeout: 15_000 });
    const row = page.locator('[data-testid="device-row"][data-device-id="edge-1"]');
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await row.getByTestId('device-state').getAttribute('data-value'), 'unknown', 'no status before the first poll status');

    const step = 60_000;
    const start = Math.floor(Date.now() / step) * step - 2 * step;
    const iface1: WindowResult = sampleWindow({ deviceId: 'edge-1', ifIndex: 3, ifName: 'ge-0/0/3', windowStart: start, windowEnd: start + step, inBps: 1_234_567.5, outBps: 98_765, inUtilization: 12.3, outUtilization: 1, revision: 0 });
    const total1: WindowResult = { ...iface1, ifIndex: null, ifName: null };
    const iface2: WindowResult = { ...iface1, windowStart: start + step, windowEnd: start + 2 * step, inBps: 2_500_000.25, outBps: 120_000, inUtilization: 25, outUtilization: 1.2 };
    const total2: WindowResult = { ...iface2, ifIndex: null, ifName: null };
    // The collector's clock stepped an hour forward a minute ago: the device page says so.
    const clockJump = { stepMs: 3_600_000, at: Date.now() - 60_000 };
    const status = { deviceId: 'edge-1', state: 'up' as const, lastError: null, lastPollAt: Date.now(), lastSuccessAt: Date.now(), lastPollDurationMs: 8, interfaces: 1, lastClockJump: clockJump };
    // Produced until seen: the consumer starts at the latest offset, so a record sent while it
    // resolves that offset can be missed; the page drops the duplicates (same revision).
    const produce = async (ws: WindowResult[]) => {
      await producer.send({ topic: config.kafka.topics.windows, messages: ws.map((w) => ({ key: w.deviceId, value: encodeWindowResult(w) })) });
      await producer.send({ topic: config.kafka.topics.status, messages: [{ key: status.deviceId, value: encodeDeviceStatus(status) }] });
    };
    await waitFor('the first window on the overview', async () => {
      await produce([iface1, total1]);
      return (await fieldValue(row, 'device-in-bps', 1000)) === total1.inBps;
    }, 30_000, 1000);
    assert.equal(await row.getByTestId('device-in-bps').textContent(), '1.23 Mb/s');
    assert.equal(await row.getByTestId('device-utilization').textContent(), '12 %');
    await waitFor('the device status', async () => (await row.getByTestId('device-state').getAttribute('data-value')) === 'up', 10_000, 100);
    assert.ok(!(await page.content()).includes(community), 'no SNMP community in the page');
    await screenshot(page, 'overview-1');

    // The next window arrives through Kafka: the value on the overview changes, the top lists follow.
    await waitFor('the overview value to change', async () => {
      await produce([iface2, total2]);
      return (await fieldValue(row, 'device-in-bps', 1000)) === total2.inBps;
    }, 30_000, 1000);
    assert.equal(await row.getByTestId('device-in-bps').textContent(), '2.50 Mb/s');
    assert.equal(await page.getByTestId('top-bps').getByTestId('top-entry').first().getAttribute('data-series-key'), 'edge-1/3');
    assert.match((await page.getByTestId('top-utilization').textContent()) ?? '', /edge-1 ge-0\/0\/3 25 %/);
    // An alert on the real alerts topic is relayed to the page as it comes.
    const alert = { ruleId: 'util-high', deviceId: 'edge-1', ifIndex: 3, state: 'firing' as const, severity: 'warning' as const, metric: 'inUtilization', value: 25, threshold: 20, windowStart: iface2.windowStart, ts: Date.now(), message: 'in utilization 25 % above 20 %' };
    await waitFor('the alert on the overview', async () => {
      await producer.send({ topic: config.kafka.topics.alerts, messages: [{ key: alert.deviceId, value: encodeAlertEvent(alert) }] });
      return ((await page.getByTestId('alerts').textContent()) ?? '').includes('edge-1/3 firing: in utilization 25 % above 20 %');
    }, 30_000, 1000);
    const spark = await page.evaluate(() => {
      const g = globalThis as unknown as { document: { querySelector(s: string): unknown }; Chart: { getChart(c: unknown): { data: { datasets: { data: unknown[] }[] } } | undefined } };
      return g.Chart.getChart(g.document.querySelector('[data-device-id="edge-1"] canvas'))?.data.datasets[0].data;
    });
    assert.deepEqual(spark, [total1.inBps + total1.outBps, total2.inBps + total2.outBps], 'the sparkline holds both windows');
    await screenshot(page, 'overview');

    // History in InfluxDB: the last hour with a 10-minute gap and a partial window; one hour 3 days ago, rolled up.
    const now = Date.now();
    const hist: WindowResult[] = [];
    const h0 = Math.floor(now / step) * step - 50 * step;
    for (let k = 0; k < 40; k++) {
      if (k >= 10 && k < 20) continue; // the gap
      hist.push({ ...iface1, windowStart: h0 + k * step, windowEnd: h0 + (k + 1) * step, inBps: 1e6 + k * 1e4, coverage: k === 25 ? 0.5 : 1 });
    }
    const oldHour = Math.floor(now / 3_600_000) * 3_600_000 - 72 * 3_600_000;
    for (let k = 0; k < 60; k++) hist.push({ ...iface1, windowStart: oldHour + k * step, windowEnd: oldHour + (k + 1) * step, inBps: 5e8 });
    await store.writeWindows(hist);
    await influxQuery(config.influx.url, config.influx.database, rollupSelect(config.influx.database, 'interface_window', 60, `time >= ${oldHour}ms AND time < ${oldHour + 3_600_000}ms`));

    await page.getByTestId('device-link').first().click();
    // The device page reconnects /live for its view, so its hello brings that device's windows.
    await waitFor('the device view connection', () => rec?.requests.some((u) => u.endsWith('/live?view=device&device=edge-1')), 10_000, 50);
    const sel = '[data-testid="interface-card"][data-series-key="edge-1/3"]';
    const card = page.locator(sel);
    await card.waitFor({ timeout: 10_000 });
    assert.equal(await fieldValue(card, 'latest-in-bps', 1000), iface2.inBps, 'the device page shows the live value');
    const clockLine = page.getByTestId('device-clock-step');
    await clockLine.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await clockLine.textContent()) ?? '', /^collector clock stepped \+3600 s at /, 'the collector clock step is shown');
    await screenshot(page, 'device-clock-step');
    await page.getByTestId('range-1h').click();
    const raw = await waitFor('the 1 h history', async () => {
      const st = await historyState(page, sel);
      return st.resolution === 'raw' && st.inData.length === 60 && st.inData.some((v) => v !== null) ? st : null;
    }, 15_000, 200);
    const shown = hist.filter((w) => w.windowStart >= now - 3_600_000 && w.windowStart < now);
    t.diagnostic(`1 h: ${raw.inData.filter((v) => v !== null).length} points, ${raw.inData.filter((v) => v === null).length} gaps`);
    assert.equal(raw.inData.filter((v) => v !== null).length, shown.length, 'every stored window is a point');
    assert.ok(raw.inData.filter((v) => v === null).length >= 10, 'the missing windows are gaps (null), not zeros');
    assert.ok(!raw.inData.includes(0), 'no zero stands in for a missing window');
    assert.equal(await card.getAttribute('data-history-points'), String(shown.length));
    await screenshot(page, 'device-1h');

    // Drag across the chart: the history zooms to the selection (still raw windows).
    const box = await page.locator(`${sel} canvas`).boundingBox();
    assert.ok(box, 'chart canvas has a box');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('reset-zoom').waitFor({ state: 'visible', timeout: 10_000 });
    const zoomed = await waitFor('the zoomed history', async () => {
      const st = await historyState(page, sel);
      return st.inData.length > 0 && st.inData.length < 60 ? st : null;
    }, 15_000, 200);
    t.diagnostic(`zoomed: ${zoomed.inData.length} slots`);
    assert.match((await page.getByTestId('range-note').textContent()) ?? '', /zoomed/);
    await screenshot(page, 'device-zoomed');

    await page.getByTestId('range-7d').click();
    const rolled = await waitFor('the 7 d history from the rollups', async () => {
      const st = await historyState(page, sel);
      return st.resolution === 'rollup' && st.inData.length === 7 * 24 ? st : null;
    }, 15_000, 200);
    const values = rolled.inData.filter((v): v is number => v !== null);
    t.diagnostic(`7 d: ${values.length} hourly points: ${values.join(', ')}`);
    assert.ok(values.includes(5e8), 'the rolled-up hour 3 days ago is drawn at its mean rate');
    assert.ok(rolled.inData.filter((v) => v === null).length > 100, 'hours without data are gaps');
    await screenshot(page, 'device-7d');
    await assertCleanPage(rec, url);
  } catch (err) {
    await screenshot(rec?.page, 'kafka-influx-failure').catch(() => undefined);
    throw err;
  } finally {
    await browser?.close();
    await producer.disconnect();
    await dash.stop();
    await feed.stop();
  }
});

void test('dashboard page with the real services: lo traffic polled from snmpd reaches the page through Kafka and is drawn', { timeout: 150_000 }, async (t) => {
  const id = uniqueId('browser');
  const config = testConfig(id, { collector: { pollIntervalSeconds: 1 }, processor: { windowSeconds: 5 }, dashboard: { auth: { anonymousRole: 'viewer' } } });
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
    assert.equal((await page.goto(`${url}#/device/localhost`))?.status(), 200);
    await page.locator(STATUS_LIVE).waitFor({ timeout: 15_000 });

    // The card of lo on the polled device; its series key names the ifIndex snmpd reports.
    const lo = page
      .locator('[data-testid="interface-card"]')
      .filter({ has: page.locator('[data-testid="interface-name"]', { hasText: /^lo$/ }) });
    const found = await Promise.race([
      waitFor(
        'two windows for lo on the page with a live in bit/s',
        async () => {
          if ((await lo.count()) !== 1) return null;
          const key = await lo.getAttribute('data-series-key', { timeout: 1000 });
          const inBps = await fieldValue(lo, 'in-bps');
          if (!key || inBps === null || !(inBps > 0)) return null;
          const points = await chartPoints(page, cardSelector(key));
          return points.filter((v) => v !== null).length >= 2 ? { key, points } : null;
        },
        60_000,
        250,
      ),
      exitedEarly,
    ]);
    t.diagnostic(`lo card ${found.key} live after ${Date.now() - t0} ms; in bit/s per window: ${found.points.join(', ')}`);
    const sel = cardSelector(found.key);
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
