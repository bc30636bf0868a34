import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { actionKey, AlertActions, type AlertAction } from '../../common/alerts/actions.js';
import type { AlertHistoryRow, AlertHistoryStore, DeliveryRecord } from '../../common/store/alert-history.js';
import { registerErrorHandler } from '../http-errors.js';
import { registerAlertRoutes, type AlertActionsPort, type AlertRoutesOptions } from './alert-routes.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const row = (over: Partial<AlertHistoryRow>): AlertHistoryRow => ({
  id: 'x', ruleId: 'hot', deviceId: 'sw1', ifIndex: 3, ifName: 'ge-0/0/3', transition: 'firing', state: 'firing', severity: 'critical', metric: 'in_bps',
  value: 2e6, threshold: 1e6, windowStart: NOW - 600_000, firingSince: NOW - 600_000, flapping: false, message: 'FIRING', ...over,
});

function fakeHistory(rows: AlertHistoryRow[], failing = false): AlertHistoryStore & { queries: unknown[] } {
  const queries: unknown[] = [];
  const fail = () => Promise.reject(new Error('influx down at 10.1.2.3'));
  return {
    queries,
    ensureDatabase: () => Promise.resolve(),
    writeEvents: () => Promise.resolve(),
    writeDeliveries: () => Promise.resolve(),
    history: (q) => (failing ? fail() : (queries.push(q), Promise.resolve(rows))),
    latest: () => (failing ? fail() : Promise.resolve(rows)),
    deliveries: (q) => (failing ? fail() : (queries.push(q), Promise.resolve([{ eventId: 'x', ruleId: 'hot', deviceId: 'sw1', channel: 'hook', status: 'failed', attempts: 6, error: 'refused', at: NOW } satisfies DeliveryRecord]))),
    recordedDeliveries: () => Promise.resolve(new Set()),
  };
}

function fakeActions(): AlertActionsPort & { published: AlertAction[] } {
  const actions = new AlertActions();
  const published: AlertAction[] = [];
  return {
    actions,
    published,
    publish(a) {
      published.push(a);
      actions.apply(actionKey(a), JSON.stringify(a));
      return Promise.resolve();
    },
    remove(key) {
      actions.apply(key, null);
      return Promise.resolve();
    },
  };
}

async function app(over: Partial<AlertRoutesOptions> = {}): Promise<FastifyInstance> {
  const a = Fastify();
  registerErrorHandler(a);
  registerAlertRoutes(a, {
    rules: [alertRuleSchema.parse({ id: 'hot', metric: 'in_bps', threshold: 1e6 })],
    history: fakeHistory([row({}), row({ ruleId: 'old', state: 'resolved', transition: 'resolved', firingSince: null })]),
    actions: fakeActions(),
    clock: { now: () => NOW },
    registry: createRegistry({ defaultMetrics: false }),
    log: silentLogger,
    ...over,
  });
  await a.ready();
  return a;
}

// The alerts page itself is served by the static-asset registry (dashboard/static-assets.test.ts).

test('active alerts: only pending/firing, with the acknowledgement of the current episode', async (t) => {
  const actions = fakeActions();
  const a = await app({ actions });
  t.after(() => a.close());
  let res = await a.inject({ url: '/api/alerts/active' });
  assert.equal(res.statusCode, 200);
  let body = res.json<Array<{ ruleId: string; acknowledged: unknown }>>();
  assert.deepEqual(body.map((r) => r.ruleId), ['hot']);
  assert.equal(body[0].acknowledged, null);

  res = await a.inject({ method: 'POST', url: '/api/alerts/ack', payload: { ruleId: 'hot', deviceId: 'sw1', ifIndex: 3, note: 'on it' } });
  assert.equal(res.statusCode, 201);
  assert.equal(actions.published[0].kind, 'ack');
  assert.equal((actions.published[0] as { firingSince: number }).firingSince, NOW - 600_000, 'the episode is looked up when not given');
  body = (await a.inject({ url: '/api/alerts/active' })).json();
  assert.deepEqual(body[0].acknowledged, { note: 'on it', by: '', at: NOW });
});

test('acknowledge: bad bodies get a 400 naming the field; no firing alert is a 400 too', async (t) => {
  const a = await app();
  t.after(() => a.close());
  const noNote = await a.inject({ method: 'POST', url: '/api/alerts/ack', payload: { ruleId: 'hot', deviceId: 'sw1', ifIndex: 3 } });
  assert.equal(noNote.statusCode, 400);
  assert.match(noNote.json<{ message: string }>().message, /body must have required property 'note'/);
  const badIndex = await a.inject({ method: 'POST', url: '/api/alerts/ack', payload: { ruleId: 'hot', deviceId: 'sw1', ifIndex: 0, note: 'x' } });
  assert.equal(badIndex.statusCode, 400);
  assert.match(badIndex.json<{ message: string }>().message, /ifIndex/);
  const resolved = await a.inject({ method: 'POST', url: '/api/alerts/ack', payload: { ruleId: 'old', deviceId: 'sw1', ifIndex: 3, note: 'x' } });
  assert.equal(resolved.statusCode, 400);
  assert.match(resolved.json<{ message: string }>().message, /no firing alert of rule old/);
});

test('every alert route declares its role: reads viewer, acknowledge and silences operator, rules admin', () => {
  const a = Fastify();
  const roles: Record<string, unknown> = {};
  a.addHook('onRoute', (r) => {
    if (r.method !== 'HEAD') roles[`${String(r.method)} ${r.url}`] = (r.config as { role?: unknown } | undefined)?.role;
  });
  registerAlertRoutes(a, { rules: [], history: null, actions: null, clock: { now: () => NOW }, registry: createRegistry({ defaultMetrics: false }), log: silentLogger, ruleStore: null });
  assert.deepEqual(roles, {
    'GET /api/alerts/rules': 'viewer',
    'POST /api/alerts/rules': 'admin',
    'PUT /api/alerts/rules/:id': 'admin',
    'DELETE /api/alerts/rules/:id': 'admin',
    'GET /api/alerts/active': 'viewer',
    'GET /api/alerts/history': 'viewer',
    'GET /api/alerts/deliveries': 'viewer',
    'GET /api/alerts/silences': 'viewer',
    'POST /api/alerts/ack': 'operator',
    'POST /api/alerts/silences': 'operator',
    'DELETE /api/alerts/silences/:id': 'operator',
  });
});

test('silences: create, list (active ones), lift; bad minutes named', async (t) => {
  const a = await app();
  t.after(() => a.close());
  const bad = await a.inject({ method: 'POST', url: '/api/alerts/silences', payload: { minutes: 0, note: 'x' } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json<{ message: string }>().message, /body\/minutes must be >= 1/);
  const made = await a.inject({ method: 'POST', url: '/api/alerts/silences', payload: { ruleId: 'hot', minutes: 30, note: 'maintenance' } });
  assert.equal(made.statusCode, 201);
  const s = made.json<{ id: string; until: number }>();
  assert.equal(s.until, NOW + 30 * 60_000);
  const list = (await a.inject({ url: '/api/alerts/silences' })).json<Array<{ id: string }>>();
  assert.deepEqual(list.map((x) => x.id), [s.id]);
  const active = (await a.inject({ url: '/api/alerts/active' })).json<Array<{ silencedBy: string[] }>>();
  assert.deepEqual(active[0].silencedBy, [s.id]);
  assert.equal((await a.inject({ method: 'DELETE', url: `/api/alerts/silences/${s.id}` })).statusCode, 204);
  assert.equal((await a.inject({ method: 'DELETE', url: `/api/alerts/silences/${s.id}` })).statusCode, 404);
  assert.deepEqual((await a.inject({ url: '/api/alerts/silences' })).json(), []);
});

test('history and failures: range checked, store failures are a 503 without internals', async (t) => {
  const history = fakeHistory([row({})]);
  const a = await app({ history });
  t.after(() => a.close());
  const h = await a.inject({ url: '/api/alerts/history?limit=10&rule=hot' });
  assert.equal(h.statusCode, 200);
  assert.deepEqual(history.queries[0], { fromMs: NOW - 86_400_000, toMs: NOW, limit: 10, ruleId: 'hot', deviceId: undefined });
  const f = await a.inject({ url: '/api/alerts/deliveries?status=failed' });
  assert.equal(f.json<Array<{ status: string }>>()[0].status, 'failed');
  const reversed = await a.inject({ url: '/api/alerts/history?from=2026-11-21T12:00:00Z&to=2026-11-21T11:00:00Z' });
  assert.equal(reversed.statusCode, 400);
  assert.match(reversed.json<{ message: string }>().message, /querystring\/to must be after from/);
  assert.equal((await a.inject({ url: '/api/alerts/history?limit=0' })).statusCode, 400);

  const down = await app({ history: fakeHistory([], true) });
  t.after(() => down.close());
  const r = await down.inject({ url: '/api/alerts/active' });
  assert.equal(r.statusCode, 503);
  assert.doesNotMatch(r.body, /10\.1\.2\.3/);
  assert.equal((await down.inject({ url: '/api/alerts/rules' })).json<Array<{ id: string }>>()[0].id, 'hot');
});
