// Alert evaluation in the real processor (real Kafka, real InfluxDB): synthetic counter samples whose
// inbound rate crosses a threshold for a few windows. The processor is stopped midway and a new one
// takes over from the committed offsets and the persisted alert states: the events on the alerts topic
// are exactly pending, firing, resolved, each once, and the alert history in InfluxDB has them too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import { systemClock } from '../../common/clock.js';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createProcessorService } from '../../processor/main.js';
import { createAlertHistoryStore } from '../../common/store/alert-history.js';
import { testConfig, uniqueId, waitFor } from './stack.js';
import { collectAlertEvents, sendSamples, steppedRateSamples } from './synthetic.js';

const W = 60_000;

test('alerts: evaluated on the processor\'s windows, stored, and continued exactly across a restart', { timeout: 180_000 }, async () => {
  const id = uniqueId('alertproc');
  const config = testConfig(id, {
    processor: { windowSeconds: 60 },
    collector: { pollIntervalSeconds: 10 },
    kafka: { samplesPartitions: 3 },
  });
  const rules = [
    alertRuleSchema.parse({ id: 'hot', metric: 'in_bps', threshold: 80_000, clearThreshold: 40_000, forWindows: 2, scope: { devices: ['synth'] } }),
    alertRuleSchema.parse({ id: 'down', metric: 'oper_down', threshold: 0, scope: { interfaces: ['eth.*'] } }),
  ];
  const history = createAlertHistoryStore(config.influx);
  const startProcessor = () => {
    const registry = createRegistry({ defaultMetrics: false });
    const { components } = createProcessorService(silentLogger, { ...config, rules, rulesFile: null, devices: [] }, { registry, clock: systemClock });
    const supervisor = createSupervisor(silentLogger);
    return { supervisor, running: supervisor.run(components, { handleSignals: false }), registry };
  };

  const kafka = createKafka(silentLogger, config.kafka, 'alert-test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: uniqueId('alert-reader') });
  const events = await collectAlertEvents(consumer, config.kafka.topics.alerts);

  // 10 s polls; inbound bytes/s per window: 1 kB/s, then 20 kB/s (160 kbit/s) for three windows, then 1 kB/s.
  const rates = [1000, 1000, 20_000, 20_000, 20_000, 1000, 1000, 1000];
  const w0 = Math.floor(Date.now() / W) * W - 12 * W;
  const sample = steppedRateSamples(rates, w0, (k) => (k >= 36 && k <= 38 ? 'down' : 'up'));
  const send = (from: number, to: number) => sendSamples(producer, config.kafka.topics.samples, sample, from, to);

  let p = startProcessor();
  try {
    // Windows 0..2 complete: window 2 breaches once -> pending.
    await send(0, 19);
    await waitFor('the pending event', () => events.some((e) => e.transition === 'pending'), 60_000);
    p.supervisor.shutdown('restart');
    assert.equal(await p.running, 0);

    p = startProcessor();
    await send(20, rates.length * 6);
    await waitFor('both resolved events', () => events.filter((e) => e.transition === 'resolved').length === 2, 90_000);
    const down = events.filter((e) => e.ruleId === 'down');
    events.splice(0, events.length, ...events.filter((e) => e.ruleId === 'hot'));
    // Half the polls of window 6 saw the interface down: fired there, resolved in window 7.
    assert.deepEqual(down.map((e) => `${(e.windowStart - w0) / W}:${e.transition}:${e.value}`), ['6:firing:0.5', '7:resolved:0']);
    // Anything a replay could duplicate would have arrived with the resolved event or before it.
    assert.deepEqual(events.map((e) => `${(e.windowStart - w0) / W}:${e.transition}`), ['2:pending', '3:firing', '5:resolved']);
    const firing = events[1];
    assert.equal(firing.id, `hot:synth:1:firing:${w0 + 3 * W}`);
    assert.equal(firing.value, 160_000);
    assert.equal(firing.firingSince, w0 + 3 * W);
    assert.equal(events[2].value, 8000);

    const stored = await waitFor('the alert history in InfluxDB', async () => {
      const rows = await history.history({ fromMs: w0, toMs: w0 + 20 * W, limit: 100 });
      return rows.length === 5 ? rows.filter((r) => r.ruleId === 'hot') : null;
    }, 30_000);
    assert.deepEqual(stored.map((r) => r.id).sort(), events.map((e) => e.id).sort());
    const latest = await history.latest();
    assert.equal(latest.length, 2);
    assert.equal(latest[0].transition, 'resolved');
    assert.match(await p.registry.getSingleMetricAsString('netmon_alerts_events_total'), /transition="resolved"/);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    p.supervisor.shutdown('test finished');
    await p.running;
  }
});
