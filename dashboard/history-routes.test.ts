// GET /api/history through app.inject with a recording store: bad input is a 400 naming the field,
// the range picks raw windows or hourly rollups, gaps come back as null, store trouble is a 503.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netmonConfigSchema } from '../common/config/schema.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import type { HistoryQuery, HistoryRow, WindowStore } from '../common/store/influx.js';
import { createFakeStore } from './dashboard.fixture.js';
import { createMemoryFeed } from './feed/window-feed.js';
import { createDashboard } from './server.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const MIN = 60_000;
const H = 3_600_000;

function historyStore(rows: HistoryRow[] | Error): WindowStore & { asked: HistoryQuery[] } {
  const asked: HistoryQuery[] = [];
  return {
    ...createFakeStore(),
    asked,
    queryHistory(q) {
      asked.push(q);
      return rows instanceof Error ? Promise.reject(rows) : Promise.resolve(rows);
    },
  };
}

function app(store: WindowStore | null) {
  // Reads from the configured anonymous viewer; auth itself is dashboard/auth/*.test.ts.
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0, auth: { anonymousRole: 'viewer' } } });
  return createDashboard(silentLogger, config, { registry: createRegistry({ defaultMetrics: false }), feed: createMemoryFeed(), store, devices: () => [], clock: { now: () => NOW } }).app;
}

const row = (t: number, over: Partial<HistoryRow> = {}): HistoryRow => ({ t, windowEnd: t + MIN, inBps: 8000, outBps: 4000, inUtilization: 0.8, outUtilization: 0.4, peakInBps: 9000, peakOutBps: 5000, coverage: 1, ...over });

interface HistoryBody {
  resolution: string;
  stepMs: number;
  from: number;
  to: number;
  ifIndex: number | null;
  t: number[];
  inBps: (number | null)[];
  coverage: (number | null)[];
}

void test('/api/history: bad input is a 400 naming the field', async (t) => {
  const a = app(historyStore([]));
  t.after(() => a.close());
  const cases = [
    { name: 'no device', qs: 'ifIndex=1', field: 'device' },
    { name: 'no ifIndex', qs: 'device=r1', field: 'ifIndex' },
    { name: 'device id with a control character', qs: 'device=r%0A1&ifIndex=1', field: 'device' },
    { name: 'ifIndex zero', qs: 'device=r1&ifIndex=0', field: 'ifIndex' },
    { name: 'ifIndex too big', qs: 'device=r1&ifIndex=9999999999', field: 'ifIndex' },
    { name: 'unknown range', qs: 'device=r1&ifIndex=1&range=2h', field: 'range' },
    { name: 'range and from together', qs: 'device=r1&ifIndex=1&range=1h&from=2026-11-21T10:00:00Z', field: 'from' },
    { name: 'from not a date', qs: 'device=r1&ifIndex=1&from=yesterday', field: 'from' },
    { name: 'to before from', qs: 'device=r1&ifIndex=1&from=2026-11-21T10:00:00Z&to=2026-11-21T09:00:00Z', field: 'to' },
    { name: 'span over 30 days', qs: 'device=r1&ifIndex=1&from=2026-09-01T00:00:00Z&to=2026-11-21T00:00:00Z', field: 'from' },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const res = await a.inject({ url: `/api/history?${c.qs}` });
      assert.equal(res.statusCode, 400, res.body);
      assert.match((res.json<{ message: string }>()).message, new RegExp(c.field), res.body);
    });
  }
});

void test('/api/history: range -> raw windows or hourly rollups; gaps as null', async (t) => {
  await t.test('1h reads raw windows, a missing window is null', async () => {
    const store = historyStore([row(NOW - 3 * MIN), row(NOW - MIN, { coverage: 0.5 })]);
    const a = app(store);
    const res = await a.inject({ url: '/api/history?device=r1&ifIndex=3&range=1h' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<HistoryBody>();
    assert.deepEqual(store.asked, [{ deviceId: 'r1', ifIndex: 3, fromMs: NOW - H, toMs: NOW, resolution: 'raw' }]);
    assert.equal(body.resolution, 'raw');
    assert.equal(body.stepMs, MIN);
    assert.equal(body.t.length, 60);
    assert.deepEqual(body.inBps.slice(-3), [8000, null, 8000]);
    assert.deepEqual(body.coverage.slice(-3), [1, null, 0.5]);
    assert.equal(body.inBps.filter((v) => v === null).length, 58);
    await a.close();
  });
  await t.test('7d reads the rollups, hour steps; device total', async () => {
    const store = historyStore([row(NOW - 2 * H, { windowEnd: null })]);
    const a = app(store);
    const body = (await a.inject({ url: '/api/history?device=r1&ifIndex=device&range=7d' })).json<HistoryBody>();
    assert.equal(store.asked[0].resolution, 'rollup');
    assert.equal(store.asked[0].ifIndex, null);
    assert.equal(body.ifIndex, null);
    assert.equal(body.stepMs, H);
    assert.equal(body.t.length, 7 * 24);
    assert.deepEqual(body.inBps.slice(-3), [null, 8000, null]);
    await a.close();
  });
  await t.test('a zoomed from..to of 20 minutes reads raw windows', async () => {
    const store = historyStore([]);
    const a = app(store);
    const res = await a.inject({ url: '/api/history?device=r1&ifIndex=1&from=2026-11-21T11:00:00Z&to=2026-11-21T11:20:00Z' });
    assert.equal(res.statusCode, 200);
    assert.equal(store.asked[0].resolution, 'raw');
    assert.equal(res.json<HistoryBody>().t.length, 20);
    await a.close();
  });
});

void test('/api/history: no store, a store without history, a failing store -> 503', async (t) => {
  for (const [name, store] of [['no store', null], ['no history support', createFakeStore()], ['failing', historyStore(new Error('connect ECONNREFUSED 127.0.0.1:18086'))]] as const) {
    await t.test(name, async () => {
      const a = app(store);
      const res = await a.inject({ url: '/api/history?device=r1&ifIndex=1' });
      assert.equal(res.statusCode, 503);
      assert.ok(!res.body.includes('18086'), 'internal addresses stay in the log');
      await a.close();
    });
  }
});
