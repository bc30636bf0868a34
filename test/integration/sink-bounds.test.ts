// Every send bounded in bytes, on the real broker: a record with a 200 KB key and one with a 1 MB
// `kind` on the samples topic are dead-lettered (cut, saying so) and the processor keeps going with
// exact windows; a 3,000-device bulk import publishes to the config topic; 2,000 windows' alert
// states publish to the state topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import { readCompactedTopic } from '../../common/bus/compacted-topic.js';
import { systemClock } from '../../common/clock.js';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { deviceSchema } from '../../common/config/schema.js';
import { encodeCounterSample, type CounterSampleInput, type WindowResultInput } from '../../common/contracts/index.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createAlertHistoryStore } from '../../common/store/alert-history.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { createKafkaConfigTopic } from '../../dashboard/devices/config-topic.js';
import { createAlertStage } from '../../processor/alerts/alert-stage.js';
import { createProcessorService } from '../../processor/main.js';
import type { DeadLetterRecord } from '../../processor/pipeline/dead-letters.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

test('a 200 KB key and a 1 MB kind on the samples topic are dead-lettered, cut; the processor keeps going', { timeout: 180_000 }, async () => {
  const config = testConfig(uniqueId('big'), { processor: { windowSeconds: 60 }, collector: { pollIntervalSeconds: 10 } });
  const registry = createRegistry({ defaultMetrics: false });
  const { components } = createProcessorService(silentLogger, { ...config, rules: [], rulesFile: null, devices: [] }, { registry, clock: systemClock });
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(components, { handleSignals: false });
  const kafka = createKafka(silentLogger, config.kafka, 'big-test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: uniqueId('dl-reader') });
  try {
    const w0 = Math.floor(Date.now() / 60_000) * 60_000 - 180_000;
    const sample = (k: number): CounterSampleInput => ({
      deviceId: 'synth', source: 'snmp', ts: w0 + k * 10_000, sysUpTime: 100_000 + k * 1000,
      interfaces: [{ ifIndex: 1, name: 'eth0', alias: '', speed: 1e9, operStatus: 'up', width: 64, inOctets: 5_000_000n + BigInt(k) * 10_000n, outOctets: 0n, inPackets: BigInt(k) * 10n, outPackets: 0n, discontinuityTime: 0 }],
    });
    const good = Array.from({ length: 13 }, (_, k) => ({ key: 'synth', value: encodeCounterSample(sample(k)) }));
    const bigKey = 'k'.repeat(200_000);
    const bigKind = 'x'.repeat(1_000_000);
    await producer.send({ topic: config.kafka.topics.samples, messages: good.slice(0, 4) });
    // The 1 MB kind is keyed 'synth': the good records after it on that partition wait behind it.
    await producer.send({ topic: config.kafka.topics.samples, messages: [{ key: bigKey, value: '{"kind":"nope"}' }] });
    await producer.send({ topic: config.kafka.topics.samples, messages: [{ key: 'synth', value: `{"kind":"${bigKind}"}` }] });
    await producer.send({ topic: config.kafka.topics.samples, messages: good.slice(4) });

    const store = createInfluxStore(config.influx);
    const windows = await waitFor('two complete windows', async () => {
      const ws = (await store.queryWindows({ deviceId: 'synth', ifIndex: 1, fromMs: w0, toMs: w0 + 120_000 })).filter((w) => w.coverage === 1);
      return ws.length === 2 ? ws : null;
    }, 90_000);
    for (const w of windows) assert.equal(w.inOctets, 60_000n, '1 kB/s for 60 s, exactly');

    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.deadletter, fromBeginning: true });
    const dead: Array<{ key: string | null; rec: DeadLetterRecord; bytes: number }> = [];
    void consumer.run({ eachMessage: ({ message }) => Promise.resolve(void dead.push({ key: message.key?.toString() ?? null, rec: JSON.parse(message.value!.toString()) as DeadLetterRecord, bytes: (message.key?.length ?? 0) + message.value!.length })) });
    await waitFor('two dead letters', () => dead.length >= 2, 30_000);
    const byKey = dead.find((d) => d.rec.keyTruncated)!;
    const byKind = dead.find((d) => d.rec.reasonTruncated)!;
    assert.ok(byKey && byKind, JSON.stringify(dead.map((d) => d.rec.reason.slice(0, 80))));
    assert.equal(byKey.rec.keyBytes, 200_000);
    assert.ok(bigKey.startsWith(byKey.rec.key ?? 'none') && (byKey.rec.key ?? '').length > 0);
    assert.equal(byKey.key, byKey.rec.key, 'the Kafka key is the same cut key');
    assert.match(byKey.rec.reason, /^invalid: /);
    assert.equal(byKind.rec.valueTruncated, true);
    assert.ok((byKind.rec.valueBytes ?? 0) > 1_000_000);
    assert.ok((byKind.rec.reasonBytes ?? 0) > 1_000_000);
    assert.match(byKind.rec.reason, /^invalid: kind: /);
    for (const d of dead) assert.ok(d.bytes <= 256 * 1024, `${d.bytes} bytes`);
    assert.match(await registry.getSingleMetricAsString('netmon_processor_dead_letters_total'), /reason="invalid"} 2/);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    supervisor.shutdown('test finished');
    assert.equal(await running, 0);
  }
});

test('a bulk import of 3,000 devices (several MB) publishes to the config topic and reads back', { timeout: 120_000 }, async () => {
  const config = testConfig(uniqueId('bulk'));
  const kafka = createKafka(silentLogger, config.kafka, 'bulk-test');
  await prepareTopics(kafka, config.kafka);
  const topic = createKafkaConfigTopic(silentLogger, config.kafka, { groupIdPrefix: uniqueId('bulk') });
  await topic.connect();
  try {
    const tags = Array.from({ length: 8 }, (_, i) => `rack-${i}-${'t'.repeat(40)}`);
    const devices = Array.from({ length: 3000 }, (_, i) => deviceSchema.parse({ id: `sw ${i}, hall=B`, host: `10.0.${i >> 8}.${i & 255}`, tags, snmp: { version: '2c', community: 'c'.repeat(32) } }));
    await topic.publish(devices.map((d) => ({ id: d.id, device: d })), Date.now());
    const back = await topic.readDevices();
    assert.equal(back.size, 3000);
    assert.equal(back.get('sw 2999, hall=B')?.host, '10.0.11.183');
  } finally {
    await topic.disconnect();
  }
});

test("2,000 windows' alert states (over 1 MB) publish to the state topic", { timeout: 120_000 }, async () => {
  const id = uniqueId('states');
  const config = testConfig(id);
  const kafka = createKafka(silentLogger, config.kafka, 'states-test');
  await prepareTopics(kafka, config.kafka);
  const registry = createRegistry({ defaultMetrics: false });
  const rules = [alertRuleSchema.parse({ id: 'hot', metric: 'in_bps', threshold: 80_000, forWindows: 2 })];
  const stage = createAlertStage(silentLogger, config, { rules, tagsOf: () => [], registry, history: createAlertHistoryStore(config.influx) });
  await stage.start(kafka);
  try {
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 600_000;
    const windows: WindowResultInput[] = Array.from({ length: 2000 }, (_, i) => ({
      deviceId: `device-${i} ${'d'.repeat(100)}`, ifIndex: 1 + (i % 48), ifName: `ge-0/0/${i % 48}`, windowStart: t0, windowEnd: t0 + 60_000,
      inOctets: 600n, outOctets: 0n, inPackets: 1n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
      inBps: 100_000, outBps: 0, inPps: 0, outPps: 0, inAvgPacketSize: 600, outAvgPacketSize: null, speed: 1e9, inUtilization: 0, outUtilization: null,
      peakInBps: 100_000, peakOutBps: 0, coverage: 1, sampleCount: 6, revision: 0,
    }));
    assert.equal(await stage.handle(windows, () => true), true);
    const states = await readCompactedTopic(kafka, config.kafka.topics.alertState, uniqueId('states-reader'));
    // Every window breaches: one changed state per interface, every one on the topic.
    assert.equal(states.size, 2000);
    assert.equal((await registry.getSingleMetric('netmon_alerts_state_writes_total')?.get())?.values[0]?.value, 2000);
    for (let i = 0; i < 2000; i += 199) assert.ok([...states.keys()].some((k) => k.includes(`device-${i} `)), `device-${i}`);
    const bytes = [...states.values()].reduce((n, v) => n + Buffer.byteLength(v), 0);
    assert.ok(bytes > 1_048_576, `${bytes} bytes of state, more than one send can carry`);
  } finally {
    await stage.stop();
  }
});
