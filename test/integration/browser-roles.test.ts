// Roles in a real browser (Debian's Chromium through playwright-core) against a real dashboard: a
// users file, a devices file on the stack's Kafka (netmon.config), alerts in InfluxDB and silences
// on the real actions topic. A viewer (created in the user store, logs in through the form) sees no
// admin or operator control on the overview, device, alerts and admin pages (the controls are in the
// page, hidden), and a write sent through the page's own fetch helper (with its CSRF token) is
// refused 403. An admin sees the controls and they work: add a device; in the users section add a
// user (an error next to the field first), change its role, set its password, create a token (shown
// once, then it authenticates), revoke it (then it does not), remove the user. Logging out ends the
// session: the page's next API call is 401, and so is the old cookie replayed. Screenshots go to
// test-artifacts/roles-*.png. Fails, never skips, when Chromium or the stack is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { createActionsView } from '../../common/alerts/actions-view.js';
import { createLogger, silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createAlertHistoryStore } from '../../common/store/alert-history.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { createDeviceAdmin } from '../../dashboard/devices/admin.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { createUserStore } from '../../dashboard/users/user-store.js';
import { alertEventsFrom } from './alert-events.js';
import { artifactPath, launchChromium, openRecordedPage, type PageRecorder } from './browser.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const testLog = () => createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', destination: process.stderr });
const W = 60_000;
const VIEWER = { name: 'vera', password: 'vera-viewer-pw' };
const ADMIN = { name: 'ada', password: 'ada-admin-password' };

async function shot(page: Page | undefined, name: string): Promise<void> {
  if (page && !page.isClosed()) await page.screenshot({ path: artifactPath(`roles-${name}.png`), fullPage: true });
}

/** Every visible button, input, select and textarea, named by id, test id, name or text. */
async function visibleControls(page: Page): Promise<string[]> {
  const out: string[] = [];
  for (const c of await page.locator('button, input, select, textarea').all()) {
    if (!(await c.isVisible())) continue;
    const [id, testid, name, text] = await Promise.all([c.getAttribute('id'), c.getAttribute('data-testid'), c.getAttribute('name'), c.textContent()]);
    out.push(id ? `#${id}` : testid ? `[${testid}]` : name ? `[name=${name}]` : `"${(text ?? '').trim()}"`);
  }
  return out;
}

/** A write sent by the page through its own helper (utils/http.js: session CSRF token included): the status and message it got. */
function writeThroughPage(page: Page, method: string, url: string, body: unknown): Promise<{ status: number; message: string; csrf: boolean }> {
  return page.evaluate(async ([m, u, b]) => {
    // A URL of the page, not a module of this project: a variable keeps TypeScript from resolving it.
    const helper = '/utils/http.js';
    const http = (await import(helper)) as { createApi: () => { session(): Promise<{ csrfToken: string | null }>; send(m: string, u: string, b: unknown): Promise<unknown> } };
    const api = http.createApi();
    const csrf = (await api.session()).csrfToken !== null;
    try {
      await api.send(m, u, b);
      return { status: 200, message: 'accepted', csrf };
    } catch (err) {
      return { status: (err as { status: number }).status, message: (err as Error).message, csrf };
    }
  }, [method, url, body] as const);
}

async function logIn(page: Page, origin: string, next: string, who: { name: string; password: string }): Promise<void> {
  await page.goto(`${origin}${next}`);
  await page.waitForURL(/\/login\.html/, { timeout: 10_000 });
  await page.locator('#login-username').fill(who.name);
  await page.locator('#login-password').fill(who.password);
  await page.locator('#login-submit').click();
  await page.waitForURL((u) => u.pathname === next, { timeout: 10_000 });
}

void test('roles in the browser: a viewer sees no write controls and is refused; an admin adds a device, manages users and tokens; logout ends the session', { timeout: 180_000 }, async (t) => {
  const id = uniqueId('roles');
  const config = testConfig(id, {
    kafka: { samplesPartitions: 1 },
    dashboard: { groupIdPrefix: `${id}-dash` },
  });
  const log = testLog();
  const registry = createRegistry({ defaultMetrics: false });
  const dir = mkdtempSync(join(tmpdir(), 'netmon-roles-'));
  const devicesFile = join(dir, 'devices.yaml');
  writeFileSync(devicesFile, 'devices:\n  - id: core-1\n    host: 127.0.0.41\n    snmp: { version: "2c", community: core-s3cret }\n');
  // The users, as `netmon user add` makes them: a users file with scrypt hashes.
  const users = createUserStore(silentLogger, { file: join(dir, 'users.yaml'), adminPassword: null, adminToken: null });
  await users.add(VIEWER.name, 'viewer', VIEWER.password);
  await users.add(ADMIN.name, 'admin', ADMIN.password);
  const setup = users.addToken('test-setup', 'admin').token;

  // One alert firing in InfluxDB (made by the evaluator from windows), so the page has something to acknowledge.
  const rules = [alertRuleSchema.parse({ id: 'core-hot', metric: 'in_bps', threshold: 1e6, severity: 'critical' })];
  const { events } = alertEventsFrom(rules, W, [1e5, 2e6]);
  assert.equal(events.length, 1, 'one firing alert');
  // The windows' database first: its retention policies are made there, and the history writes go to them.
  const store = createInfluxStore(config.influx);
  await store.ensureDatabase();
  const history = createAlertHistoryStore(config.influx);
  await history.ensureDatabase();
  await history.writeEvents(events);

  const actions = createActionsView(log, config, { groupPrefix: `${id}-dash` });
  await actions.start();
  t.after(() => actions.stop());
  const admin = createDeviceAdmin(log, { config, devicesPath: devicesFile, env: {} }, { registry });
  await admin.store.start();
  t.after(() => admin.store.stop());
  const dash = createDashboard(log, config, { registry, feed: createMemoryFeed(), store, devices: () => [], admin, users, alerts: { rules, history, actions } });
  await dash.start();
  t.after(() => dash.stop());
  const origin = dash.url()!.replace(/\/$/, '');
  const api = (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) =>
    fetch(`${origin}${path}`, { method: init.method ?? 'GET', headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers }, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const asSetup = { authorization: `Bearer ${setup}` };
  // A silence, so the page lists one (with its Lift button).
  assert.equal((await api('/api/alerts/silences', { method: 'POST', headers: asSetup, body: { ruleId: 'core-hot', minutes: 30, note: 'maintenance' } })).status, 201);

  let browser: Browser | undefined;
  let rec: PageRecorder | undefined;
  try {
    browser = await launchChromium();

    // ---- viewer ----
    rec = await openRecordedPage(browser);
    let page = rec.page;
    page.on('dialog', (d) => void d.accept());
    await logIn(page, origin, '/admin.html', VIEWER);
    await page.locator('#device-table tbody tr[data-id="core-1"]').waitFor({ timeout: 10_000 });
    assert.match((await page.locator('#banner').textContent()) ?? '', /Read-only: vera has role viewer/);
    // The admin controls are in the page, hidden.
    assert.equal(await page.locator('#device-table tbody tr[data-id="core-1"] button').count(), 3, 'edit, disable, remove are in the row');
    assert.equal(await page.locator('#users, #import, #add-device').count(), 3);
    assert.deepEqual(await visibleControls(page), ['#logout'], 'admin page: nothing but log out');
    assert.equal(await page.locator('#user-table tbody tr').count(), 0, 'the users are not even asked for');
    await shot(page, 'viewer-admin');
    const deviceWrite = await writeThroughPage(page, 'POST', '/api/devices', { id: 'sneaky', host: '127.0.0.50', snmp: { version: '2c', community: 'x' } });
    assert.deepEqual(deviceWrite, { status: 403, message: 'this needs role admin; vera has viewer', csrf: true });
    const userWrite = await writeThroughPage(page, 'POST', '/api/users', { name: 'mallory', role: 'admin', password: 'mallory-password' });
    assert.equal(userWrite.status, 403);
    assert.doesNotMatch(readFileSync(devicesFile, 'utf8'), /sneaky/);
    assert.equal(users.list().users.some((u) => u.name === 'mallory'), false);

    await page.goto(`${origin}/`);
    await page.locator('[data-testid="device-row"][data-device-id="core-1"]').waitFor({ timeout: 10_000 });
    const overviewControls = await visibleControls(page);
    assert.ok(overviewControls.every((c) => /^\[(device-search|tag-filter|status-filter|page-|sort-)/.test(c)), `overview: only view controls: search, filters, sort, paging (${overviewControls.join(', ')})`);
    await shot(page, 'viewer-overview');
    await page.goto(`${origin}/#/device/core-1`);
    await page.locator('[data-testid="range-1h"]').waitFor({ timeout: 10_000 });
    const deviceControls = await visibleControls(page);
    assert.ok(deviceControls.length > 0 && deviceControls.every((c) => /^\[(range-|reset-zoom)/.test(c)), `device page: only view controls (${deviceControls.join(', ')})`);
    await shot(page, 'viewer-device');

    await page.goto(`${origin}/alerts`);
    await page.locator('[data-testid="rules"] tbody tr[data-rule="core-hot"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="active"] tbody tr').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="silences"] tbody tr').waitFor({ timeout: 15_000 });
    for (const sel of ['[data-testid="active"] td button', '[data-testid="silences"] button', '[data-testid="rules"] button', '[data-testid="silence-form"]', '[data-testid="rule-form"]']) {
      assert.ok((await page.locator(sel).count()) > 0, `${sel} is in the page`);
    }
    assert.deepEqual(await visibleControls(page), [], 'alerts page: no acknowledge, silence, lift or rule control');
    await shot(page, 'viewer-alerts');
    const silenceWrite = await writeThroughPage(page, 'POST', '/api/alerts/silences', { minutes: 10, note: 'viewer try' });
    assert.deepEqual([silenceWrite.status, silenceWrite.message], [403, 'this needs role operator; vera has viewer']);
    assert.deepEqual(rec.pageErrors, [], 'no uncaught exceptions (viewer)');
    assert.deepEqual(await rec.cspViolations(), [], 'no CSP violations (viewer)');
    await rec.context.close();

    // ---- admin ----
    rec = await openRecordedPage(browser);
    page = rec.page;
    page.on('dialog', (d) => void d.accept());
    await logIn(page, origin, '/alerts', ADMIN);
    await page.locator('[data-testid="active"] td button').waitFor({ timeout: 10_000 });
    for (const sel of ['[data-testid="silence-form"]', '[data-testid="rule-form"]', '[data-testid="silences"] button', '[data-testid="rules"] button >> nth=0']) {
      assert.equal(await page.locator(sel).isVisible(), true, `${sel} visible to an admin`);
    }
    await shot(page, 'admin-alerts');

    await page.goto(`${origin}/admin.html`);
    await page.locator('#device-table tbody tr[data-id="core-1"]').waitFor({ timeout: 10_000 });
    for (const sel of ['#add-device', '#import-run', '#users', '#user-form', '#token-form']) assert.equal(await page.locator(sel).isVisible(), true, `${sel} visible to an admin`);
    assert.equal(await page.locator('#banner').isVisible(), false);
    // Add a device.
    await page.locator('#add-device').click();
    const deviceForm = page.locator('#device-form');
    await deviceForm.locator('[name=id]').fill('edge-9');
    await deviceForm.locator('[name=host]').fill('127.0.0.42');
    await deviceForm.locator('[name=community]').fill('edge-s3cret');
    await page.locator('#save-device').click();
    await page.locator('#device-table tbody tr[data-id="edge-9"]').waitFor({ timeout: 10_000 });
    assert.match(readFileSync(devicesFile, 'utf8'), /id: edge-9/);

    // The users section lists the users (you marked) and the service.
    const userRow = (name: string) => page.locator(`#user-table tbody tr[data-name="${name}"]`);
    await userRow('vera').waitFor({ timeout: 10_000 });
    assert.match((await userRow('ada').textContent()) ?? '', /ada \(you\)/);
    assert.equal(await userRow('ada').locator('button.remove').count(), 0, 'the page does not offer to remove yourself');
    assert.equal(await userRow('test-setup').getAttribute('data-kind'), 'service');
    // Add a user: a short password is refused next to the password field, nothing added.
    const userForm = page.locator('#user-form');
    await userForm.locator('[name=name]').fill('olga');
    await userForm.locator('[name=role]').selectOption('operator');
    await userForm.locator('[name=password]').fill('short');
    await page.locator('#add-user').click();
    const pwError = userForm.locator('.err[data-for="password"]');
    await pwError.filter({ hasText: /.+/ }).waitFor({ timeout: 10_000 });
    assert.equal(await pwError.textContent(), 'must NOT have fewer than 8 characters');
    assert.equal(users.list().users.some((u) => u.name === 'olga'), false);
    await shot(page, 'admin-user-error');
    await userForm.locator('[name=password]').fill('olga-first-password');
    await page.locator('#add-user').click();
    await userRow('olga').waitFor({ timeout: 10_000 });
    assert.equal(await pwError.textContent(), '');
    assert.deepEqual(users.list().users.find((u) => u.name === 'olga')?.role, 'operator');
    const login = async (password: string) => (await api('/api/auth/login', { method: 'POST', body: { username: 'olga', password } })).status;
    assert.equal(await login('olga-first-password'), 200, 'the new user logs in');
    // Change its role.
    await userRow('olga').locator('select[name=role]').selectOption('viewer');
    await userRow('olga').locator('button.set-role').click();
    await waitFor('olga a viewer', () => users.list().users.find((u) => u.name === 'olga')?.role === 'viewer', 10_000, 100);
    await page.locator('#users-status').filter({ hasText: 'olga is now viewer.' }).waitFor({ timeout: 10_000 });
    // Set a new password: the old one stops working.
    await userRow('olga').locator('button.password').click();
    await page.locator('#password-form [name=password]').fill('olga-second-password');
    await page.locator('#password-save').click();
    await page.locator('#password-form').waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal(await login('olga-first-password'), 401, 'the old password is refused');
    assert.equal(await login('olga-second-password'), 200, 'the new password works');

    // A service token without a role: the error is next to the role field.
    const tokenForm = page.locator('#token-form');
    await tokenForm.locator('[name=name]').fill('ci-bot');
    await page.locator('#create-token').click();
    await tokenForm.locator('.err[data-for="role"]').filter({ hasText: /.+/ }).waitFor({ timeout: 10_000 });
    assert.match((await tokenForm.locator('.err[data-for="role"]').textContent()) ?? '', /service token needs a role/);
    // A token for olga (her role): shown once; it authenticates as olga.
    await userRow('olga').locator('button.token').click();
    assert.equal(await tokenForm.locator('[name=name]').inputValue(), 'olga');
    await page.locator('#create-token').click();
    await page.locator('#new-token').waitFor({ timeout: 10_000 });
    const token = (await page.locator('#new-token-text').textContent()) ?? '';
    assert.match(token, /^nmt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const tokenId = token.slice(4, 16);
    const tokenRow = page.locator(`#token-table tbody tr[data-token="${tokenId}"]`);
    await tokenRow.waitFor({ timeout: 10_000 });
    assert.match((await tokenRow.textContent()) ?? '', /olga\s*user\s*viewer/);
    await shot(page, 'admin-token-created');
    const asOlga = { authorization: `Bearer ${token}` };
    assert.equal((await api('/api/devices', { headers: asOlga })).status, 200, 'the token reads');
    assert.equal((await api('/api/users', { headers: asOlga })).status, 403, 'with olga\'s role, not more');
    await page.locator('#new-token-done').click();
    assert.equal(await page.locator('#new-token').isVisible(), false);
    assert.equal(await page.locator('#new-token-text').textContent(), '', 'the token is gone from the page');
    assert.equal((await page.content()).includes(token.slice(17)), false);
    // Revoke it.
    await tokenRow.locator('button.revoke').click();
    await tokenRow.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal((await api('/api/devices', { headers: asOlga })).status, 401, 'the revoked token is refused');
    // Remove olga.
    await userRow('olga').locator('button.remove').click();
    await userRow('olga').waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(users.list().users.some((u) => u.name === 'olga'), false);
    assert.equal(await login('olga-second-password'), 401, 'a removed user cannot log in');
    await shot(page, 'admin-users');

    // Log out: the session ends, here and for anyone holding the cookie.
    const cookie = (await rec.context.cookies()).find((c) => c.name === 'netmon_session');
    assert.ok(cookie, 'a session cookie');
    assert.equal((await api('/api/devices', { headers: { cookie: `netmon_session=${cookie.value}` } })).status, 200, 'the cookie works before logout');
    await page.locator('#logout').click();
    await page.waitForURL(/\/login\.html/, { timeout: 10_000 });
    const after = await page.evaluate(async () => (await fetch('/api/devices')).status);
    assert.equal(after, 401, 'the page\'s next API call');
    assert.equal((await api('/api/devices', { headers: { cookie: `netmon_session=${cookie.value}` } })).status, 401, 'the old cookie replayed');
    await shot(page, 'admin-logged-out');

    assert.deepEqual(rec.pageErrors, [], 'no uncaught exceptions (admin)');
    assert.deepEqual(await rec.cspViolations(), [], 'no CSP violations (admin)');
    assert.deepEqual(rec.foreignRequests, [], 'nothing requested from another host');
    // Chromium logs each refused request; the only ones are the expected 400s (password, token role) and the 401 after logout.
    assert.deepEqual(rec.consoleErrors.filter((e) => !/status of (400|401)/.test(e)), [], 'no other console errors');
  } catch (err) {
    await shot(rec?.page, 'failure').catch(() => undefined);
    throw err;
  } finally {
    await browser?.close();
  }
});
