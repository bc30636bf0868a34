// The Kafka publisher and the InfluxDB window store against the real servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka } from '../../common/bus/kafka.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { createKafkaPublisher } from '../../collector/publisher/kafka-publisher.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

test('the publisher delivers records in order, keyed by device, to the samples topic', async () => {
  const config = testConfig(uniqueId('pub'));
  const kafka = createKafka(silentLogger, config.kafka, 'test');
  const registry = createRegistry({ defaultMetrics: false });
  const publisher = createKafkaPublisher(silentLogger, config.kafka, { kafka, registry });
  await publisher.start();
  const consumer = kafka.consumer({ groupId: uniqueId('reader') });
  try {
    for (let i = 0; i < 1000; i++) publisher.publish({ key: `dev${i % 7}`, value: JSON.stringify({ i }) });
    await publisher.flush();
    assert.equal(publisher.queueDepth(), 0);
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
    const seen = new Map<string, number[]>();
    let total = 0;
    void consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key!.toString();
        const list = seen.get(key) ?? [];
        list.push((JSON.parse(message.value!.toString()) as { i: number }).i);
        seen.set(key, list);
        total++;
        return Promise.resolve();
      },
    });
    await waitFor('1000 records', () => total >= 1000, 30_000);
    assert.equal(total, 1000);
    for (const [key, list] of seen) {
      assert.deepEqual(list, [...list].sort((a, b) => a - b), `records of ${key} stay in order`);
    }
    const metrics = await registry.getSingleMetricAsString('netmon_collector_records_published_total');
    assert.match(metrics, /netmon_collector_records_published_total 1000/);
  } finally {
    await consumer.disconnect();
    await publisher.stop();
  }
});

test('the InfluxDB store writes windows idempotently and reads them back exactly', async () => {
  const config = testConfig(uniqueId('store'));
  const store = createInfluxStore(config.influx);
  await store.ensureDatabase();
  await store.ensureDatabase();
  const base: WindowResultInput = {
    deviceId: 'r1', ifIndex: 2, ifName: 'eth0', windowStart: 1_700_000_040_000, windowEnd: 1_700_000_100_000,
    inOctets: 4_000_000_000_123n, outOctets: 7n, inPackets: 3_000_000n, outPackets: 1n, inErrors: 1n, outErrors: 0n, inDiscards: 2n, outDiscards: 0n,
    inBps: 533333333.3, outBps: 0.93, inPps: 50000, outPps: 0.016, inAvgPacketSize: 1333333.37, outAvgPacketSize: 7, speed: 1e10, inUtilization: 5.33, outUtilization: null,
    peakInBps: 6e8, peakOutBps: 1, coverage: 1, sampleCount: 12, revision: 0,
  };
  const rollup: WindowResultInput = { ...base, ifIndex: null, ifName: null, speed: null, inUtilization: null };
  await store.writeWindows([base, rollup]);
  await store.writeWindows([base, rollup]);
  await store.writeWindows([{ ...base, inOctets: 4_000_000_000_124n, revision: 1 }]);
  const all = await store.queryWindows({ deviceId: 'r1', fromMs: base.windowStart, toMs: base.windowEnd });
  assert.equal(all.length, 2, 'a replay overwrites the same point');
  const iface = all.find((w) => w.ifIndex === 2)!;
  assert.deepEqual(iface, { ...base, inOctets: 4_000_000_000_124n, revision: 1 });
  const dev = await store.queryWindows({ deviceId: 'r1', ifIndex: null, fromMs: 0, toMs: 2e12 });
  assert.deepEqual(dev, [rollup]);
  assert.deepEqual(await store.queryWindows({ deviceId: "r1' OR 1=1 --", fromMs: 0, toMs: 2e12 }), [], 'ids are escaped');
});
