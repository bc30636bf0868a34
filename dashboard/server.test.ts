// Tests of the dashboard server: every REST route through app.inject (validation 400s naming the
// field, 503s from the store, no secrets in /api/devices, the browser files), and the live
// WebSocket over a real socket on 127.0.0.1 with the `ws` client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { deviceSchema, netmonConfigSchema, type DeviceConfig } from '../common/config/schema.js';
import { decodeWindowResult } from '../common/contracts/window-result.js';
import { NetmonError, ErrorCodes } from '../common/errors.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { healthOf } from '../common/health.js';
import type { WindowStore } from '../common/store/influx.js';
import { createMemoryFeed, type MemoryFeed } from './feed/window-feed.js';
import { createFakeStore, rowObject, sampleWindow } from './dashboard.fixture.js';
import { createDashboard, type Dashboard } from './server.js';
import { LIVE_WINDOW_FIELDS, type LiveRow } from './live-hub.js';

const COMMUNITY = 'c0mmunity-s3cret';
const AUTH_KEY = 'auth-passphrase-s3cret';
const PRIV_KEY = 'priv-passphrase-s3cret';

const devices: DeviceConfig[] = [
  deviceSchema.parse({ id: 'r1', host: '10.0.0.1', tags: ['core'], snmp: { version: '2c', community: COMMUNITY } }),
  deviceSchema.parse({ id: 'sw2', host: 'sw2.example', port: 1161, enabled: false, snmp: { version: '3', username: 'netmon-user', authProtocol: 'sha', authKey: AUTH_KEY, privProtocol: 'aes', privKey: PRIV_KEY } }),
];

const NOW = Date.parse('2024-05-01T12:00:00Z');

function setup(opts: { store?: WindowStore | null; feed?: MemoryFeed; statusOf?: (id: string) => unknown } = {}): { dash: Dashboard; feed: MemoryFeed; registry: ReturnType<typeof createRegistry> } {
  // Reads here come from the configured anonymous viewer; auth itself is dashboard/auth/*.test.ts.
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0, auth: { anonymousRole: 'viewer' } } });
  const registry = createRegistry({ defaultMetrics: false });
  const feed = opts.feed ?? createMemoryFeed();
  const dash = createDashboard(silentLogger, config, {
    registry,
    feed,
    store: opts.store === undefined ? createFakeStore() : opts.store,
    devices: () => devices,
    statusOf: opts.statusOf,
    clock: { now: () => NOW },
  });
  return { dash, feed, registry };
}

void test('browser files: page with CSP, app files, chart.js from node_modules', async (t) => {
  const { dash } = setup();
  t.after(() => dash.app.close());
  const page = await dash.app.inject({ url: '/' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'; connect-src 'self' ws: wss:/);
  assert.match(page.body, /data-testid="status"/);
  assert.match(page.body, /src="\/vendor\/chart\.umd\.js"/);

  for (const [url, type, marker] of [
    ['/app.js', /^text\/javascript/, /new WebSocket/],
    ['/app.css', /^text\/css/, /\.card/],
    ['/vendor/chart.umd.js', /^text\/javascript/, /Chart/],
  ] as const) {
    const res = await dash.app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.match(String(res.headers['content-type']), type, url);
    assert.match(res.body, marker, url);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  }
});

void test('GET /api/devices lists devices without credentials', async (t) => {
  const { dash } = setup({ statusOf: (id) => (id === 'r1' ? { lastPoll: 'ok' } : undefined) });
  t.after(() => dash.app.close());
  const res = await dash.app.inject({ url: '/api/devices' });
  assert.equal(res.statusCode, 200);
  for (const secret of [COMMUNITY, AUTH_KEY, PRIV_KEY, 'netmon-user', '<secret>', 'community', 'authKey', 'privKey']) {
    assert.ok(!res.body.includes(secret), `response leaks ${secret}`);
  }
  assert.deepEqual(res.json(), [
    { id: 'r1', host: '10.0.0.1', port: 161, enabled: true, tags: ['core'], snmpVersion: '2c', status: { lastPoll: 'ok' } },
    { id: 'sw2', host: 'sw2.example', port: 1161, enabled: false, tags: [], snmpVersion: '3' },
  ]);
});

void test('GET /api/windows validates its query and names the bad field', async (t) => {
  const store = createFakeStore();
  const { dash } = setup({ store });
  t.after(() => dash.app.close());
  const cases: Array<{ name: string; query: string; field: string }> = [
    { name: 'device missing', query: '', field: 'device' },
    { name: 'device with a control character', query: 'device=a%0Ab', field: 'device' },
    { name: 'ifIndex not a number', query: 'device=r1&ifIndex=eth0', field: 'ifIndex' },
    { name: 'ifIndex zero', query: 'device=r1&ifIndex=0', field: 'ifIndex' },
    { name: 'ifIndex beyond IF-MIB range', query: 'device=r1&ifIndex=2147483648', field: 'ifIndex' },
    { name: 'from not a date-time', query: 'device=r1&from=yesterday', field: 'from' },
    { name: 'to without a zone', query: 'device=r1&to=2024-05-01T12:00:00', field: 'to' },
    { name: 'to before from', query: 'device=r1&from=2024-05-01T12:00:00Z&to=2024-05-01T11:00:00Z', field: 'to' },
    { name: 'range too long', query: 'device=r1&from=2024-01-01T00:00:00Z&to=2024-05-01T00:00:00Z', field: 'from' },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const res = await dash.app.inject({ url: `/api/windows?${c.query}` });
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json<{ message: string }>();
      // fastify words a missing field as "must have required property 'x'", the others as "querystring/x ...".
      assert.match(body.message, new RegExp(`querystring(/${c.field}\\b| must have required property '${c.field}')`), body.message);
    });
  }
  assert.equal(store.queries.length, 0, 'bad input never reaches the store');
});

void test('GET /api/windows returns stored windows with counters as decimal strings', async (t) => {
  const stored = [sampleWindow({ ifIndex: null, ifName: null }), sampleWindow()];
  const store = createFakeStore(stored.map(({ v: _v, kind: _k, ...rest }) => rest));
  const { dash } = setup({ store });
  t.after(() => dash.app.close());

  const res = await dash.app.inject({ url: '/api/windows?device=r1&ifIndex=1&from=2024-05-01T10:00:00Z&to=2024-05-01T12:30:00.000%2B01:00' });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json<Array<Record<string, unknown>>>();
  assert.equal(body.length, 2);
  assert.equal(body[1].inOctets, '9007199254740993');
  assert.deepEqual(decodeWindowResult(JSON.stringify(body[1])), stored[1]);
  assert.deepEqual(store.queries.at(-1), { deviceId: 'r1', ifIndex: 1, fromMs: Date.parse('2024-05-01T10:00:00Z'), toMs: Date.parse('2024-05-01T11:30:00Z') });

  await dash.app.inject({ url: '/api/windows?device=r1&ifIndex=device' });
  assert.deepEqual(store.queries.at(-1), { deviceId: 'r1', ifIndex: null, fromMs: NOW - 3_600_000, toMs: NOW });
  await dash.app.inject({ url: '/api/windows?device=r1' });
  assert.deepEqual(store.queries.at(-1), { deviceId: 'r1', ifIndex: undefined, fromMs: NOW - 3_600_000, toMs: NOW });
});

void test('GET /api/windows answers 503 without a store or when InfluxDB fails', async (t) => {
  const none = setup({ store: null });
  t.after(() => none.dash.app.close());
  const a = await none.dash.app.inject({ url: '/api/windows?device=r1' });
  assert.equal(a.statusCode, 503);
  assert.match(a.json<{ message: string }>().message, /no window store/);

  const failing = createFakeStore(new NetmonError(ErrorCodes.INFLUX, 'InfluxDB query failed at http://10.9.9.9:8086: ECONNREFUSED', { retriable: true }));
  const down = setup({ store: failing });
  t.after(() => down.dash.app.close());
  const b = await down.dash.app.inject({ url: '/api/windows?device=r1' });
  assert.equal(b.statusCode, 503);
  assert.match(b.json<{ message: string }>().message, /InfluxDB\) is unavailable/);
  assert.ok(!b.body.includes('10.9.9.9'), 'internal addresses stay in the log');
  assert.match(await down.registry.metrics(), /netmon_dashboard_store_errors_total 1/);
});

void test('GET /api/recent, /healthz, /metrics', async (t) => {
  const { dash, feed, registry } = setup();
  t.after(() => dash.app.close());
  feed.push(sampleWindow());
  const recent = await dash.app.inject({ url: '/api/recent' });
  assert.equal(recent.statusCode, 200);
  const windows = recent.json<Array<Record<string, unknown>>>();
  assert.equal(windows.length, 1);
  assert.equal(windows[0].inOctets, '9007199254740993');

  const health = await dash.app.inject({ url: '/healthz' });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), { ok: true, status: 'ok', dependencies: [] });
  // A dependency down (reported by a sink in the same process): degraded, 503, naming it and since when.
  const tracker = healthOf(registry, { now: () => NOW });
  tracker.down('influxdb', new Error('connect ECONNREFUSED'));
  const degraded = await dash.app.inject({ url: '/healthz' });
  assert.equal(degraded.statusCode, 503);
  assert.deepEqual(degraded.json(), { ok: false, status: 'degraded', dependencies: [{ dependency: 'influxdb', up: false, since: new Date(NOW).toISOString(), lastError: 'connect ECONNREFUSED' }] });
  tracker.up('influxdb');
  assert.equal((await dash.app.inject({ url: '/healthz' })).statusCode, 200);

  const metrics = await dash.app.inject({ url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  assert.match(String(metrics.headers['content-type']), /^text\/plain/);
  assert.match(metrics.body, /netmon_dashboard_ws_clients 0/);
});

interface LiveMessage {
  type: string;
  fields?: string[];
  windows?: LiveRow[];
  rows?: LiveRow[];
}

function liveClient(url: string, origin?: string) {
  const socket = new WebSocket(url, origin === undefined ? {} : { origin });
  const queue: LiveMessage[] = [];
  const waiters: Array<(m: LiveMessage) => void> = [];
  socket.on('message', (data) => {
    const m = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : '') as LiveMessage;
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const next = () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<LiveMessage>((resolve) => waiters.push(resolve)));
  return { socket, closed, next };
}

void test('WebSocket /live: hello, live windows, origin policy, clean stop', async (t) => {
  const feed = createMemoryFeed();
  feed.push(sampleWindow({ windowStart: 0, windowEnd: 60_000 }));
  const { dash } = setup({ feed });
  await dash.start();
  t.after(() => dash.stop());
  const url = dash.url();
  assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const wsUrl = `${url!.replace(/^http/, 'ws')}live`;

  const browser = liveClient(wsUrl, url!.replace(/\/$/, ''));
  const script = liveClient(wsUrl);
  for (const c of [browser, script]) {
    const hello = await c.next();
    assert.equal(hello.type, 'hello');
    assert.equal(hello.windows?.length, 1);
    assert.equal(rowObject(hello.fields ?? [], hello.windows?.[0] ?? []).windowStart, 0);
  }

  feed.push(sampleWindow({ windowStart: 60_000, windowEnd: 120_000, revision: 2 }));
  for (const c of [browser, script]) {
    const m = await c.next();
    assert.equal(m.type, 'windows');
    const w = rowObject(LIVE_WINDOW_FIELDS, m.rows?.[0] ?? []);
    assert.equal(w.windowStart, 60_000);
    assert.equal(w.revision, 2);
    assert.equal(w.outBps, 100_000);
  }

  const foreign = liveClient(wsUrl, 'http://evil.example');
  assert.deepEqual(await foreign.closed, { code: 1008, reason: 'origin not allowed' });

  await dash.stop();
  assert.equal(dash.url(), null);
  assert.equal((await browser.closed).code, 1001);
  assert.equal((await script.closed).code, 1001);
});
