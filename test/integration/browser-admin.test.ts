// The devices admin page in a real browser (Debian's Chromium through playwright-core), against the
// dashboard with a real devices file and netmon.config topic on the stack's Kafka: log in, add a
// device through the form (test connection against the stack's snmpd shows its sysName), it
// appears in the list and on the topic, and a running collector (following netmon.config) polls it
// within a poll interval, its status shown in the list; a bad host shows the error next to the field; bulk import
// shows its per-row report; secrets never reach the page; no CSP violation, nothing off-host.
// Screenshots go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { deviceSchema } from '../../common/config/schema.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createDeviceAdmin } from '../../dashboard/devices/admin.js';
import { createKafkaConfigTopic } from '../../dashboard/devices/config-topic.js';
import { probeDevice } from '../../dashboard/devices/probe.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { artifactPath, launchChromium, openRecordedPage, type PageRecorder } from './browser.js';
import { stackEnv, testConfig, uniqueId, waitFor } from './stack.js';
import { createCollectorService } from '../../collector/main.js';
import { systemClock } from '../../common/clock.js';

const testLog = () => createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', destination: process.stderr });
const PASSWORD = 'browser-admin-password';

async function screenshot(page: Page | undefined, name: string): Promise<void> {
  if (!page || page.isClosed()) return;
  await page.screenshot({ path: artifactPath(`admin-${name}.png`), fullPage: true });
}

void test('admin page: log in, test connection shows the snmpd sysName, add a device, bad host error, bulk import report', { timeout: 120_000 }, async (t) => {
  const env = stackEnv();
  const id = uniqueId('badmin');
  const config = testConfig(id, { dashboard: { auth: { adminPassword: PASSWORD } }, collector: { pollIntervalSeconds: 2 } });
  const log = testLog();
  const dir = mkdtempSync(join(tmpdir(), 'netmon-badmin-'));
  const file = join(dir, 'devices.yaml');
  writeFileSync(file, 'devices:\n  - id: existing\n    host: 127.0.0.31\n    snmp: { version: "2c", community: existing-s3cret }\n');
  const registry = createRegistry({ defaultMetrics: false });
  const admin = createDeviceAdmin(log, { config, devicesPath: file, env: {} }, { registry });
  // A real collector with no devices of its own: it learns them from netmon.config, as deployed.
  const collector = createCollectorService(log, { ...config, devices: [] }, { registry, clock: systemClock });
  for (const c of collector.components) await c.start();
  t.after(async () => {
    for (const c of [...collector.components].reverse()) await c.stop();
  });
  const dash = createDashboard(log, config, { registry, feed: createMemoryFeed(), store: null, devices: () => [], admin, statusOf: (d) => collector.snmp.statusOf(d) });
  const reader = createKafkaConfigTopic(log, config.kafka, { groupIdPrefix: `${id}-reader` });
  await admin.store.start();
  t.after(() => admin.store.stop());
  await dash.start();
  t.after(() => dash.stop());
  await reader.connect();
  t.after(() => reader.disconnect());

  // What the probe sees, for comparison with what the page shows.
  const expected = await probeDevice(deviceSchema.parse({ id: 'x', host: env.snmpHost, port: env.snmpPort, snmp: { version: '2c', community: env.community } }), { timeoutMs: 2000, retries: 1, maxRepetitions: 20 });
  assert.ok(expected.sysName.length > 0);

  const origin = dash.url()!.replace(/\/$/, '');
  let browser: Browser | undefined;
  let rec: PageRecorder | undefined;
  try {
    browser = await launchChromium();
    rec = await openRecordedPage(browser);
    const { page } = rec;

    // Not logged in: the admin page sends the browser to the login form.
    await page.goto(`${origin}/admin.html`);
    await page.waitForURL(/\/login\.html/, { timeout: 10_000 });
    await page.locator('#login-password').fill(PASSWORD);
    await screenshot(page, 'login');
    await page.locator('#login-submit').click();
    await page.waitForURL(/\/admin\.html$/, { timeout: 10_000 });
    await page.locator('#device-table tbody tr[data-id="existing"]').waitFor({ timeout: 10_000 });

    // Add a device: test connection first, then save.
    await page.locator('#add-device').click();
    const form = page.locator('#device-form');
    await form.locator('[name=id]').fill('lab-agent');
    await form.locator('[name=host]').fill(env.snmpHost);
    await form.locator('[name=port]').fill(String(env.snmpPort));
    await form.locator('[name=version]').selectOption('2c');
    await form.locator('[name=community]').fill(env.community);
    await page.locator('#test-device').click();
    const result = page.locator('#test-result.ok');
    await result.waitFor({ timeout: 15_000 });
    const shown = (await result.textContent()) ?? '';
    assert.ok(shown.startsWith(expected.sysName), `test result "${shown}" starts with the sysName "${expected.sysName}"`);
    assert.match(shown, new RegExp(`${expected.interfaceCount} interfaces`));
    await screenshot(page, 'test-connection');
    await page.locator('#save-device').click();
    await page.locator('#device-table tbody tr[data-id="lab-agent"]').waitFor({ timeout: 10_000 });
    assert.match(readFileSync(file, 'utf8'), /id: lab-agent/);
    await waitFor('lab-agent on netmon.config', async () => (await reader.readDevices()).get('lab-agent')?.host === env.snmpHost, 15_000, 300);
    // The collector picked it up from the topic and polls it: the list shows it up.
    const agentRow = page.locator('#device-table tbody tr[data-id="lab-agent"]');
    let rowText = '';
    await waitFor('lab-agent polled and shown up', async () => {
      await page.reload();
      await agentRow.waitFor({ timeout: 5_000 });
      // The fifth cell is the status the collector reports.
      rowText = (await agentRow.locator('td').nth(4).textContent()) ?? '';
      return rowText === 'up';
    }, 30_000, 1000).catch((err: unknown) => assert.fail(`${(err as Error).message}; the status cell shows "${rowText}"; the collector says ${JSON.stringify(collector.snmp.statusOf('lab-agent'))}`));
    await screenshot(page, 'added');

    // A bad host: the error shows next to the host field, nothing is saved.
    await page.locator('#add-device').click();
    await form.locator('[name=id]').fill('bad-one');
    await form.locator('[name=host]').fill('not a host!');
    await form.locator('[name=community]').fill('whatever');
    await page.locator('#save-device').click();
    const hostError = form.locator('.err[data-for="host"]');
    await waitFor('the host error', async () => ((await hostError.textContent()) ?? '').length > 0, 10_000, 100);
    assert.match((await hostError.textContent()) ?? '', /hostname or an IP address/);
    assert.equal(await page.locator('#device-table tbody tr[data-id="bad-one"]').count(), 0);
    assert.doesNotMatch(readFileSync(file, 'utf8'), /bad-one/);
    await screenshot(page, 'bad-host');
    await page.locator('#cancel-edit').click();

    // Editing shows no secret: the community field is empty, its placeholder says it is set.
    await page.locator('#device-table tbody tr[data-id="existing"] button.edit').click();
    await waitFor('the editor for existing', async () => (await page.locator('#editor-title').textContent()) === 'Edit existing' && (await form.locator('[name=host]').inputValue()) === '127.0.0.31', 10_000, 50);
    assert.equal(await form.locator('[name=community]').inputValue(), '');
    assert.match((await form.locator('[name=community]').getAttribute('placeholder')) ?? '', /\(set/);
    // Saving with the secret left empty changes the host and keeps the stored community.
    await form.locator('[name=host]').fill('127.0.0.32');
    await page.locator('#save-device').click();
    await waitFor('the edited host in the list', async () => ((await page.locator('#device-table tbody tr[data-id="existing"]').textContent()) ?? '').includes('127.0.0.32:161'), 10_000, 100);
    assert.match(readFileSync(file, 'utf8'), /host: 127\.0\.0\.32[\s\S]*community: existing-s3cret/);
    // Disable from the list.
    await page.locator('#device-table tbody tr[data-id="existing"] button.toggle').click();
    await waitFor('existing disabled', async () => ((await page.locator('#device-table tbody tr[data-id="existing"]').textContent()) ?? '').includes('Enable'), 10_000, 100);
    assert.equal(admin.store.get('existing')?.enabled, false);

    // Bulk import with one bad row: the report shows both rows, the good one is applied.
    await page.locator('#import-text').fill('id,host,version,community\nimp-1,127.0.0.35,2c,imp-s3cret\nimp-2,bad host,2c,x\n');
    await page.locator('#import-run').click();
    const reportRows = page.locator('#import-report tbody tr');
    await waitFor('the import report', async () => (await reportRows.count()) === 2, 10_000, 100);
    assert.match((await reportRows.nth(0).textContent()) ?? '', /imp-1.*created/);
    assert.match((await reportRows.nth(1).textContent()) ?? '', /imp-2.*host: /);
    await page.locator('#device-table tbody tr[data-id="imp-1"]').waitFor({ timeout: 10_000 });
    await screenshot(page, 'import');

    const html = await page.content();
    for (const secret of [env.community, 'existing-s3cret', 'imp-s3cret']) assert.ok(!html.includes(secret), `no ${secret.slice(0, 3)}… in the page`);
    assert.deepEqual(rec.pageErrors, [], 'no uncaught exceptions');
    // Chromium logs every 4xx response; the one 400 is the bad-host save above, and nothing else.
    const expected400 = `status of 400 (Bad Request) (${origin}/api/devices:0)`;
    assert.deepEqual(rec.consoleErrors.filter((e) => !e.endsWith(expected400)), [], 'no console errors but the expected 400');
    assert.equal(rec.responses.filter((r) => r.status === 400).length, 1, 'one 400: the bad host');
    assert.deepEqual(await rec.cspViolations(), [], 'no CSP violations');
    assert.deepEqual(rec.foreignRequests, [], 'nothing requested from another host');

    // The API docs page renders offline, under the same CSP.
    await page.goto(`${origin}/docs`);
    await page.getByText('netmon dashboard API').first().waitFor({ timeout: 15_000 });
    await screenshot(page, 'docs');
    assert.deepEqual(rec.foreignRequests, [], 'the docs page requests nothing from another host');
    assert.deepEqual(await rec.cspViolations(), [], 'the docs page runs under the CSP without violations');
    assert.deepEqual(rec.pageErrors, [], 'no uncaught exceptions on the docs page');
  } catch (err) {
    await screenshot(rec?.page, 'failure').catch(() => undefined);
    throw err;
  } finally {
    await browser?.close();
  }
});
