import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHealth, healthOf } from './health.js';
import { createMetricsServer, createRegistry } from './metrics.js';
import { silentLogger } from './log.js';

test('health: a dependency goes down with its error and since when, comes back up; the report and the metrics follow', async () => {
  let now = 1_700_000_000_000;
  const registry = createRegistry({ defaultMetrics: false });
  const h = createHealth(registry, { now: () => now });
  assert.deepEqual(h.report(), { ok: true, status: 'ok', dependencies: [] });
  h.up('kafka');
  now += 5_000;
  h.down('influxdb', new Error('connect ECONNREFUSED 127.0.0.1:18086'));
  now += 5_000;
  h.down('influxdb', new Error('still down'));
  const r = h.report();
  assert.equal(r.ok, false);
  assert.equal(r.status, 'degraded');
  assert.deepEqual(r.dependencies[0], { dependency: 'influxdb', up: false, since: new Date(1_700_000_005_000).toISOString(), lastError: 'still down' });
  assert.equal(r.dependencies[1].dependency, 'kafka');
  const text = await registry.metrics();
  assert.match(text, /netmon_dependency_up\{dependency="influxdb"\} 0/);
  assert.match(text, /netmon_dependency_up\{dependency="kafka"\} 1/);
  assert.match(text, /netmon_dependency_down_since_seconds\{dependency="influxdb"\} 1700000005/);
  now += 1_000;
  h.up('influxdb');
  assert.equal(h.report().ok, true);
  assert.match(await registry.metrics(), /netmon_dependency_down_since_seconds\{dependency="influxdb"\} 0/);
  assert.equal(h.states().find((s) => s.dependency === 'influxdb')?.since, 1_700_000_011_000);
});

test('healthOf: one tracker per registry', () => {
  const a = createRegistry({ defaultMetrics: false });
  const clock = { now: () => 0 };
  assert.equal(healthOf(a, clock), healthOf(a, clock));
  assert.notEqual(healthOf(a, clock), healthOf(createRegistry({ defaultMetrics: false }), clock));
});

test('the metrics listener of a service without a dashboard answers /healthz: 200, then 503 naming the dependency', async () => {
  const registry = createRegistry({ defaultMetrics: false });
  const h = createHealth(registry, { now: () => 0 });
  const server = createMetricsServer(silentLogger, { host: '127.0.0.1', port: 0 }, registry, h);
  await server.start();
  try {
    const url = `http://${server.address()}/healthz`;
    assert.equal((await fetch(url)).status, 200);
    h.down('kafka', new Error('broker unavailable'));
    const res = await fetch(url);
    assert.equal(res.status, 503);
    assert.deepEqual(((await res.json()) as { dependencies: unknown[] }).dependencies, [{ dependency: 'kafka', up: false, since: '1970-01-01T00:00:00.000Z', lastError: 'broker unavailable' }]);
  } finally {
    await server.stop();
  }
});
