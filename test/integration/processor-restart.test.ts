// The supervisor restarts a processor that reported a run-time failure, against the real Kafka and
// InfluxDB: the same component instance is stopped and started again, rejoins its group, restores its
// partitions from the committed checkpoint and goes on; the windows before and after the restart are
// exact, and the restart is counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import { systemClock } from '../../common/clock.js';
import { encodeCounterSample, type CounterSampleInput } from '../../common/contracts/index.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { createProcessorService } from '../../processor/main.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

test('a processor restarted by the supervisor mid-stream writes exact windows before and after', { timeout: 180_000 }, async () => {
  const config = testConfig(uniqueId('prestart'), { processor: { windowSeconds: 60, sessionTimeoutSeconds: 6 }, collector: { pollIntervalSeconds: 10 } });
  const registry = createRegistry({ defaultMetrics: false });
  const supervisor = createSupervisor(silentLogger, { restart: { maxRestarts: 3, windowMs: 60_000, baseDelayMs: 100, maxDelayMs: 1_000 } });
  supervisor.register(registry);
  const { components } = createProcessorService(silentLogger, { ...config, rules: [], rulesFile: null, devices: [] }, { registry, clock: systemClock, failures: supervisor });
  const running = supervisor.run(components, { handleSignals: false });
  const kafka = createKafka(silentLogger, config.kafka, 'prestart-test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const store = createInfluxStore(config.influx);
  try {
    const w0 = Math.floor(Date.now() / 60_000) * 60_000 - 240_000;
    const sample = (k: number): CounterSampleInput => ({
      deviceId: 'synth', source: 'snmp', ts: w0 + k * 10_000, sysUpTime: 100_000 + k * 1000,
      interfaces: [{ ifIndex: 1, name: 'eth0', alias: '', speed: 1e9, operStatus: 'up', width: 64, inOctets: 5_000_000n + BigInt(k) * 10_000n, outOctets: 0n, inPackets: BigInt(k) * 10n, outPackets: 0n, discontinuityTime: 0 }],
    });
    const send = (from: number, to: number) => producer.send({ topic: config.kafka.topics.samples, messages: Array.from({ length: to - from }, (_, i) => ({ key: 'synth', value: encodeCounterSample(sample(from + i)) })) });
    const complete = async (n: number) => {
      const ws = (await store.queryWindows({ deviceId: 'synth', ifIndex: 1, fromMs: w0, toMs: w0 + n * 60_000 })).filter((w) => w.coverage === 1);
      return ws.length === n ? ws : null;
    };
    await send(0, 8); // the first window [w0, w0+60 s) is complete
    await waitFor('the first window', () => complete(1), 60_000);
    supervisor.fail('processor', new Error('injected failure'));
    await waitFor('the restart', async () => (await registry.getSingleMetric('netmon_component_restarts_total')!.get()).values.some((v) => v.labels.component === 'processor' && v.value === 1), 30_000);
    await send(8, 20); // two more windows, consumed by the restarted processor
    const windows = await waitFor('three complete windows', () => complete(3), 90_000);
    for (const w of windows) {
      assert.equal(w.inOctets, 60_000n, `window ${new Date(w.windowStart).toISOString()}: 1 kB/s for 60 s, exactly`);
      assert.equal(w.inPackets, 60n);
    }
  } finally {
    await producer.disconnect();
    supervisor.shutdown('test finished');
  }
  assert.equal(await running, 0, 'stops cleanly after the restart');
});
