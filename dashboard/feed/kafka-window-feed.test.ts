// The Kafka feed's factory only allocates (no broker needed here); consuming is covered by the
// integration tests against a real broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { netmonConfigSchema } from '../../common/config/schema.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createKafkaWindowFeed } from './kafka-window-feed.js';

void test('kafka window feed: a group of its own per instance, nothing opened before start', async () => {
  const config = netmonConfigSchema.parse({ dashboard: { groupIdPrefix: 'dash' } });
  const registry = createRegistry({ defaultMetrics: false });
  const a = createKafkaWindowFeed(silentLogger, config, { registry });
  const b = createKafkaWindowFeed(silentLogger, config, { registry: createRegistry({ defaultMetrics: false }) });
  assert.match(a.groupId, new RegExp(`^dash-${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${process.pid}-[0-9a-f]{8}$`));
  assert.notEqual(a.groupId, b.groupId);
  assert.deepEqual(a.recent(), []);
  await a.stop(); // stopping a never-started feed is harmless
  const text = await registry.metrics();
  assert.match(text, /netmon_dashboard_bad_records_total 0/);
  assert.match(text, /netmon_dashboard_records_received_total 0/);
});
