// Poison records on the real stack: an engine that throws on one marked record (given to
// createProcessor through its engine factory, as nothing realistic makes the pure engine throw any
// more). The processor retries the partition from its commit, counts the attempts in the commit
// metadata, keeps that count across a restart (a second createProcessor in the same group), and
// dead-letters exactly the poison record as `poison` after processor.maxRecordAttempts; every other
// record's windows, in InfluxDB and on netmon.windows, equal the pure engine's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, defaultPartitioner, partitionOfKey, prepareTopics, type Kafka } from '../../common/bus/kafka.js';
import { systemClock } from '../../common/clock.js';
import { decodeSampleRecord, decodeWindowResult, encodeCounterSample, type CounterSampleInput, type SampleRecord, type WindowResultInput } from '../../common/contracts/index.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { createWindowEngine, type WindowEngine, type WindowEngineOptions } from '../../processor/core/index.js';
import { createProcessor, engineOptions, type Processor } from '../../processor/pipeline/processor.js';
import { readCommitMetas } from '../../processor/pipeline/partitions.js';
import type { DeadLetterRecord } from '../../processor/pipeline/dead-letters.js';
import { asPublished, asStored, jsonBig, keyOf } from './fault-verdict.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const MAX_ATTEMPTS = 4;

/** The pure engine, except that ingesting a record `isPoison` picks throws (and is counted). */
function poisonEngine(o: WindowEngineOptions, isPoison: (r: SampleRecord) => boolean, onThrow: () => void): WindowEngine {
  const real = createWindowEngine(o);
  return {
    ...real,
    ingest(rec, partition, now, offset) {
      if (isPoison(rec)) {
        onThrow();
        throw new Error('engine failure on the marked record');
      }
      return real.ingest(rec, partition, now, offset);
    },
  };
}

async function tries(kafka: Kafka, groupId: string, topic: string, partition: number): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await readCommitMetas(admin, groupId, topic)).get(partition)?.meta?.tries ?? 0;
  } finally {
    await admin.disconnect();
  }
}

test('a record that makes the engine throw is retried, counted across a restart, then dead-lettered as poison; the other windows are exact', { timeout: 300_000 }, async () => {
  const config = testConfig(uniqueId('poison'), { processor: { windowSeconds: 60, maxRecordAttempts: MAX_ATTEMPTS }, collector: { pollIntervalSeconds: 10 } });
  const t = config.kafka.topics;
  const partitions = config.kafka.samplesPartitions;
  const kafka = createKafka(silentLogger, config.kafka, 'poison-test');
  await prepareTopics(kafka, config.kafka);
  const w0 = Math.floor(Date.now() / 60_000) * 60_000 - 240_000;
  const devices = ['victim', 'a', 'b', 'c', 'd', 'e'];
  const victimPartition = partitionOfKey('victim', partitions);
  assert.ok(devices.some((d) => d !== 'victim' && partitionOfKey(d, partitions) === victimPartition), 'another device shares the poison record\'s partition');
  const sample = (deviceId: string, k: number): CounterSampleInput => ({
    deviceId, source: 'snmp', ts: w0 + k * 10_000, sysUpTime: 100_000 + k * 1000,
    interfaces: [{ ifIndex: 1, name: 'eth0', alias: '', speed: 1e9, operStatus: 'up', width: 64, inOctets: 5_000_000n + BigInt(k * (k + 3)) * 1_000n, outOctets: BigInt(k) * 7n, inPackets: BigInt(k) * 10n, outPackets: 0n, discontinuityTime: 0 }],
  });
  const POISON_TS = w0 + 100_000;
  const isPoison = (r: SampleRecord) => r.deviceId === 'victim' && 'ts' in r && r.ts === POISON_TS;
  let throwsA = 0;
  let throwsB = 0;
  const make = (onThrow: () => void) => createProcessor(silentLogger, config, {
    registry: createRegistry({ defaultMetrics: false }), clock: systemClock, store: createInfluxStore(config.influx),
    engine: (o) => poisonEngine(o, isPoison, onThrow),
  });
  const stopped: { a: Promise<void> | null } = { a: null };
  const a: Processor = make(() => {
    // The third failure stops this member, as a crash would, mid-way through its attempts (the
    // first run that meets the record is not counted; each retry after a restore is, before it starts).
    if (++throwsA === 3) stopped.a = a.stop();
  });
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sent: Array<{ deviceId: string; k: number }> = [];
  const send = async (from: number, to: number) => {
    const messages = [];
    for (let k = from; k <= to; k++) for (const d of devices) {
      messages.push({ key: d, value: encodeCounterSample(sample(d, k)) });
      sent.push({ deviceId: d, k });
    }
    await producer.send({ topic: t.samples, messages });
  };
  const windowsReader = kafka.consumer({ groupId: uniqueId('windows-reader') });
  const deadReader = kafka.consumer({ groupId: uniqueId('dead-reader') });
  const later: { b: Processor | null } = { b: null };
  try {
    await a.start();
    await send(0, 8);
    // A commit on the poison record's partition first (window 0 closed): the retry restarts from it.
    const admin = kafka.admin();
    await admin.connect();
    await waitFor('a commit on the poison partition', async () => ((await readCommitMetas(admin, config.processor.groupId, t.samples)).get(victimPartition)?.offset ?? -1) >= 0, 90_000);
    await admin.disconnect();
    await send(9, 12);
    await waitFor('the first member to fail three times', () => stopped.a !== null, 60_000);
    await stopped.a;
    const counted = await tries(kafka, config.processor.groupId, t.samples, victimPartition);
    assert.equal(counted, 2, 'two retries counted in the commit metadata');

    const b = make(() => void ++throwsB);
    later.b = b;
    await b.start();
    const dead: DeadLetterRecord[] = [];
    await deadReader.connect();
    await deadReader.subscribe({ topic: t.deadletter, fromBeginning: true });
    void deadReader.run({ eachMessage: ({ message }) => Promise.resolve(void dead.push(JSON.parse(message.value!.toString()) as DeadLetterRecord)) });
    await waitFor('the poison record dead-lettered', () => dead.length >= 1, 120_000);
    assert.equal(throwsB, MAX_ATTEMPTS - counted, 'the restarted member went on from the count it found, not from zero');

    // The reference: the pure engine over the same records, partition by partition, without the poison one.
    const ref = createWindowEngine(engineOptions(config));
    const want = new Map<string, WindowResultInput>();
    for (let k = 0; k <= 12; k++) for (const d of devices) {
      const rec = decodeSampleRecord(encodeCounterSample(sample(d, k)));
      if (isPoison(rec)) continue;
      for (const w of ref.ingest(rec, partitionOfKey(d, partitions), Date.now()).windows) want.set(keyOf(w), w);
    }
    assert.ok(want.size >= devices.length * 4, `${want.size} reference windows`);

    const published = new Map<string, WindowResultInput>();
    await windowsReader.connect();
    await windowsReader.subscribe({ topic: t.windows, fromBeginning: true });
    void windowsReader.run({ eachMessage: ({ message }) => {
      const w = decodeWindowResult(message.value);
      const prev = published.get(keyOf(w));
      if (!prev || prev.revision <= w.revision) published.set(keyOf(w), w);
      return Promise.resolve();
    } });
    await waitFor('every reference window on the windows topic', () => [...want.keys()].every((k) => published.has(k)), 60_000);
    const store = createInfluxStore(config.influx);
    for (const [key, w] of want) {
      assert.equal(jsonBig(published.get(key)), asPublished(w), `windows topic ${key}`);
      const stored = await store.queryWindows({ deviceId: w.deviceId, ifIndex: w.ifIndex, fromMs: w.windowStart, toMs: w.windowStart + 1 });
      assert.equal(stored.length, 1, `InfluxDB ${key}`);
      assert.equal(jsonBig(stored[0]), asStored(w), `InfluxDB ${key}`);
    }

    assert.equal(dead.length, 1, `exactly one dead letter: ${JSON.stringify(dead.map((d) => d.reason))}`);
    assert.match(dead[0].reason, new RegExp(`^poison: .*processor.maxRecordAttempts ${MAX_ATTEMPTS}`));
    assert.equal(dead[0].key, 'victim');
    assert.equal(dead[0].partition, victimPartition);
    assert.equal((JSON.parse(dead[0].value!) as { ts: number }).ts, POISON_TS, 'the dead letter is the poison record');
    assert.equal(sent.length, devices.length * 13);
  } finally {
    await windowsReader.disconnect();
    await deadReader.disconnect();
    await producer.disconnect();
    if (later.b) await later.b.stop();
    if (!stopped.a) await a.stop();
  }
});
