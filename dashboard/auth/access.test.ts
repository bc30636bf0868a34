// Who may call what, through the real dashboard app: the role table is generated from the OpenAPI
// document (every operation must name its role in x-role, and the role must be the one this file
// derives from the route's kind), then every identity (nobody, viewer, operator, admin) calls every
// operation. Also on a real listening server: /live needs a viewer; wrong bearer tokens are limited
// (429 + Retry-After, the right token too, a metric); sessions work across two instances sharing the
// users directory and survive a restart; logout, a role change and a removal count on the next
// request; proxy headers count only from a trusted proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { WebSocket } from 'ws';
import { netmonConfigSchema } from '../../common/config/schema.js';
import { ConfigError } from '../../common/errors.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createMemoryFeed } from '../feed/window-feed.js';
import { createDashboard, type Dashboard } from '../server.js';
import { createDeviceStore } from '../devices/device-store.js';
import { createFakeConfigTopic } from '../devices/config-topic.fixture.js';
import { createUserStore, type UserStore } from '../users/user-store.js';
import { declareRoles } from './plugin.js';
import type { Requirement, Role } from './roles.js';

const FAST = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'long-enough-pw';

interface Env {
  dir: string;
  usersFile: string;
  devicesFile: string;
}

function newEnv(): Env {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-access-'));
  const devicesFile = join(dir, 'devices.yaml');
  writeFileSync(devicesFile, 'devices:\n  - id: r1\n    host: 10.0.0.1\n    snmp: { version: "2c", community: c0mm-s3cret }\n');
  return { dir, usersFile: join(dir, 'users.yaml'), devicesFile };
}

async function dashboard(env: Env, auth: Record<string, unknown> = {}): Promise<{ dash: Dashboard; users: UserStore; registry: ReturnType<typeof createRegistry>; close: () => Promise<void> }> {
  const registry = createRegistry({ defaultMetrics: false });
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0, auth } });
  const users = createUserStore(silentLogger, { file: env.usersFile, adminPassword: null, adminToken: null, scrypt: FAST });
  const store = createDeviceStore(silentLogger, { file: env.devicesFile }, { topic: createFakeConfigTopic(), clock: { now: () => 1 }, registry });
  await store.start();
  const probe = () => Promise.resolve({ sysName: 'x', sysDescr: 'y', interfaceCount: 0, interfaces: [] });
  const dash = createDashboard(silentLogger, config, { registry, feed: createMemoryFeed(), store: null, devices: () => [], admin: { store, probe }, alerts: { rules: [], history: null, actions: null, ruleStore: null }, users });
  return { dash, users, registry, close: async () => { await dash.stop(); await store.stop(); } };
}

/** The role a route must need, derived from what it is, independently of what the route declares. */
function expectedRole(method: string, path: string): Requirement {
  if (path.startsWith('/api/auth/') || path === '/healthz') return 'anonymous';
  if (path.startsWith('/api/users') || path.startsWith('/api/tokens')) return 'admin';
  if (method !== 'get' && (path === '/api/alerts/ack' || path.startsWith('/api/alerts/silences'))) return 'operator';
  // Reads that send SNMP requests or show the server's files are the admin's.
  if (path === '/api/devices/{id}/interfaces' || path === '/api/devices-file') return 'admin';
  return method === 'get' ? 'viewer' : 'admin';
}

const ORDER: Requirement[] = ['anonymous', 'viewer', 'operator', 'admin'];
const allowed = (have: Requirement, need: Requirement) => ORDER.indexOf(have) >= ORDER.indexOf(need);

void test('each role against every route of the OpenAPI document', async (t) => {
  const env = newEnv();
  const d = await dashboard(env);
  t.after(d.close);
  const app = d.dash.app;
  const tokens: Record<string, string> = {};
  for (const role of ['viewer', 'operator', 'admin'] as Role[]) {
    await d.users.add(`${role}1`, role, PASSWORD);
    tokens[role] = d.users.addToken(`${role}1`, undefined).token;
  }
  const doc = (await app.inject({ url: '/docs/json', headers: { authorization: `Bearer ${tokens.viewer}` } })).json<{ paths: Record<string, Record<string, { 'x-role'?: string }>> }>();
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, role: op['x-role'] })));
  assert.ok(operations.length >= 30, `the document lists the API (${operations.length} operations)`);
  for (const op of operations) {
    const want = expectedRole(op.method, op.path);
    assert.equal(op.role, want, `${op.method.toUpperCase()} ${op.path} declares ${op.role ?? 'no role'}`);
    const url = op.path.replace('{id}', 'nope').replace('{name}', 'nobody');
    for (const who of ['anonymous', 'viewer', 'operator', 'admin'] as const) {
      const headers: Record<string, string> = who === 'anonymous' ? {} : { authorization: `Bearer ${tokens[who]}` };
      const res = await app.inject({ method: op.method.toUpperCase() as 'GET', url, headers, ...(op.method === 'get' ? {} : { payload: {} }) });
      const refused = res.statusCode === 401 || res.statusCode === 403;
      assert.equal(!refused, allowed(who, want), `${who} ${op.method.toUpperCase()} ${url}: ${res.statusCode} ${res.body.slice(0, 120)}`);
      if (refused) assert.equal(res.statusCode, who === 'anonymous' ? 401 : 403, `${who} ${op.method.toUpperCase()} ${url}`);
    }
  }
  assert.equal((await app.inject({ url: '/api/devices' })).statusCode, 401, 'no anonymous reads unless configured');
});

void test('a route that declares no role stops the start', () => {
  const app = Fastify();
  declareRoles(app);
  app.get('/fine', { config: { role: 'viewer' } }, () => 'ok');
  assert.throws(() => app.get('/forgotten', () => 'oops'), (e: unknown) => e instanceof ConfigError && /GET \/forgotten declares no role/.test(e.message));
  assert.throws(() => app.get('/typo', { config: { role: 'superuser' as Requirement } }, () => 'oops'), ConfigError);
});

void test('anonymous viewer when configured: reads yes, writes never', async (t) => {
  const d = await dashboard(newEnv(), { anonymousRole: 'viewer' });
  t.after(d.close);
  assert.equal((await d.dash.app.inject({ url: '/api/devices' })).statusCode, 200);
  assert.equal((await d.dash.app.inject({ method: 'POST', url: '/api/alerts/silences', payload: { minutes: 1, note: 'x' } })).statusCode, 403);
  assert.equal((await d.dash.app.inject({ method: 'POST', url: '/api/devices/r1/disable' })).statusCode, 403);
  assert.throws(() => netmonConfigSchema.parse({ dashboard: { auth: { anonymousRole: 'admin' } } }));
});

void test('/live needs a viewer; wrong bearer tokens are limited per address, the right one too, with a metric', async (t) => {
  const d = await dashboard(newEnv(), { tokenFailuresPerMinute: 3 });
  await d.users.add('v', 'viewer', PASSWORD);
  const good = d.users.addToken('v', undefined).token;
  await d.dash.start();
  t.after(d.close);
  const base = d.dash.url()!;
  const ws = `${base.replace(/^http/, 'ws')}live`;
  const first = (headers: Record<string, string>) =>
    new Promise<string>((resolve) => {
      const c = new WebSocket(ws, { headers });
      c.on('message', (m: Buffer) => {
        resolve(`message:${(JSON.parse(m.toString('utf8')) as { type: string }).type}`);
        c.close();
      });
      c.on('unexpected-response', (_req, res) => {
        resolve(`http:${res.statusCode}`);
        c.terminate();
      });
      c.on('error', () => resolve('error'));
    });
  assert.equal(await first({}), 'http:401');
  assert.equal(await first({ authorization: `Bearer ${good}` }), 'message:hello');

  const call = (token: string) => fetch(`${base}api/devices`, { headers: { authorization: `Bearer ${token}` } });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await call(`nmt_000000000000_${'x'.repeat(43)}`)).status);
  assert.deepEqual(statuses, [401, 401, 429, 429, 429]);
  const blocked = await call(good);
  assert.equal(blocked.status, 429, 'the right token waits too, or guessing would go on until it hits');
  assert.match(blocked.headers.get('retry-after') ?? '', /^\d+$/);
  assert.ok(Number(blocked.headers.get('retry-after')) <= 60);
  const metrics = await d.registry.metrics();
  assert.match(metrics, /netmon_dashboard_auth_rate_limited_total\{kind="token"\} 4/);
  assert.match(metrics, /netmon_dashboard_auth_failures_total\{kind="token"\} 3/);
});

void test('sessions: across two instances sharing the users directory, through a restart; logout, role change and removal on the next request', async (t) => {
  const env = newEnv();
  const a = await dashboard(env);
  const b = await dashboard(env);
  t.after(async () => {
    await a.close();
    await b.close();
  });
  await a.users.add('op', 'operator', PASSWORD);
  const login = await a.dash.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'op', password: PASSWORD } });
  assert.equal(login.statusCode, 200, login.body);
  const setCookie = String(login.headers['set-cookie']);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  const cookie = setCookie.split(';')[0];
  const csrf = login.json<{ csrfToken: string; role: string }>().csrfToken;
  assert.equal(login.json<{ role: string }>().role, 'operator');
  const silence = (dash: Dashboard, headers: Record<string, string>) => dash.app.inject({ method: 'POST', url: '/api/alerts/silences', headers, payload: { minutes: 1, note: 'x' } });

  // Instance b never saw the login; it reads the same session key file.
  const onB = await b.dash.app.inject({ url: '/api/auth/session', headers: { cookie } });
  assert.deepEqual(onB.json(), { authenticated: true, user: 'op', role: 'operator', via: 'session', csrfToken: csrf });
  assert.equal((await silence(b.dash, { cookie })).statusCode, 403, 'a cookie session writes only with its CSRF token');
  assert.ok(![401, 403].includes((await silence(b.dash, { cookie, 'x-csrf-token': csrf })).statusCode));

  // A restart: a new instance on the same directory.
  await a.close();
  const a2 = await dashboard(env);
  t.after(a2.close);
  assert.equal((await a2.dash.app.inject({ url: '/api/devices', headers: { cookie } })).statusCode, 200);

  // A role change on one instance counts on the other at the next request.
  b.users.setRole('op', 'viewer');
  assert.equal((await silence(a2.dash, { cookie, 'x-csrf-token': csrf })).statusCode, 403);
  assert.equal((await a2.dash.app.inject({ url: '/api/devices', headers: { cookie } })).statusCode, 200);

  // Logout on b ends the session on a2 too.
  assert.equal((await b.dash.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': csrf } })).statusCode, 204);
  assert.equal((await a2.dash.app.inject({ url: '/api/devices', headers: { cookie } })).statusCode, 401);

  // A removed user's fresh session ends at once; adding the name again does not revive it.
  const again = await a2.dash.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'op', password: PASSWORD } });
  const cookie2 = String(again.headers['set-cookie']).split(';')[0];
  assert.equal((await b.dash.app.inject({ url: '/api/devices', headers: { cookie: cookie2 } })).statusCode, 200);
  a2.users.remove('op');
  await a2.users.add('op', 'admin', PASSWORD);
  assert.equal((await b.dash.app.inject({ url: '/api/devices', headers: { cookie: cookie2 } })).statusCode, 401);

  // A cookie from another installation (other key) is no session.
  const other = await dashboard(newEnv());
  t.after(other.close);
  assert.equal((await other.dash.app.inject({ url: '/api/devices', headers: { cookie: cookie2 } })).statusCode, 401);
});

void test('configured session keys: a key rotated out of first place still opens, a dropped one does not', async (t) => {
  const env = newEnv();
  const k1 = 'k1-'.repeat(12);
  const k2 = 'k2-'.repeat(12);
  const old = await dashboard(env, { sessionKeys: [k1] });
  t.after(old.close);
  await old.users.add('v', 'viewer', PASSWORD);
  const login = await old.dash.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'v', password: PASSWORD } });
  const cookie = String(login.headers['set-cookie']).split(';')[0];
  const rotated = await dashboard(env, { sessionKeys: [k2, k1] });
  t.after(rotated.close);
  assert.equal((await rotated.dash.app.inject({ url: '/api/devices', headers: { cookie } })).statusCode, 200);
  const dropped = await dashboard(env, { sessionKeys: [k2] });
  t.after(dropped.close);
  assert.equal((await dropped.dash.app.inject({ url: '/api/devices', headers: { cookie } })).statusCode, 401);
});

void test('proxy SSO: headers count only from a trusted proxy, groups map to roles', async (t) => {
  const d = await dashboard(newEnv(), { proxy: { trustedProxies: ['10.9.0.0/16'], roleMap: { netops: 'operator', netadmin: 'admin' } } });
  t.after(d.close);
  const app = d.dash.app;
  const session = (remoteAddress: string, headers: Record<string, string>) => app.inject({ url: '/api/auth/session', remoteAddress, headers }).then((r) => r.json<{ user: string | null; role: string | null; csrfToken: string | null }>());
  const fromProxy = await session('10.9.1.2', { 'remote-user': 'carol', 'remote-groups': 'staff, netops' });
  assert.equal(fromProxy.user, 'carol');
  assert.equal(fromProxy.role, 'operator');
  assert.ok(fromProxy.csrfToken);
  const spoofed = await session('10.8.1.2', { 'remote-user': 'carol', 'remote-groups': 'netadmin' });
  assert.equal(spoofed.user, null, 'the same headers from anyone else are ignored');
  assert.equal((await app.inject({ url: '/api/devices', remoteAddress: '10.8.1.2', headers: { 'remote-user': 'carol', 'remote-groups': 'netadmin' } })).statusCode, 401);
  const unmapped = await session('10.9.1.2', { 'remote-user': 'dave', 'remote-groups': 'staff' });
  assert.equal(unmapped.role, null);
  assert.equal((await app.inject({ url: '/api/devices', remoteAddress: '10.9.1.2', headers: { 'remote-user': 'dave' } })).statusCode, 403);
  const write = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/alerts/silences', remoteAddress: '10.9.1.2', headers: { 'remote-user': 'carol', 'remote-groups': 'netops', ...headers }, payload: { minutes: 1, note: 'x' } });
  assert.equal((await write({})).statusCode, 403, 'a proxy session is ambient: writes need the CSRF token');
  assert.ok(![401, 403].includes((await write({ 'x-csrf-token': fromProxy.csrfToken })).statusCode));
  assert.match(await d.registry.metrics(), /netmon_dashboard_auth_failures_total\{kind="proxy-untrusted"\} [1-9]/);
});
