// The rules part of the alerts page in a real browser (Debian's Chromium through playwright-core)
// against the real stack: a rule added through the form with a bad clear threshold shows the error
// next to that field; fixed, it is saved (rules file + netmon.config through the rule store) and
// listed; edited and deleted from the page, the file follows. Under the page's own CSP, no console
// error beyond the expected 400, no request beyond 127.0.0.1. Fails, never skips, when Chromium or
// the stack is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { systemClock } from '../../common/clock.js';
import { parseRulesText } from '../../common/config/alerts-file.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createRuleStore } from '../../dashboard/alerts/rule-store.js';
import { createKafkaRuleTopic } from '../../dashboard/alerts/rule-topic.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { createActionsView } from '../../common/alerts/actions-view.js';
import { createAlertHistoryStore } from '../../common/store/alert-history.js';
import { artifactPath, launchChromium, openRecordedPage, type PageRecorder } from './browser.js';
import { testConfig, uniqueId } from './stack.js';

const testLog = () => createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', destination: process.stderr });

test('alerts page: add (with a field error first), edit and delete a rule from the form', { timeout: 120_000 }, async () => {
  const id = uniqueId('rulepage');
  const config = testConfig(id, {
    kafka: { samplesPartitions: 1 },
    dashboard: { host: '127.0.0.1', port: 0, groupIdPrefix: `${id}-dash`, auth: { adminPassword: 'alerts-admin-pw' } },
  });
  const file = join(mkdtempSync(join(tmpdir(), 'netmon-rule-page-')), 'alerts.yaml');
  const rulesIn = () => (existsSync(file) ? parseRulesText(readFileSync(file, 'utf8'), 'alerts.yaml', []).rules : []);
  const history = createAlertHistoryStore(config.influx);
  await history.ensureDatabase();
  const actions = createActionsView(testLog(), config, { groupPrefix: `${id}-dash` });
  await actions.start();
  const ruleStore = createRuleStore(testLog(), { file, channelNames: [] }, { topic: createKafkaRuleTopic(testLog(), config.kafka), clock: systemClock, registry: createRegistry({ defaultMetrics: false }) });
  await ruleStore.start();
  const dash = createDashboard(testLog(), config, { registry: createRegistry({ defaultMetrics: false }), feed: createMemoryFeed(), store: null, devices: () => [], alerts: { rules: [], history, actions, ruleStore } });
  await dash.start();
  let browser: Browser | undefined;
  let rec: PageRecorder | undefined;
  try {
    const url = dash.url();
    assert.ok(url);
    browser = await launchChromium();
    rec = await openRecordedPage(browser);
    const { page } = rec;
    page.on('dialog', (d) => void d.accept());
    // Log in first (the alerts API needs a user), and the form brings the browser to the page.
    assert.equal((await page.goto(new URL('/login.html?next=/alerts', url).href))?.status(), 200);
    await page.locator('#login-password').fill('alerts-admin-pw');
    await page.locator('#login-submit').click();
    await page.waitForURL(/\/alerts$/, { timeout: 10_000 });
    const form = page.locator('[data-testid="rule-form"]');
    await form.locator('input[name="id"]').fill('edge-hot');
    await form.locator('select[name="metric"]').selectOption('out_bps');
    await form.locator('input[name="devices"]').fill('edge-1, edge-2');
    await form.locator('input[name="threshold"]').fill('1000');
    await form.locator('input[name="clearThreshold"]').fill('2000');
    await form.locator('[data-testid="rule-save"]').click();
    const clearError = form.locator('[data-error-for="clearThreshold"]');
    await clearError.filter({ hasText: /.+/ }).waitFor({ timeout: 15_000 });
    assert.match(await clearError.innerText(), /^must be <= threshold \(1000\) for comparator ">"$/);
    assert.equal(existsSync(file), false, 'nothing saved');

    await form.locator('input[name="clearThreshold"]').fill('500');
    await form.locator('[data-testid="rule-save"]').click();
    const row = page.locator('[data-testid="rules"] tbody tr[data-rule="edge-hot"]');
    await row.waitFor({ timeout: 15_000 });
    assert.match(await row.innerText(), /edge-hot\s+out_bps\s+devices edge-1,edge-2; interface\s+> 1000 \(clear 500\)/);
    assert.equal(await clearError.innerText(), '');
    assert.deepEqual(rulesIn().map((r) => [r.id, r.metric, r.threshold, r.clearThreshold, r.scope.devices]), [['edge-hot', 'out_bps', 1000, 500, ['edge-1', 'edge-2']]]);

    await row.locator('button', { hasText: 'Edit' }).click();
    assert.equal(await form.locator('input[name="threshold"]').inputValue(), '1000');
    await form.locator('input[name="threshold"]').fill('3000');
    await form.locator('select[name="severity"]').selectOption('critical');
    await form.locator('[data-testid="rule-save"]').click();
    await row.filter({ hasText: '> 3000' }).waitFor({ timeout: 15_000 });
    assert.deepEqual(rulesIn().map((r) => [r.threshold, r.severity]), [[3000, 'critical']]);

    await row.locator('button', { hasText: 'Delete' }).click();
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    assert.deepEqual(rulesIn(), []);
    assert.deepEqual(ruleStore.list(), []);

    assert.deepEqual(rec.pageErrors, [], 'no uncaught exceptions');
    // The one expected error: the browser logs the 400 of the rejected rule.
    assert.deepEqual(rec.consoleErrors.filter((e) => !/status of 400/.test(e)), [], 'no other console errors (CSP refusals included)');
    assert.deepEqual(await rec.cspViolations(), [], 'no CSP violations');
    assert.deepEqual(rec.foreignRequests, [], 'nothing beyond 127.0.0.1');
    assert.deepEqual(rec.failedRequests, [], 'no failed requests');
  } finally {
    if (rec && !rec.page.isClosed()) await rec.page.screenshot({ path: artifactPath('alerts-rules-page.png'), fullPage: true }).catch(() => undefined);
    await browser?.close();
    await dash.stop();
    await ruleStore.stop();
    await actions.stop();
  }
});
