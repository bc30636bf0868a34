// Device administration against the real stack: the dashboard on 127.0.0.1 with a devices file in a
// temp dir and its own netmon.config topic on the real Kafka, and the stack's snmpd for "test
// connection". A change through the API lands in the file and on the topic; a hand edit lands on the
// topic; a broken hand edit changes nothing and is reported with its line; start-up tombstones what
// the file no longer has; secrets never come back; 401 / 403 / foreign-origin WebSocket refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { deviceSchema } from '../../common/config/schema.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createDeviceAdmin } from '../../dashboard/devices/admin.js';
import { createKafkaConfigTopic } from '../../dashboard/devices/config-topic.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { stackEnv, testConfig, uniqueId, waitFor } from './stack.js';

const testLog = () => createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', destination: process.stderr });
const TOKEN = 'integration-token-0123456789';
const PASSWORD = 'integration-password';

void test('device admin end to end: API and hand edits reach devices.yaml and netmon.config; auth; probe of the stack snmpd', async (t) => {
  const env = stackEnv();
  const id = uniqueId('dadmin');
  const config = testConfig(id, { dashboard: { auth: { adminToken: TOKEN, adminPassword: PASSWORD } } });
  const log = testLog();
  const dir = mkdtempSync(join(tmpdir(), 'netmon-dadmin-'));
  const file = join(dir, 'devices.yaml');
  writeFileSync(file, `# integration devices\ndevices:\n  - id: keep # stays\n    host: 10.20.0.1\n    snmp: { version: "2c", community: keep-s3cret }\n`);

  // Someone's earlier device on the topic, no longer in the file: start-up must tombstone it.
  const reader = createKafkaConfigTopic(log, config.kafka, { groupIdPrefix: `${id}-reader` });
  await reader.connect();
  t.after(() => reader.disconnect());
  await reader.publish([{ id: 'stale', device: deviceSchema.parse({ id: 'stale', host: '10.20.0.9', snmp: { version: '2c', community: 'x' } }) }], Date.now());

  const registry = createRegistry({ defaultMetrics: false });
  const admin = createDeviceAdmin(log, { config, devicesPath: file }, { registry, debounceMs: 100 });
  const dash = createDashboard(log, config, { registry, feed: createMemoryFeed(), store: null, devices: () => [], admin });
  await admin.store.start();
  t.after(() => admin.store.stop());
  await dash.start();
  t.after(() => dash.stop());
  const base = dash.url()!.replace(/\/$/, '');

  const topicIds = async () => [...(await reader.readDevices()).keys()].sort();
  assert.deepEqual(await topicIds(), ['keep']);

  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const newDevice = { id: 'lab-snmpd', host: env.snmpHost, port: env.snmpPort, snmp: { version: '2c', community: env.community } };

  // Unauthenticated and wrong-CSRF writes are refused and change nothing.
  const anon = await fetch(`${base}/api/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(newDevice) });
  assert.equal(anon.status, 401);
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
  assert.equal(login.status, 200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  assert.match(cookie, /^netmon_session=/);
  const wrongCsrf = await fetch(`${base}/api/devices`, { method: 'POST', headers: { cookie, 'x-csrf-token': 'wrong', 'content-type': 'application/json' }, body: JSON.stringify(newDevice) });
  assert.equal(wrongCsrf.status, 403);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /lab-snmpd/);

  // A change through the API lands in the file and on the topic.
  const created = await fetch(`${base}/api/devices`, { method: 'POST', headers: auth, body: JSON.stringify(newDevice) });
  assert.equal(created.status, 201);
  const createdText = await created.text();
  assert.doesNotMatch(createdText, new RegExp(env.community));
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# integration devices/);
  assert.match(text, /- id: keep # stays/);
  assert.match(text, /id: lab-snmpd/);
  const onTopic = (await reader.readDevices()).get('lab-snmpd');
  assert.equal(onTopic?.host, env.snmpHost);
  assert.equal(onTopic?.snmp.version === '2c' && onTopic.snmp.community.reveal(), env.community);

  // Secrets never come back.
  for (const url of ['/api/devices', '/api/devices/lab-snmpd', '/api/devices/keep', '/docs/json']) {
    const body = await (await fetch(`${base}${url}`, { headers: auth })).text();
    assert.doesNotMatch(body, new RegExp(`${env.community}|keep-s3cret`), url);
  }

  // Test connection: a live probe of the stack's snmpd with the collector's session code.
  const probe = await fetch(`${base}/api/devices/test-connection`, { method: 'POST', headers: auth, body: JSON.stringify({ ...newDevice, snmp: { version: '2c' } }) });
  const probed = (await probe.json()) as { ok: boolean; sysName: string; sysDescr: string; interfaceCount: number };
  assert.equal(probed.ok, true, JSON.stringify(probed));
  assert.ok(probed.sysName.length > 0);
  assert.ok(probed.interfaceCount > 0);
  const wrong = await fetch(`${base}/api/devices/test-connection`, { method: 'POST', headers: auth, body: JSON.stringify({ ...newDevice, id: 'wrong', timeoutMs: 300, retries: 0, snmp: { version: '2c', community: 'not-the-community' } }) });
  const wrongBody = (await wrong.json()) as { ok: boolean; code: string };
  assert.equal(wrongBody.ok, false);
  assert.equal(wrongBody.code, 'NETMON_ERR_SNMP_TIMEOUT');
  const ifaces = (await (await fetch(`${base}/api/devices/lab-snmpd/interfaces`, { headers: auth })).json()) as { interfaces: { ifName: string }[] };
  assert.ok(ifaces.interfaces.some((i) => i.ifName === 'lo'), JSON.stringify(ifaces).slice(0, 300));

  // A hand edit of the file lands on the topic.
  writeFileSync(file, `${readFileSync(file, 'utf8')}  - id: hand-edited\n    host: 10.20.0.5\n    snmp: { version: "2c", community: hand }\n`);
  await waitFor('the hand-edited device on netmon.config', async () => (await reader.readDevices()).has('hand-edited'), 20_000, 300);

  // A broken hand edit changes nothing and is reported with its line.
  const before = await topicIds();
  writeFileSync(file, `${readFileSync(file, 'utf8')}  - id: broken\n    host: "not a host"\n    snmp: { version: "2c", community: x }\n`);
  const problem = await waitFor(
    'the broken edit reported',
    async () => ((await (await fetch(`${base}/api/devices-file`, { headers: auth })).json()) as { problem: { message: string } | null }).problem,
    10_000,
  );
  assert.match(problem.message, /devices\.yaml:\d+: devices\[3\]\.host/);
  assert.deepEqual(await topicIds(), before);
  assert.equal(admin.store.list().some((d) => d.id === 'broken'), false);

  // Fix the file by hand again (drop the broken entry), then delete through the API: a tombstone.
  writeFileSync(file, readFileSync(file, 'utf8').replace(/ {2}- id: broken[\s\S]*$/, ''));
  await waitFor('the repaired file accepted', async () => ((await (await fetch(`${base}/api/devices-file`, { headers: auth })).json()) as { problem: unknown }).problem === null, 10_000);
  const del = await fetch(`${base}/api/devices/hand-edited`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(del.status, 204);
  assert.deepEqual(await topicIds(), ['keep', 'lab-snmpd']);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /hand-edited/);

  // /live refuses a page of another origin.
  const wsUrl = `${base.replace(/^http/, 'ws')}/live`;
  const foreign = new WebSocket(wsUrl, { origin: 'http://evil.example', headers: { authorization: `Bearer ${TOKEN}` } });
  const closed = await new Promise<number>((resolve) => {
    foreign.on('close', (code) => resolve(code));
    foreign.on('error', () => resolve(-1));
  });
  assert.equal(closed, 1008);
});
