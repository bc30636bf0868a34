// Tests of the device-admin REST API through app.inject, on the real dashboard app with a real temp
// devices file and a recording fake topic: auth (401/403, bearer, session cookie + CSRF, loopback
// mode), secrets never returned, 400s naming the field, test connection, import, OpenAPI at /docs,
// the CSP header, the login rate limit, and the refusal to listen openly without a credential.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { netmonConfigSchema } from '../../common/config/schema.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createMemoryFeed } from '../feed/window-feed.js';
import { sampleWindow } from '../dashboard.fixture.js';
import { createDashboard } from '../server.js';
import { createDeviceStore } from './device-store.js';
import { interfacesInWindows } from './routes.js';
import { createFakeConfigTopic } from './config-topic.fixture.js';
import type { ProbeResult } from './probe.js';

const SECRET = 'c0mm-s3cret';
const FILE = `devices:\n  - id: r1\n    host: 10.0.0.1\n    snmp: { version: "2c", community: ${SECRET} }\n`;

async function setup(auth: Record<string, unknown> = { adminPassword: 'pw-1', adminToken: 'tok-1', loginAttemptsPerMinute: 3 }) {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-routes-'));
  const file = join(dir, 'devices.yaml');
  writeFileSync(file, FILE);
  const registry = createRegistry({ defaultMetrics: false });
  const topic = createFakeConfigTopic();
  const store = createDeviceStore(silentLogger, { file }, { topic, clock: { now: () => 1 }, registry });
  await store.start();
  const probed: string[] = [];
  const probe = (d: { host: string }): Promise<ProbeResult> => {
    probed.push(d.host);
    if (d.host === 'dead.example') return Promise.reject(Object.assign(new Error('SNMP request to x timed out'), { code: 'NETMON_ERR_SNMP_TIMEOUT' }));
    return Promise.resolve({ sysName: 'lab-agent', sysDescr: 'Linux lab', interfaceCount: 2, interfaces: [] });
  };
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0, auth } });
  const feed = createMemoryFeed();
  feed.push(sampleWindow({ deviceId: 'r1', ifIndex: 2, ifName: 'eth1', windowStart: 0, windowEnd: 60_000 }));
  const dash = createDashboard(silentLogger, config, { registry, feed, store: null, devices: () => [], admin: { store, probe } });
  return { dash, store, topic, file, probed, close: async () => { await dash.app.close(); await store.stop(); } };
}

const device = { id: 'sw2', host: 'sw2.example', snmp: { version: '2c', community: 'sw2-s3cret' } };

void test('writes need authentication: 401 without, bearer token works, session cookie needs the CSRF token', async (t) => {
  const s = await setup();
  t.after(s.close);
  const app = s.dash.app;
  const anon = await app.inject({ method: 'POST', url: '/api/devices', payload: device });
  assert.equal(anon.statusCode, 401);
  assert.equal((await app.inject({ method: 'DELETE', url: '/api/devices/r1' })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/api/devices', payload: device, headers: { authorization: 'Bearer wrong' } })).statusCode, 401);

  const bearer = await app.inject({ method: 'POST', url: '/api/devices', payload: device, headers: { authorization: 'Bearer tok-1' } });
  assert.equal(bearer.statusCode, 201, bearer.body);

  const badLogin = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { password: 'nope' } });
  assert.equal(badLogin.statusCode, 401);
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { password: 'pw-1' } });
  assert.equal(login.statusCode, 200);
  const setCookie = String(login.headers['set-cookie']);
  assert.match(setCookie, /netmon_session=/);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  const cookie = setCookie.split(';')[0];
  const csrf = login.json<{ csrfToken: string }>().csrfToken;
  assert.ok(csrf.length >= 32);

  const noCsrf = await app.inject({ method: 'POST', url: '/api/devices/sw2/disable', headers: { cookie } });
  assert.equal(noCsrf.statusCode, 403);
  const wrongCsrf = await app.inject({ method: 'POST', url: '/api/devices/sw2/disable', headers: { cookie, 'x-csrf-token': 'x'.repeat(43) } });
  assert.equal(wrongCsrf.statusCode, 403);
  const ok = await app.inject({ method: 'POST', url: '/api/devices/sw2/disable', headers: { cookie, 'x-csrf-token': csrf } });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json<{ enabled: boolean }>().enabled, false);
  const foreign = await app.inject({ method: 'POST', url: '/api/devices/sw2/enable', headers: { cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' } });
  assert.equal(foreign.statusCode, 403);

  const session = await app.inject({ url: '/api/auth/session', headers: { cookie } });
  assert.deepEqual(session.json(), { authenticated: true, user: 'admin', role: 'admin', via: 'session', csrfToken: csrf });
  assert.equal((await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } })).statusCode, 403, 'logout needs the CSRF token too');
  assert.equal((await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': csrf } })).statusCode, 204);
  assert.equal((await app.inject({ method: 'POST', url: '/api/devices/sw2/enable', headers: { cookie, 'x-csrf-token': csrf } })).statusCode, 401);
});

void test('secrets are write-only: never in any response; an update without them keeps them', async (t) => {
  const s = await setup();
  t.after(s.close);
  const app = s.dash.app;
  const auth = { authorization: 'Bearer tok-1' };
  const bodies: string[] = [];
  const created = await app.inject({ method: 'POST', url: '/api/devices', payload: device, headers: auth });
  bodies.push(created.body);
  assert.equal(created.json<{ snmp: { community: string } }>().snmp.community, '(set)');
  const put = await app.inject({ method: 'PUT', url: '/api/devices/sw2', payload: { id: 'sw2', host: 'sw2b.example', snmp: { version: '2c' } }, headers: auth });
  assert.equal(put.statusCode, 200, put.body);
  bodies.push(put.body);
  const patch = await app.inject({ method: 'PATCH', url: '/api/devices/r1', payload: { tags: ['core'] }, headers: auth });
  assert.equal(patch.statusCode, 200, patch.body);
  bodies.push(patch.body);
  for (const url of ['/api/devices', '/api/devices/r1', '/api/devices/sw2', '/api/devices/r1/status', '/docs/json', '/api/devices-file']) {
    const res = await app.inject({ url, headers: auth });
    assert.equal(res.statusCode, 200, url);
    bodies.push(res.body);
  }
  for (const b of bodies) {
    assert.doesNotMatch(b, /s3cret/);
  }
  // ... but the file and the topic still hold them.
  assert.match(readFileSync(s.file, 'utf8'), /sw2-s3cret/);
  const onTopic = s.topic.held.get('sw2');
  assert.equal(onTopic?.snmp.version === '2c' && onTopic.snmp.community.reveal(), 'sw2-s3cret');
  assert.equal(onTopic?.host, 'sw2b.example');
});

void test('bad input is a 400 naming the field; unknown ids are 404; duplicates 409', async (t) => {
  const s = await setup();
  t.after(s.close);
  const app = s.dash.app;
  const auth = { authorization: 'Bearer tok-1' };
  const cases: { payload: unknown; field: RegExp }[] = [
    { payload: { ...device, host: 'bad host!' }, field: /^body\/host: / },
    { payload: { ...device, port: 0 }, field: /^body\/port: / },
    { payload: { ...device, snmp: { version: '3', username: 'u', authProtocol: 'sha', authKey: 'k' } }, field: /^body\/snmp\.privProtocol: / },
    { payload: { ...device, extra: true }, field: /^body\/extra: unknown key/ },
    { payload: [1, 2], field: /^body must be object/ },
  ];
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/devices', payload: c.payload as object, headers: auth });
    assert.equal(res.statusCode, 400, JSON.stringify(c.payload));
    assert.match(res.json<{ message: string }>().message, c.field);
  }
  assert.equal((await app.inject({ method: 'POST', url: '/api/devices', payload: { ...device, id: 'r1' }, headers: auth })).statusCode, 409);
  assert.equal((await app.inject({ url: '/api/devices/nope', headers: auth })).statusCode, 404);
  const badId = await app.inject({ url: '/api/devices/bad%0Aid', headers: auth });
  assert.equal(badId.statusCode, 400);
  assert.match(badId.body, /params\/id/);
  assert.equal(s.topic.held.has('sw2'), false);
});

void test('test connection probes an unsaved device (stored secrets reused for a saved id); import reports per row', async (t) => {
  const s = await setup();
  t.after(s.close);
  const app = s.dash.app;
  const auth = { authorization: 'Bearer tok-1' };
  const probe = await app.inject({ method: 'POST', url: '/api/devices/test-connection', payload: { id: 'r1', host: '10.0.0.1', snmp: { version: '2c' } }, headers: auth });
  assert.deepEqual(probe.json(), { ok: true, sysName: 'lab-agent', sysDescr: 'Linux lab', interfaceCount: 2 });
  const dead = await app.inject({ method: 'POST', url: '/api/devices/test-connection', payload: { id: 'new', host: 'dead.example', snmp: { version: '2c', community: 'x' } }, headers: auth });
  assert.equal(dead.json<{ ok: boolean }>().ok, false);
  assert.match(dead.json<{ message: string }>().message, /timed out/);
  const invalid = await app.inject({ method: 'POST', url: '/api/devices/test-connection', payload: { id: 'new', host: 'h', snmp: { version: '2c' } }, headers: auth });
  assert.equal(invalid.statusCode, 400);
  assert.match(invalid.body, /snmp\.community/);
  assert.deepEqual(s.probed, ['10.0.0.1', 'dead.example']);
  assert.equal((await app.inject({ method: 'POST', url: '/api/devices/test-connection', payload: device })).statusCode, 401);

  const csv = 'id,host,version,community\nn1,10.2.0.1,2c,a\nn2,bad host,2c,b\n';
  const imp = await app.inject({ method: 'POST', url: '/api/devices/import', payload: csv, headers: { ...auth, 'content-type': 'text/csv' } });
  assert.equal(imp.statusCode, 200, imp.body);
  const report = imp.json<{ applied: number; failed: number; rows: { row: number; id: string; ok: boolean; field?: string }[] }>();
  assert.equal(report.applied, 1);
  assert.equal(report.failed, 1);
  assert.deepEqual(report.rows.map((r) => [r.row, r.id, r.ok, r.field]), [[1, 'n1', true, undefined], [2, 'n2', false, 'host']]);
  assert.equal(s.topic.held.has('n1'), true);
  const badCsv = await app.inject({ method: 'POST', url: '/api/devices/import', payload: 'id,colour\n', headers: { ...auth, 'content-type': 'text/csv' } });
  assert.equal(badCsv.statusCode, 400);
  assert.match(badCsv.body, /unknown column/);
});

void test('no credential configured: no anonymous write or read, not even from loopback', async (t) => {
  const s = await setup({});
  t.after(s.close);
  const app = s.dash.app;
  assert.equal((await app.inject({ method: 'POST', url: '/api/devices/r1/disable' })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/api/devices/r1/enable', remoteAddress: '192.0.2.7' })).statusCode, 401);
  assert.equal((await app.inject({ url: '/api/devices' })).statusCode, 401);
  assert.deepEqual((await app.inject({ url: '/api/auth/session' })).json(), { authenticated: false, user: null, role: null, via: null, csrfToken: null });
  assert.equal(s.store.get('r1')?.enabled, true);
});

void test('OpenAPI at /docs/json lists the routes with their schemas; /docs is served; CSP and rate-limited login', async (t) => {
  const s = await setup();
  t.after(s.close);
  const app = s.dash.app;
  const auth = { authorization: 'Bearer tok-1' };
  const doc = (await app.inject({ url: '/docs/json', headers: auth })).json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> }>();
  assert.match(doc.openapi, /^3\./);
  for (const p of ['/api/devices', '/api/devices/{id}', '/api/devices/{id}/enable', '/api/devices/{id}/interfaces', '/api/devices/test-connection', '/api/devices/import', '/api/windows', '/api/auth/login']) assert.ok(doc.paths[p], p);
  assert.equal(doc.paths['/live'], undefined);
  assert.ok(doc.paths['/api/devices'].post.requestBody?.content['application/json'].schema.properties?.snmp, 'device body documented');
  const ui = await app.inject({ url: '/docs/', headers: auth });
  assert.equal(ui.statusCode, 200);
  assert.match(ui.body, /swagger-ui-bundle\.js/);
  assert.match(String(ui.headers['content-security-policy']), /script-src 'self';/, 'docs: scripts from this origin only');
  assert.doesNotMatch(String((await app.inject({ url: '/api/devices' })).headers['content-security-policy']), /unsafe-inline/, 'inline styles only on /docs');
  const admin = await app.inject({ url: '/admin.html' });
  assert.equal(admin.statusCode, 200);
  assert.match(String(admin.headers['content-security-policy']), /script-src 'self'/);
  assert.doesNotMatch(admin.body, /<script>(?!<\/script>)|\son\w+=/, 'no inline script or handlers');
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { password: 'wrong' } })).statusCode);
  // Three failures allowed (loginAttemptsPerMinute: 3): the third already answers 429, and so does everything after.
  assert.deepEqual(codes, [401, 401, 429, 429, 429]);
});

void test('interfaces: live discovery by default, from the latest windows with source=recent', async (t) => {
  const s = await setup();
  t.after(s.close);
  const auth = { authorization: 'Bearer tok-1' };
  const live = await s.dash.app.inject({ url: '/api/devices/r1/interfaces', headers: auth });
  assert.equal(live.statusCode, 200);
  assert.equal(live.json<{ source: string }>().source, 'live');
  assert.deepEqual(s.probed, ['10.0.0.1']);
  const recent = await s.dash.app.inject({ url: '/api/devices/r1/interfaces?source=recent', headers: auth });
  assert.deepEqual(recent.json<{ source: string; interfaces: { ifIndex: number; ifName: string }[] }>().interfaces.map((i) => [i.ifIndex, i.ifName]), [[2, 'eth1']]);
  assert.deepEqual(s.probed, ['10.0.0.1'], 'no probe for source=recent');
  assert.equal((await s.dash.app.inject({ url: '/api/devices/r1/interfaces?source=bogus', headers: auth })).statusCode, 400);
});

void test('interfacesInWindows keeps the latest name per ifIndex of that device only', () => {
  const w = (deviceId: string, ifIndex: number | null, ifName: string | null, windowStart: number) => ({ deviceId, ifIndex, ifName, speed: 1e9, windowStart });
  assert.deepEqual(interfacesInWindows([w('a', 3, 'old', 0), w('a', 3, 'new', 60), w('a', 1, 'x', 0), w('a', null, null, 60), w('b', 9, 'y', 0)], 'a'), [
    { ifIndex: 1, ifName: 'x', speed: 1e9 },
    { ifIndex: 3, ifName: 'new', speed: 1e9 },
  ]);
});

void test('/live: an origin from dashboard.auth.allowedOrigins is accepted, others are closed 1008', async (t) => {
  const s = await setup({ adminToken: 'tok-1', allowedOrigins: ['https://ops.example:8443'] });
  await s.dash.start();
  t.after(async () => {
    await s.dash.stop();
    await s.store.stop();
  });
  const ws = `${s.dash.url()!.replace(/^http/, 'ws')}live`;
  const first = (origin: string) =>
    new Promise<string>((resolve) => {
      const c = new WebSocket(ws, { origin, headers: { authorization: 'Bearer tok-1' } });
      c.on('message', (m: Buffer) => {
        resolve(`message:${(JSON.parse(m.toString('utf8')) as { type: string }).type}`);
        c.close();
      });
      c.on('close', (code) => resolve(`close:${code}`));
      c.on('error', () => resolve('error'));
    });
  assert.equal(await first('https://ops.example:8443'), 'message:hello');
  assert.equal(await first('https://other.example:8443'), 'close:1008');
});
