// Alert states across a rebalance (real Kafka, real InfluxDB): two processors in one consumer group,
// both running before any sample arrives. The one that evaluates the device's windows is stopped
// midway; the other takes its partitions over, reloads the persisted alert states on the assignment
// and continues: the alert fires after N windows counted across both, each transition exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import { systemClock } from '../../common/clock.js';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createProcessorService } from '../../processor/main.js';
import { testConfig, uniqueId, waitFor } from './stack.js';
import { collectAlertEvents, sendSamples, steppedRateSamples } from './synthetic.js';

const W = 60_000;

test('alerts: a rebalance hands the alert state over to the other processor of the group', { timeout: 240_000 }, async () => {
  const id = uniqueId('alertreb');
  const config = testConfig(id, {
    processor: { windowSeconds: 60 },
    collector: { pollIntervalSeconds: 10 },
    kafka: { samplesPartitions: 4 },
  });
  const rules = [alertRuleSchema.parse({ id: 'hot', metric: 'in_bps', threshold: 80_000, clearThreshold: 40_000, forWindows: 3, scope: { devices: ['synth'] } })];
  const startProcessor = () => {
    const registry = createRegistry({ defaultMetrics: false });
    const { components, processor } = createProcessorService(silentLogger, { ...config, rules, rulesFile: null, devices: [] }, { registry, clock: systemClock });
    const supervisor = createSupervisor(silentLogger);
    return { supervisor, running: supervisor.run(components, { handleSignals: false }), registry, processor };
  };
  /** Windows this processor has evaluated and stored. */
  const writes = async (p: { registry: ReturnType<typeof createRegistry> }) => {
    const m = /netmon_alerts_windows_evaluated_total (\d+)/.exec(await p.registry.getSingleMetricAsString('netmon_alerts_windows_evaluated_total'));
    return m ? Number(m[1]) : 0;
  };

  const kafka = createKafka(silentLogger, config.kafka, 'alert-reb-test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: uniqueId('alert-reader') });
  const events = await collectAlertEvents(consumer, config.kafka.topics.alerts);

  // Inbound bytes/s per window: breaching in windows 2..5 (forWindows 3: pending at 2, firing at 4).
  const rates = [1000, 1000, 20_000, 20_000, 20_000, 20_000, 1000, 1000, 1000];
  const w0 = Math.floor(Date.now() / W) * W - 14 * W;
  const sample = steppedRateSamples(rates, w0);
  const send = (from: number, to: number) => sendSamples(producer, config.kafka.topics.samples, sample, from, to);

  const a = startProcessor();
  const b = startProcessor();
  try {
    await a.processor.ready();
    await b.processor.ready();
    // Windows 0..3 complete: pending at window 2, still pending (2 of 3) at window 3.
    await send(0, 25);
    await waitFor('the pending event', () => events.some((e) => e.transition === 'pending'), 90_000);
    await waitFor('window 3 evaluated', async () => (await writes(a)) + (await writes(b)) >= 4, 60_000);
    const owner = (await writes(a)) > 0 ? a : b;
    const other = owner === a ? b : a;
    assert.equal(await writes(other), 0, 'one processor evaluated the device');
    owner.supervisor.shutdown('hand over');
    assert.equal(await owner.running, 0);

    await send(26, rates.length * 6);
    await waitFor('the resolved event', () => events.some((e) => e.transition === 'resolved'), 120_000);
    assert.ok((await writes(other)) > 0, 'the other processor took over');
    assert.deepEqual(events.map((e) => `${(e.windowStart - w0) / W}:${e.transition}`), ['2:pending', '4:firing', '6:resolved']);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    for (const p of [a, b]) p.supervisor.shutdown('test finished');
    await Promise.all([a.running, b.running]);
  }
});
