// The alerts page in a real browser (Debian's Chromium through playwright-core) against the real
// stack: alert history and a failed delivery in InfluxDB, acknowledgements and silences on the real
// compacted Kafka topic. The page lists the active alert, the failure and the history; acknowledging
// with a note and silencing through its forms store the actions (read back from Kafka by another view),
// all under the page's own CSP, with no console error and no request beyond 127.0.0.1.
// Fails, never skips, when Chromium or the stack is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { createActionsView } from '../../common/alerts/actions-view.js';
import { createAlertHistoryStore } from '../../common/store/alert-history.js';
import { alertEventsFrom } from './alert-events.js';
import { artifactPath, launchChromium, openRecordedPage, type PageRecorder } from './browser.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const W = 60_000;
const testLog = () => createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', destination: process.stderr });

test('alerts page: active alert, failure and history shown; acknowledge and silence from the page are stored', { timeout: 120_000 }, async () => {
  const id = uniqueId('alertpage');
  const config = testConfig(id, {
    kafka: { samplesPartitions: 1 },
    dashboard: { host: '127.0.0.1', port: 0, groupIdPrefix: `${id}-dash`, auth: { adminPassword: 'alerts-admin-pw' } },
  });
  const rules = [alertRuleSchema.parse({ id: 'uplink-hot', metric: 'in_bps', threshold: 1e6, clearThreshold: 5e5, severity: 'critical' })];
  // Real events, made by the evaluator from windows: one alert firing, in InfluxDB.
  const { t0, events } = alertEventsFrom(rules, W, [1e5, 2e6, 3e6]);
  assert.equal(events.length, 1);
  const history = createAlertHistoryStore(config.influx);
  await history.ensureDatabase();
  await history.writeEvents(events);
  await history.writeDeliveries([{ eventId: events[0].id, ruleId: 'uplink-hot', deviceId: 'core-1', channel: 'pager', status: 'failed', attempts: 6, error: 'connect ECONNREFUSED 127.0.0.1:9', at: Date.now() - 1000 }]);

  const actions = createActionsView(testLog(), config, { groupPrefix: `${id}-dash` });
  await actions.start();
  const dash = createDashboard(testLog(), config, { registry: createRegistry({ defaultMetrics: false }), feed: createMemoryFeed(), store: null, devices: () => [], alerts: { rules, history, actions } });
  await dash.start();
  // Another process's view: the notifier's.
  const other = createActionsView(testLog(), config, { groupPrefix: `${id}-notifier` });
  await other.start();
  let browser: Browser | undefined;
  let rec: PageRecorder | undefined;
  try {
    const url = dash.url();
    assert.ok(url);
    browser = await launchChromium();
    rec = await openRecordedPage(browser);
    const { page } = rec;
    // Log in first (the alerts API needs a user), and the form brings the browser to the page.
    assert.equal((await page.goto(new URL('/login.html?next=/alerts', url).href))?.status(), 200);
    await page.locator('#login-password').fill('alerts-admin-pw');
    await page.locator('#login-submit').click();
    await page.waitForURL(/\/alerts$/, { timeout: 30_000 });
    const row = page.locator('[data-testid="active"] tbody tr[data-alert="uplink-hot|core-1|7"]');
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.innerText(), /critical\s+uplink-hot\s+core-1 xe-0\/1\/0\s+2000000\s+firing/);
    assert.match(await page.locator('[data-testid="failures"] tbody').innerText(), /pager\s+uplink-hot\s+core-1\s+6\s+connect ECONNREFUSED/);
    assert.match(await page.locator('[data-testid="history"] tbody').innerText(), /firing\s+critical\s+uplink-hot/);

    await row.locator('input[name="note"]').fill('optic being replaced');
    await row.locator('button[type="submit"]').click();
    await page.locator('[data-testid="active"] tbody tr .acked').waitFor({ timeout: 30_000 });
    assert.equal(await row.locator('.acked').innerText(), 'acknowledged: optic being replaced');
    const ack = await waitFor('the ack in the other view', () => other.actions.ackOf({ ruleId: 'uplink-hot', deviceId: 'core-1', ifIndex: 7 }), 30_000);
    assert.equal(ack.firingSince, t0 + W);
    assert.equal(ack.note, 'optic being replaced');

    const form = page.locator('[data-testid="silence-form"]');
    await form.locator('input[name="ruleId"]').fill('uplink-hot');
    await form.locator('input[name="minutes"]').fill('45');
    await form.locator('input[name="note"]').fill('maintenance window');
    await form.locator('button[type="submit"]').click();
    await page.locator('[data-testid="silences"] tbody tr').waitFor({ timeout: 30_000 });
    assert.match(await page.locator('[data-testid="silences"] tbody').innerText(), /uplink-hot\s+any\s+maintenance window/);
    const silence = await waitFor('the silence in the other view', () => other.actions.silences()[0], 30_000);
    assert.equal(silence.ruleId, 'uplink-hot');
    assert.equal(silence.until, silence.at + 45 * 60_000);

    assert.deepEqual(rec.pageErrors, [], 'no uncaught exceptions');
    assert.deepEqual(rec.consoleErrors, [], 'no console errors (CSP refusals included)');
    assert.deepEqual(await rec.cspViolations(), [], 'no CSP violations');
    assert.deepEqual(rec.foreignRequests, [], 'nothing beyond 127.0.0.1');
    assert.deepEqual(rec.failedRequests, [], 'no failed requests');
  } finally {
    if (rec && !rec.page.isClosed()) await rec.page.screenshot({ path: artifactPath('alerts-page.png'), fullPage: true }).catch(() => undefined);
    await browser?.close();
    await other.stop();
    await dash.stop();
    await actions.stop();
  }
});
