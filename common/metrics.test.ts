import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, createMetricsServer, createRegistry } from './metrics.js';
import { silentLogger } from './log.js';
import { buildInfo } from './version.js';

test('the metrics server serves the registry in the Prometheus text format, and 404 elsewhere', async () => {
  const registry = createRegistry({ defaultMetrics: false });
  new Counter({ name: 'netmon_test_things_total', help: 'things', registers: [registry] }).inc(3);
  const server = createMetricsServer(silentLogger, { host: '127.0.0.1', port: 0 }, registry);
  await server.start();
  try {
    const res = await fetch(`http://${server.address()}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(await res.text(), /^netmon_test_things_total 3$/m);
    assert.equal((await fetch(`http://${server.address()}/other`)).status, 404);
  } finally {
    await server.stop();
  }
});

test('every registry says which build answers: netmon_build_info 1 with the package version and the runtime', async () => {
  const text = await createRegistry({ defaultMetrics: false }).metrics();
  const { version, node } = buildInfo();
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.ok(text.includes(`netmon_build_info{version="${version}",node="${node}"} 1`), text);
});
