// The Kafka publisher counts bytes as the broker does, in UTF-8, against the real broker: records of
// multi-byte text (three UTF-8 bytes per UTF-16 unit) leave in batches the broker accepts, all of
// them, in order; the queue's byte bound refuses exactly the records offered while it is full, and
// they are counted; a record above the batch limit is refused at publish and never sent. The backlog
// is queued before start(), as during a Kafka outage, so no server has to be stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka } from '../../common/bus/kafka.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createKafkaPublisher } from '../../collector/publisher/kafka-publisher.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const metric = async (registry: ReturnType<typeof createRegistry>, name: string) => Number((await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0);

test('multi-byte records: batches under the broker limit in UTF-8, the byte bound refuses exactly the records offered to a full queue', { timeout: 180_000 }, async () => {
  const config = testConfig(uniqueId('pubutf8'));
  const kafka = createKafka(silentLogger, config.kafka, 'test');
  const registry = createRegistry({ defaultMetrics: false });
  // 200,000 '€' is 200,000 UTF-16 units but 600,000 UTF-8 bytes: counted in units, four of them
  // would make a 2.4 MB batch the broker refuses forever.
  const text = '€'.repeat(200_000);
  const maxQueueBytes = 6_500_000;
  const publisher = createKafkaPublisher(silentLogger, config.kafka, { kafka, registry }, { maxQueueBytes });
  const N = 16;
  const refused: number[] = [];
  for (let i = 0; i < N; i++) {
    const record = { key: `dev${i % 2}`, value: JSON.stringify({ i, text }) };
    if (publisher.queueBytes() + Buffer.byteLength(record.key) + Buffer.byteLength(record.value) > maxQueueBytes) refused.push(i);
    publisher.publish(record);
    if (i === 3) publisher.publish({ key: 'dev0', value: JSON.stringify({ i: -1, text: '€'.repeat(400_000) }) }); // 1.2 MB alone
  }
  assert.ok(refused.length > 0 && refused.length < N, `the bound refuses some records (${refused.length})`);
  assert.equal(await metric(registry, 'netmon_collector_records_dropped_total'), refused.length, 'every refusal counted');
  assert.equal(await metric(registry, 'netmon_collector_records_too_large_total'), 1);
  assert.ok(publisher.queueBytes() <= maxQueueBytes);
  await publisher.start();
  const consumer = kafka.consumer({ groupId: uniqueId('reader'), maxBytes: 20_000_000 });
  try {
    await waitFor('the backlog to be sent', () => publisher.queueDepth() === 0, 90_000);
    assert.equal(publisher.queueBytes(), 0);
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
    const seen: Array<{ key: string; i: number }> = [];
    void consumer.run({
      eachMessage: ({ message }) => {
        const v = JSON.parse(message.value!.toString('utf8')) as { i: number; text: string };
        assert.equal(v.text, text, 'the text arrives intact');
        seen.push({ key: message.key!.toString(), i: v.i });
        return Promise.resolve();
      },
    });
    const want = Array.from({ length: N }, (_, i) => i).filter((i) => !refused.includes(i));
    await waitFor(`${want.length} records`, () => seen.length >= want.length, 60_000);
    assert.deepEqual(seen.map((s) => s.i).sort((a, b) => a - b), want, 'exactly the records not refused arrived; the oversized one was never sent');
    for (const key of ['dev0', 'dev1']) {
      const list = seen.filter((s) => s.key === key).map((s) => s.i);
      assert.deepEqual(list, [...list].sort((a, b) => a - b), `records of ${key} in order`);
    }
    assert.equal(await metric(registry, 'netmon_collector_records_published_total'), want.length);
    assert.equal(await metric(registry, 'netmon_collector_publish_errors_total'), 0, 'no send was refused by the broker');
  } finally {
    await consumer.disconnect();
    await publisher.stop();
  }
});
