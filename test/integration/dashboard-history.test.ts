// GET /api/history against the stack's real InfluxDB: up to a day it reads the 1-minute windows
// (netmon_raw), beyond a day the 1-hour rollups (netmon_rollup, here backfilled with the continuous
// query's own SELECT); missing windows come back as null (gaps), partial ones with their coverage.
// The raw windows of the rolled-up hour are rewritten afterwards with other values, so the answer
// shows which of the two was read. Fails, never skips, when the stack is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import type { WindowResult } from '../../common/contracts/window-result.js';
import { createInfluxStore, rollupSelect } from '../../common/store/influx.js';
import { sampleWindow } from '../../dashboard/dashboard.fixture.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { testConfig, uniqueId } from './stack.js';

const MIN = 60_000;
const H = 3_600_000;

interface History {
  resolution: string;
  stepMs: number;
  t: number[];
  inBps: (number | null)[];
  coverage: (number | null)[];
}

async function influxQuery(influxUrl: string, db: string, q: string): Promise<void> {
  const res = await fetch(new URL('/query', influxUrl), { method: 'POST', body: new URLSearchParams({ db, q }) });
  const text = await res.text();
  if (!res.ok || text.includes('"error"')) throw new Error(`InfluxDB: ${res.status} ${text}`);
}

void test('history route on real InfluxDB: raw windows with gaps and partial coverage; hourly rollups beyond a day', { timeout: 60_000 }, async (t) => {
  const id = uniqueId('dashhist');
  // Reads only: the anonymous viewer role (docs/security.md) stands in for a login.
  const config = testConfig(id, { dashboard: { auth: { anonymousRole: 'viewer' } } });
  const store = createInfluxStore(config.influx);
  await store.ensureDatabase();
  const log = createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', destination: process.stderr });
  const now = Math.floor(Date.now() / MIN) * MIN;
  const dash = createDashboard(log, config, { registry: createRegistry({ defaultMetrics: false }), feed: createMemoryFeed(), store, devices: () => [], clock: { now: () => now } });
  t.after(() => dash.app.close());
  const base = (over: Partial<WindowResult>): WindowResult => sampleWindow({ deviceId: 'core-1', ifIndex: 2, ifName: 'xe-0/0/2', ...over });

  // The last hour: windows at -30..-1 min, without -20..-16 (a gap); -5 partial (coverage 0.4).
  const recent: WindowResult[] = [];
  for (let k = 30; k >= 1; k--) {
    if (k <= 20 && k >= 16) continue;
    const s = now - k * MIN;
    recent.push(base({ windowStart: s, windowEnd: s + MIN, inBps: 1000 * k, coverage: k === 5 ? 0.4 : 1 }));
  }
  recent.push(base({ ifIndex: null, ifName: null, windowStart: now - MIN, windowEnd: now, inBps: 77 }));
  // An hour three days ago, rolled up at a mean of 5e8 bit/s.
  const oldHour = Math.floor(now / H) * H - 72 * H;
  const old = Array.from({ length: 60 }, (_, k) => base({ windowStart: oldHour + k * MIN, windowEnd: oldHour + (k + 1) * MIN, inBps: k < 30 ? 4e8 : 6e8 }));
  await store.writeWindows([...recent, ...old]);
  await influxQuery(config.influx.url, config.influx.database, rollupSelect(config.influx.database, 'interface_window', 60, `time >= ${oldHour}ms AND time < ${oldHour + H}ms`));
  // Rewrite the raw windows of that hour (as a later revision would): the rollup keeps the old mean.
  await store.writeWindows(old.map((w) => ({ ...w, inBps: 1e6, revision: 1 })));

  const get = async (qs: string): Promise<History> => {
    const res = await dash.app.inject({ url: `/api/history?${qs}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<History>();
  };

  await t.test('1h: raw windows, a gap is null, a partial window keeps its coverage', async () => {
    const h = await get('device=core-1&ifIndex=2&range=1h');
    assert.equal(h.resolution, 'raw');
    assert.equal(h.stepMs, MIN);
    assert.equal(h.t.length, 60);
    const at = (k: number) => h.t.indexOf(now - k * MIN);
    assert.equal(h.inBps[at(30)], 30_000);
    assert.equal(h.inBps[at(21)], 21_000);
    for (let k = 16; k <= 20; k++) assert.equal(h.inBps[at(k)], null, `window -${k} min is a gap`);
    assert.equal(h.inBps[at(5)], 5000);
    assert.equal(h.coverage[at(5)], 0.4, 'the partial window is marked by its coverage');
    assert.equal(h.coverage[at(6)], 1);
    assert.equal(h.inBps.filter((v) => v !== null).length, 25);
    assert.ok(!h.inBps.includes(0), 'no zero stands in for a missing window');
  });

  await t.test('device total', async () => {
    const h = await get('device=core-1&ifIndex=device&range=1h');
    assert.deepEqual(h.inBps.filter((v) => v !== null), [77]);
  });

  await t.test('7d: hourly rollups (the rolled-up mean, not the rewritten raw windows); recent hours from raw', async () => {
    const h = await get('device=core-1&ifIndex=2&range=7d');
    assert.equal(h.resolution, 'rollup');
    assert.equal(h.stepMs, H);
    assert.equal(h.t.length, 7 * 24);
    assert.equal(h.inBps[h.t.indexOf(oldHour)], 5e8);
    assert.equal(h.coverage[h.t.indexOf(oldHour)], 1, '60 full windows cover the hour');
    assert.equal(h.inBps[h.t.indexOf(oldHour - H)], null, 'an hour without data is a gap');
    const recentHours = h.inBps.slice(-3).filter((v) => v !== null);
    assert.ok(recentHours.length >= 1, `the last hours come from the raw windows before the continuous query runs (${h.inBps.slice(-3).join(', ')})`);
  });

  await t.test('a zoomed range inside that hour: raw windows (the rewritten values)', async () => {
    const h = await get(`device=core-1&ifIndex=2&from=${new Date(oldHour).toISOString()}&to=${new Date(oldHour + 10 * MIN).toISOString()}`);
    assert.equal(h.resolution, 'raw');
    assert.deepEqual(h.inBps, new Array(10).fill(1e6));
  });

  await t.test('an unknown device: all gaps, not an error', async () => {
    const h = await get('device=nobody&ifIndex=1&range=6h');
    assert.equal(h.t.length, 360);
    assert.ok(h.inBps.every((v) => v === null));
  });
});
