// The dashboard as dashboard/main.ts wires it, against the stack's real InfluxDB: with
// processor.windowSeconds 30 the history of the recent hours (rolled up from the raw windows at query
// time) must weigh each window 30 s of its hour. The service once built its store without the
// window length, so 120 full 30-second windows came out as 200 % coverage. Fails, never skips, when
// the stack is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../common/clock.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { sampleWindow } from '../../dashboard/dashboard.fixture.js';
import { createDashboardService } from '../../dashboard/main.js';
import { testConfig, uniqueId } from './stack.js';

const H = 3_600_000;
const WINDOW_S = 30;

void test('dashboard service: the recent hours of the history weigh each window by the processor\'s window length', { timeout: 60_000 }, async (t) => {
  const config = testConfig(uniqueId('dashsvc'), { processor: { windowSeconds: WINDOW_S }, dashboard: { auth: { anonymousRole: 'viewer' } } });
  // The processor's writes: every 30-second window of the last full hour, each complete.
  const writer = createInfluxStore(config.influx, { windowSeconds: WINDOW_S });
  await writer.ensureDatabase();
  const hour = Math.floor(Date.now() / H) * H - H;
  const step = WINDOW_S * 1000;
  await writer.writeWindows(
    Array.from({ length: H / step }, (_, k) => sampleWindow({ deviceId: 'sw-30', ifIndex: 3, ifName: 'ge-0/0/3', windowStart: hour + k * step, windowEnd: hour + (k + 1) * step, inBps: 2e6, coverage: 1 })),
  );

  const service = createDashboardService(silentLogger, { ...config, devices: [], devicesPath: null, rules: [], rulesFile: null }, { registry: createRegistry({ defaultMetrics: false }), clock: systemClock });
  t.after(() => service.dashboard.app.close());
  const res = await service.dashboard.app.inject({ url: '/api/history?device=sw-30&ifIndex=3&range=7d' });
  assert.equal(res.statusCode, 200, res.body);
  const h = res.json<{ resolution: string; t: number[]; inBps: (number | null)[]; coverage: (number | null)[] }>();
  assert.equal(h.resolution, 'rollup');
  const i = h.t.indexOf(hour);
  assert.ok(i >= 0, `the hour ${new Date(hour).toISOString()} is on the timeline`);
  assert.equal(h.inBps[i], 2e6);
  assert.equal(h.coverage[i], 1, `${H / step} complete ${WINDOW_S} s windows cover the hour exactly once`);
});
