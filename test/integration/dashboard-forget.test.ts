// The dashboard's Kafka feed drops a device's state when the collector tombstones its status (the
// device left the configuration), against the real broker: its windows, its status and the live
// hub's top-list entries go; another device's stay. Counted in netmon_dashboard_devices_forgotten_total.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, prepareTopics } from '../../common/bus/kafka.js';
import { encodeDeviceStatus } from '../../common/contracts/device-status.js';
import { encodeWindowResult } from '../../common/contracts/window-result.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createKafkaWindowFeed } from '../../dashboard/feed/kafka-window-feed.js';
import { sampleWindow } from '../../dashboard/dashboard.fixture.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

test('a status tombstone drops the device from the dashboard feed; other devices stay', { timeout: 120_000 }, async () => {
  const config = testConfig(uniqueId('forget'));
  const kafka = createKafka(silentLogger, config.kafka, 'test');
  await prepareTopics(kafka, config.kafka);
  const registry = createRegistry({ defaultMetrics: false });
  const feed = createKafkaWindowFeed(silentLogger, config, { registry });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const forgotten: string[] = [];
  await feed.start();
  try {
    await feed.ready();
    feed.subscribeForget?.((id) => forgotten.push(id));
    await producer.connect();
    const now = Date.now();
    for (const id of ['sw-gone', 'sw-kept']) {
      await producer.send({ topic: config.kafka.topics.windows, messages: [{ key: id, value: encodeWindowResult(sampleWindow({ deviceId: id, windowStart: now - 60_000, windowEnd: now })) }] });
      await producer.send({ topic: config.kafka.topics.status, messages: [{ key: id, value: encodeDeviceStatus({ deviceId: id, state: 'up', lastError: null, lastPollAt: now, lastSuccessAt: now, lastPollDurationMs: 4, interfaces: 1 }) }] });
    }
    await waitFor('both devices in the feed', () => ['sw-gone', 'sw-kept'].every((id) => feed.statusOf(id) && feed.recent().some((w) => w.deviceId === id)), 60_000, 100);
    await producer.send({ topic: config.kafka.topics.status, messages: [{ key: 'sw-gone', value: null }] });
    await waitFor('the removed device to be dropped', () => feed.statusOf('sw-gone') === undefined, 60_000, 100);
    assert.ok(!feed.recent().some((w) => w.deviceId === 'sw-gone'), 'its windows are gone');
    assert.ok(feed.statusOf('sw-kept') && feed.recent().some((w) => w.deviceId === 'sw-kept'), 'the other device stays');
    assert.deepEqual(forgotten, ['sw-gone']);
    assert.match(await registry.getSingleMetricAsString('netmon_dashboard_devices_forgotten_total'), /reason="removed"\} 1\b/);
    assert.match(await registry.getSingleMetricAsString('netmon_dashboard_bad_records_total'), /_total 0\b/, 'a tombstone is not a bad record');
  } finally {
    await producer.disconnect();
    await feed.stop();
  }
});
