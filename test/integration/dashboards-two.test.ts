// Two dashboard instances behind one imagined load balancer, each with its own config directory (no
// shared disk), dashboard.shared on and the same session keys, against the real stack with unique
// topics: a session made on A is accepted by B; devices created, patched and deleted on B are listed
// by A and reach a collector's config follower; a rule made on A is seen on B; a user added on A logs
// in on B, and so does one added with `netmon user` on A's machine; a logout on B ends the session on A; windows on the windows topic reach WebSocket clients
// of both; B stopped, a change made on A, B started again: B has it. The files are the written-through
// copies: B's devices file ends up holding A's devices, never its own stale ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { systemClock } from '../../common/clock.js';
import { createKafka, prepareTopics } from '../../common/bus/kafka.js';
import type { DeviceConfig } from '../../common/config/schema.js';
import { encodeWindowResult } from '../../common/contracts/window-result.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createConfigFollower } from '../../collector/config/config-follower.js';
import { sampleWindow } from '../../dashboard/dashboard.fixture.js';
import { createDashboardService, type DashboardService } from '../../dashboard/main.js';
import { createUserStore } from '../../dashboard/users/user-store.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const testLog = () => createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', destination: process.stderr });
const ROOT_PW = 'root-password-two-dashboards';
const WAIT_MS = 30_000;

interface Instance {
  name: string;
  dir: string;
  service: DashboardService;
  base: string;
}

void test('two dashboard instances without a shared disk serve the same users, devices, rules and live windows', { timeout: 300_000 }, async (t) => {
  const id = uniqueId('dash2');
  const config = testConfig(id, { dashboard: { shared: true, groupIdPrefix: `${id}-dash`, auth: { sessionKeys: [randomBytes(32).toString('base64url')] } } });
  const log = testLog();
  const kafka = createKafka(log, config.kafka, 'test');
  await prepareTopics(kafka, config.kafka);

  const dirA = mkdtempSync(join(tmpdir(), 'netmon-dash2-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'netmon-dash2-b-'));
  writeFileSync(join(dirA, 'devices.yaml'), '# A\ndevices:\n  - id: seed-a\n    host: 10.30.0.1\n    snmp: { version: "2c", community: a }\n');
  writeFileSync(join(dirB, 'devices.yaml'), '# B, stale\ndevices:\n  - id: stale-b\n    host: 10.30.0.2\n    snmp: { version: "2c", community: b }\n');
  for (const dir of [dirA, dirB]) writeFileSync(join(dir, 'alerts.yaml'), 'rules: []\n');
  // A's users file has the admin; B's disk has no user at all.
  await createUserStore(log, { file: join(dirA, 'users.yaml'), adminPassword: null, adminToken: null }).add('root', 'admin', ROOT_PW);

  async function start(name: string, dir: string): Promise<Instance> {
    const service = createDashboardService(log, { ...config, devices: [], devicesPath: join(dir, 'devices.yaml'), rules: [], rulesFile: join(dir, 'alerts.yaml'), env: {} }, { registry: createRegistry({ defaultMetrics: false }), clock: systemClock });
    const started = [];
    const t0 = Date.now();
    try {
      for (const c of service.components) {
        await c.start();
        started.push(c);
      }
    } catch (err) {
      for (const c of started.reverse()) await c.stop();
      throw err;
    }
    t.diagnostic(`instance ${name} started in ${Date.now() - t0} ms`);
    return { name, dir, service, base: service.dashboard.url()!.replace(/\/$/, '') };
  }
  async function stop(i: Instance): Promise<void> {
    for (const c of [...i.service.components].reverse()) await c.stop();
  }

  const a = await start('A', dirA);
  let b = await start('B', dirB);
  let bRunning = true;
  t.after(async () => {
    if (bRunning) await stop(b);
    await stop(a);
  });

  // A collector's view of the device list: what reaches the collectors.
  let collectorView = new Map<string, DeviceConfig>();
  const follower = createConfigFollower(log, config, { kafka, registry: createRegistry({ defaultMetrics: false }), initial: [], apply: (d) => (collectorView = new Map(d)) });
  await follower.start();
  t.after(() => follower.stop());

  async function login(i: Instance, username: string, password: string): Promise<{ cookie: string; csrf: string } | null> {
    const res = await fetch(`${i.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status !== 200) return null;
    const body = (await res.json()) as { csrfToken: string };
    return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0], csrf: body.csrfToken };
  }
  const call = (i: Instance, s: { cookie: string; csrf: string }, method: string, path: string, body?: unknown) =>
    fetch(`${i.base}${path}`, { method, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const deviceIds = async (i: Instance, s: { cookie: string; csrf: string }) => {
    const res = await call(i, s, 'GET', '/api/devices');
    assert.equal(res.status, 200, `${i.name} GET /api/devices`);
    return ((await res.json()) as { id: string }[]).map((d) => d.id).sort();
  };

  // The topic is the source of truth: A seeded it (the first), B's file now holds A's devices.
  const root = await login(a, 'root', ROOT_PW);
  assert.ok(root, 'root logs in on A');
  assert.deepEqual(await deviceIds(b, root), ['seed-a'], 'B accepts the session made on A and lists the topic\'s devices');
  assert.match(readFileSync(join(dirB, 'devices.yaml'), 'utf8'), /id: seed-a/);
  assert.doesNotMatch(readFileSync(join(dirB, 'devices.yaml'), 'utf8'), /stale-b/);

  // Devices changed on B: seen by A and by the collector.
  const createdAt = Date.now();
  const created = await call(b, root, 'POST', '/api/devices', { id: 'dev-b', host: '10.30.0.3', snmp: { version: '2c', community: 'c' } });
  assert.equal(created.status, 201, await created.text());
  const answeredAt = Date.now();
  await waitFor('A lists dev-b', async () => (await deviceIds(a, root)).includes('dev-b'), WAIT_MS, 10);
  t.diagnostic(`device created on B: answered in ${answeredAt - createdAt} ms, listed by A ${Date.now() - answeredAt} ms after the answer`);
  await waitFor('the collector gets dev-b', () => collectorView.get('dev-b')?.host === '10.30.0.3', WAIT_MS, 100);
  const patched = await call(b, root, 'PATCH', '/api/devices/dev-b', { host: '10.30.0.4' });
  assert.equal(patched.status, 200, await patched.text());
  await waitFor('A sees the new host', async () => ((await (await call(a, root, 'GET', '/api/devices/dev-b')).json()) as { host: string }).host === '10.30.0.4', WAIT_MS, 100);
  await waitFor('the collector gets the new host', () => collectorView.get('dev-b')?.host === '10.30.0.4', WAIT_MS, 100);
  assert.match(readFileSync(join(dirA, 'devices.yaml'), 'utf8'), /host: 10\.30\.0\.4/, 'A\'s file is a written-through copy');
  assert.equal((await call(b, root, 'DELETE', '/api/devices/dev-b')).status, 204);
  await waitFor('A no longer lists dev-b', async () => !(await deviceIds(a, root)).includes('dev-b'), WAIT_MS, 100);
  await waitFor('the collector drops dev-b', () => collectorView.size > 0 && !collectorView.has('dev-b'), WAIT_MS, 100);
  assert.deepEqual([...collectorView.keys()], ['seed-a']);

  // A rule made on A: seen on B.
  const rule = await call(a, root, 'POST', '/api/alerts/rules', { id: 'hot', metric: 'in_pps', threshold: 1000 });
  assert.equal(rule.status, 201, await rule.text());
  await waitFor('B lists the rule', async () => ((await (await call(b, root, 'GET', '/api/alerts/rules')).json()) as { id: string }[]).some((r) => r.id === 'hot'), WAIT_MS, 100);
  assert.match(readFileSync(join(dirB, 'alerts.yaml'), 'utf8'), /id: hot/);

  // A user added on A logs in on B.
  assert.equal((await call(a, root, 'POST', '/api/users', { name: 'bob', role: 'viewer', password: 'bob-password-1' })).status, 201);
  const bob = await waitFor('bob logs in on B', () => login(b, 'bob', 'bob-password-1'), WAIT_MS, 200);
  assert.equal((await call(b, bob, 'GET', '/api/devices')).status, 200);
  assert.match(readFileSync(join(dirB, 'users.yaml'), 'utf8'), /name: bob/);
  assert.doesNotMatch(readFileSync(join(dirB, 'users.yaml'), 'utf8'), /bob-password-1/, 'only the hash travels');

  // `netmon user add` on A's machine (the users file edited beside the running instance) reaches B.
  await createUserStore(log, { file: join(dirA, 'users.yaml'), adminPassword: null, adminToken: null }).add('carol', 'viewer', 'carol-password-1');
  await waitFor('carol logs in on B', () => login(b, 'carol', 'carol-password-1'), WAIT_MS, 200);

  // A logout on B ends the session on A.
  assert.equal((await call(a, root, 'GET', '/api/devices')).status, 200);
  assert.equal((await call(b, root, 'POST', '/api/auth/logout')).status, 204);
  await waitFor('A refuses the ended session', async () => (await call(a, root, 'GET', '/api/devices')).status === 401, WAIT_MS, 100);

  // Live windows reach the WebSocket clients of both instances.
  const viewer = (await login(a, 'bob', 'bob-password-1'))!;
  const clients = [a, b].map((i) => {
    const ws = new WebSocket(`${i.base.replace(/^http/, 'ws')}/live`, { headers: { cookie: viewer.cookie } });
    const frames: string[] = [];
    ws.on('message', (d: Buffer) => frames.push(d.toString('utf8')));
    return { i, ws, frames };
  });
  t.after(() => clients.forEach((c) => c.ws.close()));
  await waitFor('both sockets open', () => clients.every((c) => c.ws.readyState === WebSocket.OPEN), WAIT_MS, 50);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.after(() => producer.disconnect());
  const liveId = `live-${randomBytes(3).toString('hex')}`;
  // Sent again until both have it: each feed starts at the topic's end once its group has joined.
  await waitFor('the window on both WebSockets', async () => {
    const now = Date.now();
    await producer.send({ topic: config.kafka.topics.windows, messages: [{ key: liveId, value: encodeWindowResult(sampleWindow({ deviceId: liveId, windowStart: now - 60_000, windowEnd: now })) }] });
    return clients.every((c) => c.frames.some((f) => f.includes(liveId)));
  }, WAIT_MS, 500);

  // B stopped; changes on A; B started again has them (from the topic, not from its disk).
  await stop(b);
  bRunning = false;
  const rootAgain = (await login(a, 'root', ROOT_PW))!;
  assert.equal((await call(a, rootAgain, 'POST', '/api/devices', { id: 'while-b-down', host: '10.30.0.5', snmp: { version: '2c', community: 'c' } })).status, 201);
  assert.equal((await call(a, rootAgain, 'DELETE', '/api/alerts/rules/hot')).status, 204);
  b = await start('B', dirB);
  bRunning = true;
  assert.deepEqual(await deviceIds(b, rootAgain), ['seed-a', 'while-b-down']);
  assert.deepEqual(((await (await call(b, rootAgain, 'GET', '/api/alerts/rules')).json()) as unknown[]).length, 0);
  assert.match(readFileSync(join(dirB, 'devices.yaml'), 'utf8'), /id: while-b-down/);
  assert.equal((await call(b, root, 'GET', '/api/devices')).status, 401, 'the ended session stays ended on a restarted instance');
});
