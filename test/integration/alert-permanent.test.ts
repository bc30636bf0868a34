// The alert stage on a real permanent error, on the real stack: InfluxDB refuses one alert event for
// good (a field type conflict: its `if_name` field was written as a number in the same shard), so
// that event is dead-lettered with InfluxDB's words (the history batch bisected), the other events
// are written, every event and state still reaches Kafka, and handle() finishes instead of retrying
// forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, prepareTopics } from '../../common/bus/kafka.js';
import { readCompactedTopic } from '../../common/bus/compacted-topic.js';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import type { WindowResultInput } from '../../common/contracts/index.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createAlertHistoryStore, MEASUREMENT_ALERT_EVENT } from '../../common/store/alert-history.js';
import { createInfluxClient } from '../../common/store/influx.js';
import { createAlertStage } from '../../processor/alerts/alert-stage.js';
import type { DeadLetterRecord } from '../../processor/pipeline/dead-letters.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

test('an alert event InfluxDB refuses for good is dead-lettered; the others are stored and nothing is retried forever', { timeout: 120_000 }, async () => {
  const id = uniqueId('alertperm');
  const config = testConfig(id);
  const kafka = createKafka(silentLogger, config.kafka, 'alertperm-test');
  await prepareTopics(kafka, config.kafka);
  const registry = createRegistry({ defaultMetrics: false });
  const history = createAlertHistoryStore(config.influx);
  const rules = [alertRuleSchema.parse({ id: 'hot', metric: 'in_bps', threshold: 1000 })];
  const stage = createAlertStage(silentLogger, config, { rules, tagsOf: () => [], registry, history });
  await stage.start(kafka);
  const consumer = kafka.consumer({ groupId: uniqueId('dl-reader') });
  try {
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 600_000;
    // In the events' shard, `if_name` becomes a number: an event with an interface name is refused (HTTP 400).
    await createInfluxClient(config.influx).writePoints([{ measurement: MEASUREMENT_ALERT_EVENT, tags: { rule: 'other' }, fields: { if_name: 5 }, timestamp: new Date(t0 - 60_000) }], { precision: 'ms' });
    const win = (deviceId: string, ifName: string): WindowResultInput => ({
      deviceId, ifIndex: 1, ifName, windowStart: t0, windowEnd: t0 + 60_000,
      inOctets: 600_000n, outOctets: 0n, inPackets: 1000n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
      inBps: 80_000, outBps: 0, inPps: 0, outPps: 0, inAvgPacketSize: 600, outAvgPacketSize: null, speed: 1e9, inUtilization: 0, outUtilization: null,
      peakInBps: 80_000, peakOutBps: 0, coverage: 1, sampleCount: 6, revision: 0,
    });
    const good = Array.from({ length: 7 }, (_, i) => `good-${i}`);
    const windows = [...good.map((d) => win(d, '')), win('bad', 'eth0')];
    assert.equal(await stage.handle(windows, () => true), true, 'handled, not retried forever');

    const stored = await history.history({ fromMs: t0 - 1, toMs: t0 + 60_000, limit: 100, ruleId: 'hot' });
    assert.deepEqual(stored.map((r) => r.deviceId).sort(), good, 'the other events are in the history');
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.deadletter, fromBeginning: true });
    const dead: DeadLetterRecord[] = [];
    void consumer.run({ eachMessage: ({ message }) => Promise.resolve(void dead.push(JSON.parse(message.value!.toString()) as DeadLetterRecord)) });
    await waitFor('the refused event dead-lettered', () => dead.length >= 1, 30_000);
    assert.equal(dead.length, 1);
    assert.match(dead[0].reason, /^rejected: InfluxDB refused the alert event: .*field type conflict/);
    assert.equal(dead[0].topic, 'influxdb');
    assert.equal(dead[0].key, 'hot|bad|1');
    assert.equal((JSON.parse(dead[0].value!) as { deviceId: string }).deviceId, 'bad');
    const states = await readCompactedTopic(kafka, config.kafka.topics.alertState, uniqueId('states-reader'));
    assert.equal(states.size, windows.length, "every state on the state topic, the refused event's too");
    assert.match(await registry.getSingleMetricAsString('netmon_dependency_up'), /dependency="influxdb"} 1/, 'InfluxDB answered: not shown down');
    assert.match(await registry.getSingleMetricAsString('netmon_processor_dead_letters_total'), /reason="rejected"} 1/);
  } finally {
    await consumer.disconnect();
    await stage.stop();
  }
});
