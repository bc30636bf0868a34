// The processor against the real Kafka and InfluxDB with synthetic counter samples: garbage and
// invalid records go to the dead-letter topic with the reason and the field, and the good records
// around them still make exact windows.
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

test('bad records are dead-lettered with the field named; good ones around them make exact windows', { timeout: 120_000 }, async () => {
  const config = testConfig(uniqueId('proc'), { processor: { windowSeconds: 60 }, collector: { pollIntervalSeconds: 10 } });
  const registry = createRegistry({ defaultMetrics: false });
  const { components } = createProcessorService(silentLogger, { ...config, rules: [], rulesFile: null, devices: [] }, { registry, clock: systemClock });
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(components, { handleSignals: false });
  const kafka = createKafka(silentLogger, config.kafka, 'proc-test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: uniqueId('dl-reader') });
  try {
    // Two minutes of 10 s polls, 1 kB/s in: windows [w0, w0+60 s) and [w0+60 s, w0+120 s) are complete.
    const w0 = Math.floor(Date.now() / 60_000) * 60_000 - 180_000;
    const sample = (k: number): CounterSampleInput => ({
      deviceId: 'synth', source: 'snmp', ts: w0 + k * 10_000, sysUpTime: 100_000 + k * 1000,
      interfaces: [{ ifIndex: 1, name: 'eth0', alias: '', speed: 1e9, operStatus: 'up', width: 64, inOctets: 5_000_000n + BigInt(k) * 10_000n, outOctets: 0n, inPackets: BigInt(k) * 10n, outPackets: 0n, discontinuityTime: 0 }],
    });
    const good = Array.from({ length: 13 }, (_, k) => ({ key: 'synth', value: encodeCounterSample(sample(k)) }));
    const badField = JSON.parse(encodeCounterSample(sample(3))) as { interfaces: Array<Record<string, unknown>> };
    badField.interfaces[0].inOctets = -5;
    const messages = [...good.slice(0, 4), { key: 'synth', value: '{not json' }, { key: 'synth', value: JSON.stringify(badField) }, ...good.slice(4)];
    await producer.send({ topic: config.kafka.topics.samples, messages });

    const store = createInfluxStore(config.influx);
    const windows = await waitFor('two complete windows', async () => {
      const ws = (await store.queryWindows({ deviceId: 'synth', ifIndex: 1, fromMs: w0, toMs: w0 + 120_000 })).filter((w) => w.coverage === 1);
      return ws.length === 2 ? ws : null;
    }, 60_000);
    for (const w of windows) {
      assert.equal(w.inOctets, 60_000n, '1 kB/s for 60 s, exactly');
      assert.equal(w.inPackets, 60n);
      assert.equal(w.inBps, 8000);
      assert.equal(w.inAvgPacketSize, 1000);
    }

    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.deadletter, fromBeginning: true });
    const dead: Array<{ reason: string; field: string | null; offset: string; value: string | null }> = [];
    void consumer.run({ eachMessage: ({ message }) => Promise.resolve(void dead.push(JSON.parse(message.value!.toString()) as (typeof dead)[number])) });
    await waitFor('two dead letters', () => dead.length >= 2, 30_000);
    assert.equal(dead.length, 2);
    assert.match(dead[0].reason, /^invalid: .*not valid JSON/);
    assert.equal(dead[0].value, '{not json');
    assert.equal(dead[0].offset, '4');
    assert.equal(dead[1].field, 'interfaces[0].inOctets');
    const metrics = await registry.getSingleMetricAsString('netmon_processor_dead_letters_total');
    assert.match(metrics, /reason="invalid"} 2/);
    // Every emitted window was written (the write-behind is empty once InfluxDB shows them).
    const total = async (name: string) => ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);
    const emitted = await total('netmon_processor_windows_emitted_total');
    assert.ok(emitted >= 4, `emitted ${emitted}`);
    await waitFor('windows written = emitted', async () => (await total('netmon_processor_windows_written_total')) === emitted, 10_000);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    supervisor.shutdown('test finished');
    assert.equal(await running, 0);
  }
});
