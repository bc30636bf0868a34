// The Kafka publisher with records the size of real 48-interface samples (~14 KB) against the real
// broker: a backlog of hundreds of them (as after an outage) goes out in batches under the broker's
// message size limit, all of them, in order per key; a record too large to ever send is dropped and
// counted, and the records around it still arrive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka } from '../../common/bus/kafka.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createKafkaPublisher } from '../../collector/publisher/kafka-publisher.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

test('a backlog of 14 KB samples is sent in batches the broker accepts; an oversized record is dropped and counted', { timeout: 120_000 }, async () => {
  const config = testConfig(uniqueId('pubbig'));
  const kafka = createKafka(silentLogger, config.kafka, 'test');
  const registry = createRegistry({ defaultMetrics: false });
  const publisher = createKafkaPublisher(silentLogger, config.kafka, { kafka, registry });
  const N = 600;
  const pad = 'x'.repeat(14_000);
  // Queued before start: the whole backlog is there when the first batch is cut.
  for (let i = 0; i < N; i++) {
    publisher.publish({ key: `dev${i % 5}`, value: JSON.stringify({ i, pad }) });
    if (i === 300) publisher.publish({ key: 'dev0', value: JSON.stringify({ i: -1, pad: 'y'.repeat(2_000_000) }) });
  }
  await publisher.start();
  const consumer = kafka.consumer({ groupId: uniqueId('reader') });
  try {
    await waitFor('the backlog to be sent', () => publisher.queueDepth() === 0, 60_000);
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
    const seen = new Map<string, number[]>();
    let total = 0;
    void consumer.run({
      eachMessage: ({ message }) => {
        const key = message.key?.toString() ?? '';
        const list = seen.get(key) ?? [];
        list.push((JSON.parse(message.value?.toString() ?? '') as { i: number }).i);
        seen.set(key, list);
        total++;
        return Promise.resolve();
      },
    });
    await waitFor(`${N} records`, () => total >= N, 60_000);
    assert.equal(total, N);
    for (const [key, list] of seen) assert.deepEqual(list, [...list].sort((a, b) => a - b), `records of ${key} stay in order`);
    assert.ok(![...seen.values()].flat().includes(-1), 'the oversized record was not sent');
    assert.match(await registry.getSingleMetricAsString('netmon_collector_records_published_total'), new RegExp(`_total ${N}\\b`));
    assert.match(await registry.getSingleMetricAsString('netmon_collector_records_too_large_total'), /_total 1\b/);
  } finally {
    await consumer.disconnect();
    await publisher.stop();
  }
});
