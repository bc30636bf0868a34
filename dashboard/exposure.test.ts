// The dashboard as an attacker on the network meets it, through app.inject and a real listening
// server: a rebinding Host is refused on every GET route of the OpenAPI document and on the /live
// upgrade; bodies too large (413) or too deep (400), SNMP probes over the rate (429), /api/recent
// paged, and /live connections capped per address (429) and in total (503), with their metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { netmonConfigSchema } from '../common/config/schema.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { sampleWindow } from './dashboard.fixture.js';
import { createMemoryFeed } from './feed/window-feed.js';
import { createDashboard } from './server.js';
import { createFakeConfigTopic } from './devices/config-topic.fixture.js';
import { createDeviceStore } from './devices/device-store.js';

const TOKEN = 'tok-exposure-1';
// Reads are anonymous (role viewer) here, so the bounds are what answers, not the login.

async function setup(limits: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-exposure-'));
  const file = join(dir, 'devices.yaml');
  writeFileSync(file, 'devices:\n  - id: r1\n    host: 10.0.0.1\n    snmp: { version: "2c", community: c0mm }\n');
  const registry = createRegistry({ defaultMetrics: false });
  const store = createDeviceStore(silentLogger, { file, env: {} }, { topic: createFakeConfigTopic(), clock: { now: () => 1 }, registry });
  await store.start();
  const feed = createMemoryFeed();
  for (let m = 0; m < 5; m++) feed.push(sampleWindow({ deviceId: 'r1', ifIndex: 1, windowStart: m * 60_000, windowEnd: (m + 1) * 60_000 }));
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0, allowedHosts: ['netmon.lan'], auth: { adminToken: TOKEN, anonymousRole: 'viewer' }, limits } });
  const probe = () => Promise.resolve({ sysName: 'x', sysDescr: 'y', interfaceCount: 0, interfaces: [] });
  const dash = createDashboard(silentLogger, config, { registry, feed, store: null, devices: () => [], admin: { store, probe }, alerts: { rules: [], history: null, actions: null } });
  return { dash, registry, close: async () => { await dash.stop(); await store.stop(); } };
}

const auth = { authorization: `Bearer ${TOKEN}` };

void test('a rebinding Host gets 403 on every GET route of the OpenAPI document; allowed names get through', async (t) => {
  const s = await setup();
  t.after(s.close);
  const app = s.dash.app;
  const doc = (await app.inject({ url: '/docs/json', headers: auth })).json<{ paths: Record<string, Record<string, unknown>> }>();
  const gets = Object.entries(doc.paths).filter(([, ops]) => 'get' in ops).map(([path]) => path.replace(/\{id\}/g, 'r1'));
  assert.ok(gets.length >= 10, `${gets.length} GET routes`);
  for (const url of [...gets, '/', '/admin.html', '/docs', '/live']) {
    const res = await app.inject({ url, headers: { host: 'rebind.attacker.example:8080' } });
    assert.equal(res.statusCode, 403, url);
    assert.match(res.json<{ message: string }>().message, /does not answer to the name "rebind\.attacker\.example:8080"/, url);
  }
  for (const host of ['netmon.lan:8080', '127.0.0.1:8080', 'localhost']) {
    assert.equal((await app.inject({ url: '/api/devices', headers: { host } })).statusCode, 200, host);
  }
  assert.match((await app.inject({ url: '/metrics' })).body, /netmon_dashboard_requests_refused_total\{reason="host"\} \d+/);
});

void test('a real server refuses a rebinding Host for HTTP and for the /live upgrade', async (t) => {
  const s = await setup();
  t.after(s.close);
  await s.dash.start();
  const port = Number(new URL(s.dash.url()!).port);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/recent', headers: { host: `rebind.attacker.example:${port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 403);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/live`, { headers: { host: `rebind.attacker.example:${port}` } });
  ws.on('error', () => undefined);
  const upgrade = await new Promise<string>((resolve) => {
    ws.on('unexpected-response', (_req, res) => {
      resolve(`status:${res.statusCode}`);
      ws.terminate();
    });
    ws.on('open', () => resolve('open'));
  });
  assert.equal(upgrade, 'status:403');
});

void test('bodies: too large is 413, too deep is 400 naming the limit, before any route or guard', async (t) => {
  const s = await setup({ bodyBytes: 2048 });
  t.after(s.close);
  const app = s.dash.app;
  const big = await app.inject({ method: 'POST', url: '/api/devices', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ id: 'x', tags: ['a'.repeat(4096)] }) });
  assert.equal(big.statusCode, 413);
  assert.equal(big.json<{ code: string }>().code, 'FST_ERR_CTP_BODY_TOO_LARGE');
  const s2 = await setup();
  t.after(s2.close);
  const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
  const res = await s2.dash.app.inject({ method: 'PATCH', url: '/api/devices/r1', headers: { ...auth, 'content-type': 'application/json' }, payload: deep });
  assert.equal(res.statusCode, 400, res.body);
  assert.deepEqual(res.json(), { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body is nested deeper than 32 levels (dashboard.limits.jsonDepth)', field: 'body' });
  // Within the limit the body is read as before.
  const ok = await s2.dash.app.inject({ method: 'PATCH', url: '/api/devices/r1', headers: auth, payload: { tags: ['core'] } });
  assert.equal(ok.statusCode, 200, ok.body);
});

void test('SNMP probes are limited per client address (429 with retry-after); the recent-interfaces view is no probe', async (t) => {
  const s = await setup({ probesPerMinute: 2 });
  t.after(s.close);
  const app = s.dash.app;
  const probeOnce = (remoteAddress: string) => app.inject({ method: 'POST', url: '/api/devices/test-connection', headers: auth, remoteAddress, payload: { id: 'new', host: '10.9.9.9', snmp: { version: '2c', community: 'x' } } });
  assert.equal((await probeOnce('10.0.0.5')).statusCode, 200);
  assert.equal((await app.inject({ url: '/api/devices/r1/interfaces', headers: auth, remoteAddress: '10.0.0.5' })).statusCode, 200);
  for (let i = 0; i < 3; i++) assert.equal((await app.inject({ url: '/api/devices/r1/interfaces?source=recent', headers: auth, remoteAddress: '10.0.0.5' })).statusCode, 200);
  const limited = await probeOnce('10.0.0.5');
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json<{ code: string }>().code, 'NETMON_ERR_RATE_LIMITED');
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  assert.equal((await probeOnce('10.0.0.6')).statusCode, 200, 'another address has its own allowance');
});

void test('/api/recent is paged: limit, the next page in a Link header, limits answered 400', async (t) => {
  const s = await setup({ recentPage: 2, recentMaxPage: 3 });
  t.after(s.close);
  const app = s.dash.app;
  const first = await app.inject({ url: '/api/recent' });
  assert.deepEqual(first.json<{ windowStart: number }[]>().map((w) => w.windowStart), [240_000, 180_000]);
  const next = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link));
  assert.ok(next, String(first.headers.link));
  const second = await app.inject({ url: next[1] });
  assert.deepEqual(second.json<{ windowStart: number }[]>().map((w) => w.windowStart), [120_000, 60_000]);
  const last = await app.inject({ url: /^<([^>]+)>/.exec(String(second.headers.link))![1] });
  assert.deepEqual(last.json<{ windowStart: number }[]>().map((w) => w.windowStart), [0]);
  assert.equal(last.headers.link, undefined);
  assert.equal((await app.inject({ url: '/api/recent?limit=4' })).statusCode, 400);
  assert.equal((await app.inject({ url: '/api/recent?before=nonsense' })).statusCode, 400);
});

void test('/live connections are capped per address (429) and in total (503), counted', async (t) => {
  const s = await setup({ wsPerClient: 2, wsTotal: 2, helloWindows: 3 });
  t.after(s.close);
  await s.dash.start();
  const url = `${s.dash.url()!.replace(/^http/, 'ws')}live`;
  const open = () =>
    new Promise<{ ws: WebSocket; result: string; hello?: { windows: unknown[]; next: string | null } }>((resolve) => {
      const ws = new WebSocket(url);
      ws.on('error', () => undefined);
      ws.on('unexpected-response', (_req, res) => {
        resolve({ ws, result: `status:${res.statusCode}` });
        ws.terminate();
      });
      ws.once('message', (m: Buffer) => resolve({ ws, result: 'hello', hello: JSON.parse(m.toString('utf8')) as { windows: unknown[]; next: string | null } }));
    });
  const a = await open();
  const b = await open();
  assert.equal(a.result, 'hello');
  assert.equal(a.hello?.windows.length, 3, 'the hello holds helloWindows windows');
  assert.equal(typeof a.hello?.next, 'string');
  assert.equal(b.result, 'hello');
  // Two open of a total of two: the third is refused whatever its address.
  assert.equal((await open()).result, 'status:503');
  a.ws.close();
  await new Promise((r) => a.ws.once('close', r));
  await waitUntil(async () => /netmon_dashboard_ws_clients 1/.test(await s.registry.metrics()));
  const c = await open();
  assert.equal(c.result, 'hello', 'a closed connection frees its place');
  for (const x of [b, c]) x.ws.close();
  assert.match(await s.registry.metrics(), /netmon_dashboard_ws_rejected_total\{reason="total"\} 1/);
});

void test('/live: the per-address cap answers 429 while the total has room', async (t) => {
  const s = await setup({ wsPerClient: 1, wsTotal: 10 });
  t.after(s.close);
  await s.dash.start();
  const url = `${s.dash.url()!.replace(/^http/, 'ws')}live`;
  const first = new WebSocket(url);
  await new Promise((r) => first.once('message', r));
  const second = new WebSocket(url);
  second.on('error', () => undefined);
  const status = await new Promise<number>((resolve) => second.on('unexpected-response', (_req, res) => {
    resolve(res.statusCode ?? 0);
    second.terminate();
  }));
  assert.equal(status, 429);
  first.close();
  assert.match(await s.registry.metrics(), /netmon_dashboard_ws_rejected_total\{reason="per_client"\} 1/);
});

async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}

void test('one policy for every page: /docs gets the same CSP, with inline styles (Swagger UI injects them) as its only difference', async (t) => {
  const s = await setup();
  t.after(s.close);
  const app = s.dash.app;
  const page = String((await app.inject({ url: '/', headers: auth })).headers['content-security-policy']);
  const docs = String((await app.inject({ url: '/docs/', headers: auth })).headers['content-security-policy']);
  assert.match(page, /connect-src 'self';/);
  assert.doesNotMatch(page, /unsafe-inline/);
  assert.equal(docs, page.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"));
});
