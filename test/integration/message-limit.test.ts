// Sends follow the broker's real limit, read from the topic's max.message.bytes at start, on the
// real broker: with small limits on the samples, windows, dead-letter and alert topics, everything
// lands in sends under them (no send refused by the broker), a record alone above the limit is
// refused by the collector with a named error (counted) and dead-lettered by the processor as
// `rejected: ... too large`, never retried forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, defaultPartitioner, prepareTopics, type Kafka } from '../../common/bus/kafka.js';
import { systemClock } from '../../common/clock.js';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { encodeCounterSample, encodeWindowResult, type CounterSampleInput, type WindowResultInput } from '../../common/contracts/index.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry, type Registry } from '../../common/metrics.js';
import { createKafkaPublisher } from '../../collector/publisher/kafka-publisher.js';
import { createProcessorService } from '../../processor/main.js';
import type { DeadLetterRecord } from '../../processor/pipeline/dead-letters.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const metric = async (registry: Registry, name: string) => Number((await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0);

/** Creates the topics of `config` first with the given max.message.bytes, then the rest as netmon makes them. */
async function topicsWithLimits(kafka: Kafka, config: NetmonConfig, limits: Record<string, number>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: Object.entries(limits).map(([topic, bytes]) => ({ topic, numPartitions: topic === config.kafka.topics.samples || topic === config.kafka.topics.windows ? 3 : 1, configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] })) });
  } finally {
    await admin.disconnect();
  }
  await prepareTopics(kafka, config.kafka);
}

type Read = { key: string | null; value: string; bytes: number };

/** Reads a topic from the beginning into the returned array (the consumer keeps running). */
async function collect(kafka: Kafka, topic: string): Promise<{ records: Read[]; stop: () => Promise<void> }> {
  const consumer = kafka.consumer({ groupId: uniqueId('reader') });
  const records: Read[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  void consumer.run({ eachMessage: ({ message }) => Promise.resolve(void records.push({ key: message.key?.toString() ?? null, value: message.value!.toString(), bytes: (message.key?.length ?? 0) + message.value!.length })) });
  return { records, stop: () => consumer.disconnect() };
}

test("collector: batches under the samples topic's own limit (64 KiB); a record above it, queued before the limit was read, is refused with a named error", { timeout: 120_000 }, async () => {
  const config = testConfig(uniqueId('limpub'));
  const kafka = createKafka(silentLogger, config.kafka, 'test');
  const limit = 64 * 1024;
  await topicsWithLimits(kafka, config, { [config.kafka.topics.samples]: limit });
  const registry = createRegistry({ defaultMetrics: false });
  const publisher = createKafkaPublisher(silentLogger, config.kafka, { kafka, registry });
  // 200 records of 2 kB (400 kB, six times the limit), queued before start as during an outage; one
  // of 80 kB among them passes Kafka's default limit at publish, and the limit read at start refuses it.
  const N = 200;
  for (let i = 0; i < N; i++) {
    publisher.publish({ key: `dev${i % 7}`, value: JSON.stringify({ i, pad: 'p'.repeat(2000) }) });
    if (i === 50) publisher.publish({ key: 'dev0', value: JSON.stringify({ i: -1, pad: 'x'.repeat(80_000) }) });
  }
  assert.equal(await metric(registry, 'netmon_collector_records_too_large_total'), 0, 'under the default limit at publish');
  await publisher.start();
  const read = await collect(kafka, config.kafka.topics.samples);
  try {
    await waitFor('the backlog to be sent', () => publisher.queueDepth() === 0, 60_000);
    await waitFor(`${N} records`, () => read.records.length >= N, 60_000);
    assert.deepEqual(read.records.map((r) => (JSON.parse(r.value) as { i: number }).i).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i), 'every record but the oversized one');
    assert.equal(await metric(registry, 'netmon_collector_records_too_large_total'), 1, 'the 80 kB record refused, counted');
    assert.equal(await metric(registry, 'netmon_collector_publish_errors_total'), 0, 'no send refused by the broker');
    assert.equal(await metric(registry, 'netmon_collector_records_published_total'), N);
  } finally {
    await read.stop();
    await publisher.stop();
  }
});

test('processor: windows, dead letters, alert events and states land in sends under small topic limits; a window record above its limit is dead-lettered as too large', { timeout: 240_000 }, async () => {
  const id = uniqueId('limproc');
  const config = testConfig(id, { processor: { windowSeconds: 60 }, collector: { pollIntervalSeconds: 10 } });
  const t = config.kafka.topics;
  const w0 = Math.floor(Date.now() / 60_000) * 60_000 - 240_000;
  const sample = (deviceId: string, k: number): CounterSampleInput => ({
    deviceId, source: 'snmp', ts: w0 + k * 10_000, sysUpTime: 100_000 + k * 1000,
    interfaces: [{ ifIndex: 1, name: 'eth0', alias: '', speed: 1e9, operStatus: 'up', width: 64, inOctets: 5_000_000n + BigInt(k) * 10_000n, outOctets: 0n, inPackets: BigInt(k) * 10n, outPackets: 0n, discontinuityTime: 0 }],
  });
  // The windows topic's limit sits between a plain window record and one of a device whose id is
  // 128 four-byte characters: the first kind fits (a few per send), the second never does.
  const big = '\u{1D538}'.repeat(128);
  const windowOf = (deviceId: string): WindowResultInput => ({
    deviceId, ifIndex: 1, ifName: 'eth0', windowStart: w0, windowEnd: w0 + 60_000, inOctets: 60_000n, outOctets: 0n, inPackets: 60n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
    inBps: 8000, outBps: 0, inPps: 1, outPps: 0, inAvgPacketSize: 1000, outAvgPacketSize: null, speed: 1e9, inUtilization: 0.000008, outUtilization: 0, peakInBps: 8000, peakOutBps: 0, coverage: 1, sampleCount: 6, revision: 0,
  });
  const size = (deviceId: string) => Buffer.byteLength(deviceId) + Buffer.byteLength(encodeWindowResult(windowOf(deviceId)));
  const small = size('dev-000') + 128 + 32;
  const windowsLimit = Math.floor((size('dev-000') + size(big)) / 2) + 128 + 32;
  assert.ok(size(big) + 32 > windowsLimit - 128 && small <= windowsLimit, `${size('dev-000')} / ${size(big)} / ${windowsLimit}`);
  const kafka = createKafka(silentLogger, config.kafka, 'limproc-test');
  await topicsWithLimits(kafka, config, { [t.windows]: windowsLimit, [t.deadletter]: 4096, [t.alerts]: 64 * 1024, [t.alertState]: 64 * 1024 });

  const rules = [alertRuleSchema.parse({ id: 'busy', metric: 'in_bps', threshold: 1000 })];
  const registry = createRegistry({ defaultMetrics: false });
  const { components } = createProcessorService(silentLogger, { ...config, rules, rulesFile: null, devices: [] }, { registry, clock: systemClock });
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(components, { handleSignals: false });
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const windows = await collect(kafka, t.windows);
  const dead = await collect(kafka, t.deadletter);
  const alerts = await collect(kafka, t.alerts);
  const states = await collect(kafka, t.alertState);
  try {
    const devices = Array.from({ length: 60 }, (_, i) => `dev-${String(i).padStart(3, '0')}`);
    // 13 polls each: two complete windows per series (device and interface).
    for (let k = 0; k <= 12; k++) {
      await producer.send({ topic: t.samples, messages: [...devices, big].map((d) => ({ key: d, value: encodeCounterSample(sample(d, k)) })) });
    }
    // 40 records that fail decoding, 5 kB each: 200 kB of dead letters for a 4 KiB topic.
    await producer.send({ topic: t.samples, messages: Array.from({ length: 40 }, (_, i) => ({ key: `junk-${i}`, value: JSON.stringify({ kind: 'nope', pad: 'j'.repeat(5000) }) })) });

    const plain = (r: Read) => r.key !== big;
    await waitFor('two complete windows per plain series on the topic', () => {
      const complete = windows.records.filter(plain).filter((r) => (JSON.parse(r.value) as { coverage: number }).coverage === 1);
      return complete.length >= devices.length * 4;
    }, 150_000);
    const bigLetters = () => dead.records.map((r) => JSON.parse(r.value) as DeadLetterRecord).filter((d) => d.reason.startsWith('rejected: the window record is too large'));
    await waitFor("the big device's complete windows dead-lettered", () => bigLetters().length >= 4, 60_000);
    await waitFor('40 invalid records dead-lettered', () => dead.records.filter((r) => (JSON.parse(r.value) as DeadLetterRecord).reason.startsWith('invalid:')).length >= 40, 60_000);
    // The rule watches interfaces: one state per device's interface, the big device's too.
    await waitFor('an alert state per interface', () => new Set(states.records.map((r) => r.key)).size >= devices.length + 1, 60_000);

    assert.equal(windows.records.filter((r) => !plain(r)).length, 0, "the big device's windows never reach the windows topic");
    for (const d of bigLetters()) assert.equal(d.topic, t.windows);
    for (const r of windows.records) assert.ok(r.bytes + 32 <= windowsLimit - 128, `a window record of ${r.bytes} bytes`);
    for (const r of dead.records) assert.ok(r.bytes + 32 <= 4096 - 128, `a dead letter of ${r.bytes} bytes`);
    const letters = dead.records.map((r) => JSON.parse(r.value) as DeadLetterRecord);
    assert.ok(letters.filter((d) => d.reason.startsWith('invalid:')).every((d) => d.valueTruncated === true && d.valueBytes! > 5000), 'the 5 kB values were cut to fit 4 KiB with the rest');
    assert.equal(letters.filter((d) => /broker refused/.test(d.reason)).length, 0, 'no send was refused by the broker: all were cut under the limits');
    // Every interface fired: events and states in sends under 64 KiB.
    assert.ok(alerts.records.length >= devices.length + 1, `${alerts.records.length} events`);
    const stateBytes = states.records.reduce((n, r) => n + r.bytes, 0);
    assert.ok(stateBytes > 64 * 1024 || alerts.records.reduce((n, r) => n + r.bytes, 0) + stateBytes > 64 * 1024, `${stateBytes} bytes of states: more than one send may carry`);
    assert.match(await registry.getSingleMetricAsString('netmon_processor_dead_letters_total'), /reason="invalid"} 40/);
  } finally {
    for (const c of [windows, dead, alerts, states]) await c.stop();
    await producer.disconnect();
    supervisor.shutdown('test finished');
    assert.equal(await running, 0);
  }
});
