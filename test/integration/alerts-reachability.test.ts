// device_unreachable against the real Kafka and InfluxDB: DeviceStatus records (as the collector
// publishes one per poll) on the status topic; the reachability watcher turns them into event-time
// device windows and the alert stage fires and resolves. The watcher is restarted midway (a window
// still open then): the events are firing and resolved, each exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { decodeAlertEvent, encodeDeviceStatus, type AlertEvent, type DeviceState } from '../../common/contracts/index.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createAlertHistoryStore } from '../../common/store/alert-history.js';
import { createAlertStage } from '../../processor/alerts/alert-stage.js';
import { createReachabilityWatcher } from '../../processor/alerts/reachability-watcher.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const W = 60_000;

test('device_unreachable: status records -> event-time windows -> fire and resolve, exactly once across a restart', { timeout: 180_000 }, async () => {
  const id = uniqueId('alertreach');
  const config = testConfig(id, {
    processor: { windowSeconds: 60 },
    kafka: { samplesPartitions: 1 },
  });
  const rules = [alertRuleSchema.parse({ id: 'gone', metric: 'device_unreachable', comparator: '>=', threshold: 0.5, forWindows: 2, severity: 'critical', scope: { target: 'device' } })];
  const history = createAlertHistoryStore(config.influx);
  const startWatcher = () => {
    const registry = createRegistry({ defaultMetrics: false });
    const stage = createAlertStage(silentLogger, config, { rules, tagsOf: () => [], registry, history });
    const watcher = createReachabilityWatcher(silentLogger, config, { stage });
    const supervisor = createSupervisor(silentLogger);
    return { supervisor, watcher, running: supervisor.run([watcher], { handleSignals: false }) };
  };
  const kafka = createKafka(silentLogger, config.kafka, 'reach-test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: uniqueId('reach-reader') });
  const events: AlertEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.topics.alerts, fromBeginning: true });
  void consumer.run({ eachMessage: ({ message }) => Promise.resolve(void events.push(decodeAlertEvent(message.value))) });

  // Polls every 20 s; the device stops answering in windows 2..4 and is back from window 5.
  const w0 = Math.floor(Date.now() / W) * W - 20 * W;
  const stateAt = (k: number): DeviceState => (k >= 6 && k < 15 ? 'unreachable' : 'up');
  const send = (from: number, to: number) => producer.send({
    topic: config.kafka.topics.status,
    messages: Array.from({ length: to - from + 1 }, (_, i) => {
      const k = from + i;
      return { key: 'sw9', value: encodeDeviceStatus({ deviceId: 'sw9', state: stateAt(k), lastError: null, lastPollAt: w0 + k * 20_000, lastSuccessAt: null, lastPollDurationMs: 5, interfaces: 4 }) };
    }),
  });

  let w = startWatcher();
  try {
    // Windows 0..3 close (the first poll of window 4 arrives): window 2 and 3 unreachable -> firing at 3.
    await send(0, 12);
    await waitFor('the firing event', () => events.some((e) => e.transition === 'firing'), 60_000);
    w.supervisor.shutdown('restart');
    assert.equal(await w.running, 0);
    w = startWatcher();
    await send(13, 24);
    await waitFor('the resolved event', () => events.some((e) => e.transition === 'resolved'), 60_000);
    assert.deepEqual(events.map((e) => `${(e.windowStart - w0) / W}:${e.transition}:${e.value}`), ['2:pending:1', '3:firing:1', '5:resolved:0']);
    assert.equal(events[1].id, `gone:sw9:device:firing:${w0 + 3 * W}`);
    const stored = await waitFor('the history', async () => {
      const rows = await history.history({ fromMs: w0, toMs: w0 + 30 * W, limit: 10 });
      return rows.length === 3 ? rows : null;
    }, 30_000);
    assert.deepEqual(stored.map((r) => r.transition).sort(), ['firing', 'pending', 'resolved']);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    w.supervisor.shutdown('test finished');
    await w.running;
  }
});
