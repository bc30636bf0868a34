// Secrets everywhere they occur, tried as a reader of everything the dashboard shows would: with
// recognisable secrets configured (admin password and token, InfluxDB password, SNMP v2c community
// and v3 keys, a webhook URL with a token in its path and query, an SMTP password) and a webhook
// delivery that failed against a receiver echoing its URL, no GET route of the OpenAPI document,
// no page, /metrics, the /live hello, the configuration printed, nor the captured log (debug level)
// contains any of them. A value saved through the API as ${NETMON_ADMIN_PASSWORD} comes back as
// those characters. Runs without the stack: the dashboard in this process, the webhook receiver on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { WebSocket } from 'ws';
import { netmonConfigSchema, type ChannelConfig } from '../../common/config/schema.js';
import { errorMessage } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { deliveryRedactor } from '../../common/alerts/channel-secrets.js';
import type { AlertHistoryStore, DeliveryRecord } from '../../common/store/alert-history.js';
import { deliver } from '../../processor/alerts/channels.js';
import { createDashboard } from '../../dashboard/server.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDeviceStore } from '../../dashboard/devices/device-store.js';
import { createFakeConfigTopic } from '../../dashboard/devices/config-topic.fixture.js';
import { sampleWindow } from '../../dashboard/dashboard.fixture.js';

const S = {
  adminPassword: 'S3cretAdminPw7781',
  adminToken: 'S3cretToken9932abc',
  influx: 'S3cretInfluxPw4410',
  community: 'S3cretCommunity0017',
  authKey: 'S3cretAuthKey5150',
  privKey: 'S3cretPrivKey6262',
  hookPath: 'S3cretHookPath4411',
  hookQuery: 'S3cretHookQuery5522',
  smtp: 'S3cretSmtpPw8080',
};
const ALL = Object.values(S);

function leaked(text: string): string[] {
  return ALL.filter((s) => text.includes(s));
}

void test('no secret in any GET route, page, /metrics, /live, the printed config or the log', { timeout: 60_000 }, async (t) => {
  // A receiver that fails every delivery and echoes the URL it was called with.
  const receiver = createServer((req, res) => {
    req.resume();
    res.writeHead(500).end(`no such hook: ${req.url}`);
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  t.after(() => receiver.close());
  const port = (receiver.address() as { port: number }).port;

  const config = netmonConfigSchema.parse({
    influx: { password: S.influx },
    dashboard: { host: '127.0.0.1', port: 0, auth: { adminPassword: S.adminPassword, adminToken: S.adminToken } },
    alerts: {
      channels: {
        hook: { type: 'webhook', url: `http://127.0.0.1:${port}/hooks/${S.hookPath}?token=${S.hookQuery}` },
        mail: { type: 'email', host: '127.0.0.1', username: 'netmon', password: S.smtp, from: 'netmon@example.net', to: ['ops@example.net'] },
      },
    },
  });
  assert.deepEqual(leaked(JSON.stringify(config)), [], 'the config as JSON');
  assert.deepEqual(leaked(inspect(config, { depth: 10 })), [], 'the config as util.inspect prints it');

  // The failed delivery, as the notifier records it (the same deliver and redactor).
  const redact = deliveryRedactor(config.alerts.channels);
  const records: DeliveryRecord[] = [];
  for (const channel of ['hook', 'mail']) {
    const ch: ChannelConfig = config.alerts.channels[channel];
    const event = { v: 1 as const, kind: 'alert-event' as const, id: 'e1', ruleId: 'hot', deviceId: 'r1', ifIndex: 1, state: 'firing' as const, severity: 'warning' as const, metric: 'in_bps', value: 2, threshold: 1, windowStart: 0, ts: 1, message: 'hot' };
    const mailCh = ch.type === 'email' ? { ...ch, port: 1, timeoutMs: 500 } : ch;
    const err = await deliver({ channel, event }, mailCh).then(() => null, (e: unknown) => e);
    assert.ok(err, `${channel} delivery fails`);
    if (channel === 'hook') assert.match(errorMessage(err), new RegExp(`^webhook to 127\\.0\\.0\\.1:${port} answered 500`), 'names the host');
    records.push({ eventId: 'e1', ruleId: 'hot', deviceId: 'r1', channel, status: 'failed', attempts: 1, error: redact(errorMessage(err)), at: Date.now() });
  }
  assert.match(records[0].error ?? '', /no such hook: <secret>/, 'the echoed URL is redacted');
  // A record stored before the notifier redacted errors: the route redacts it on the way out.
  records.push({ eventId: 'e0', ruleId: 'hot', deviceId: 'r1', channel: 'hook', status: 'failed', attempts: 6, error: `POST http://127.0.0.1:${port}/hooks/${S.hookPath}?token=${S.hookQuery} failed: socket hang up`, at: Date.now() - 60_000 });
  const history: AlertHistoryStore = {
    ensureDatabase: () => Promise.resolve(),
    writeEvents: () => Promise.resolve(),
    writeDeliveries: () => Promise.resolve(),
    history: () => Promise.resolve([]),
    latest: () => Promise.resolve([]),
    deliveries: () => Promise.resolve(records),
    recordedDeliveries: () => Promise.resolve(new Set()),
  };

  const captured: string[] = [];
  const log = createLogger({ level: 'trace', destination: new Writable({ write(chunk: Buffer, _enc, done) { captured.push(chunk.toString('utf8')); done(); } }) });
  const dir = mkdtempSync(join(tmpdir(), 'netmon-secrets-'));
  const file = join(dir, 'devices.yaml');
  writeFileSync(file, [
    'devices:',
    `  - { id: v2, host: 10.0.0.1, snmp: { version: "2c", community: "${S.community}" } }`,
    `  - { id: v3, host: 10.0.0.2, snmp: { version: "3", username: ops, level: authPriv, authProtocol: sha, authKey: "${S.authKey}", privProtocol: aes, privKey: "${S.privKey}" } }`,
    '',
  ].join('\n'));
  const registry = createRegistry({ defaultMetrics: false });
  const store = createDeviceStore(log, { file, env: { NETMON_ADMIN_PASSWORD: S.adminPassword } }, { topic: createFakeConfigTopic(), clock: { now: () => 1 }, registry });
  await store.start();
  t.after(() => store.stop());
  const feed = createMemoryFeed();
  feed.push(sampleWindow({ deviceId: 'v2' }));
  const probe = () => Promise.reject(new Error('SNMP request timed out'));
  const dash = createDashboard(log, config, { registry, feed, store: null, devices: () => [], admin: { store, probe }, alerts: { rules: [], history, actions: null, redactError: redact } });
  await dash.start();
  t.after(() => dash.stop());
  const app = dash.app;
  const bearer = { authorization: `Bearer ${S.adminToken}` };

  // Written through the API: stored and shown literally, never the variable's value.
  const created = await app.inject({ method: 'POST', url: '/api/devices', headers: bearer, payload: { id: 'lit', host: '10.0.0.3', tags: ['${NETMON_ADMIN_PASSWORD}'], snmp: { version: '2c', community: '${NETMON_ADMIN_PASSWORD}' } } });
  assert.equal(created.statusCode, 201, created.body);
  const listed = (await app.inject({ url: '/api/devices', headers: bearer })).json<Array<{ id: string; tags: string[] }>>();
  assert.deepEqual(listed.find((d) => d.id === 'lit')?.tags, ['${NETMON_ADMIN_PASSWORD}']);
  // A failed login and a wrong token, so the log has them to (not) show.
  await app.inject({ method: 'POST', url: '/api/auth/login', payload: { password: S.adminPassword.toLowerCase() } });
  await app.inject({ method: 'POST', url: '/api/devices/test-connection', headers: { authorization: `Bearer ${S.adminToken}x` }, payload: { id: 'x' } });

  const doc = (await app.inject({ url: '/docs/json', headers: bearer })).json<{ paths: Record<string, Record<string, unknown>> }>();
  const gets = Object.entries(doc.paths).filter(([, ops]) => 'get' in ops).map(([p]) => p);
  assert.ok(gets.includes('/api/alerts/deliveries') && gets.includes('/api/devices/{id}') && gets.includes('/metrics'), gets.join(' '));
  const ids = ['v2', 'v3', 'lit'];
  const urls = [...gets.flatMap((p) => (p.includes('{id}') ? ids.map((id) => p.replace('{id}', id)) : [p])), '/docs/json', '/', '/alerts', '/admin.html', '/api/windows?device=v2'];
  for (const url of urls) {
    const res = await app.inject({ url, headers: bearer });
    // 503s are parts this dashboard runs without (no window store, no actions topic), 502 the probe that times out: they answer too.
    assert.ok(res.statusCode < 500 || res.statusCode === 503 || res.statusCode === 502, `${url}: ${res.statusCode} ${res.body}`);
    assert.deepEqual(leaked(res.body), [], `${url} answers no secret`);
    assert.deepEqual(leaked(JSON.stringify(res.headers)), [], `${url}: no secret in the headers`);
  }
  const deliveries = await app.inject({ url: '/api/alerts/deliveries', headers: bearer });
  assert.match(deliveries.body, /webhook to 127\.0\.0\.1/);

  const hello = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(`${dash.url()!.replace(/^http/, 'ws')}live`, { headers: bearer });
    ws.once('message', (m: Buffer) => {
      resolve(m.toString('utf8'));
      ws.close();
    });
    ws.once('error', reject);
  });
  assert.match(hello, /"type":"hello"/);
  assert.deepEqual(leaked(hello), [], '/live');

  log.info({ channels: config.alerts.channels, influx: config.influx, auth: config.dashboard.auth, device: store.get('v3') }, 'what a careless log line would print');
  log.flush();
  const text = captured.join('');
  assert.ok(text.length > 1000, 'the log was captured');
  assert.deepEqual(leaked(text), [], 'the log');
});
