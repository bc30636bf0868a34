// A batch that waits while its processor's group is joined again, against the real Kafka and
// InfluxDB. The processor's first store writes are held (the real InfluxDB store behind a gate: a
// store that stops answering, made exact in time), so its write queue fills and a batch waits for
// room; a second member joins the group and leaves again, and the processor joins twice meanwhile.
// Then the store answers. The waiting batch must not be resolved to kafkajs (it would move the new
// generation's fetch past records the restored partition never took: processor.ts resolveIfCurrent),
// and what InfluxDB holds in the end must be what the pure engine computes from the same records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import { systemClock } from '../../common/clock.js';
import { decodeSampleRecord, encodeCounterSample, type CounterSampleInput } from '../../common/contracts/index.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry, type Registry } from '../../common/metrics.js';
import { createInfluxStore, type WindowStore } from '../../common/store/influx.js';
import { createWindowEngine } from '../../processor/core/index.js';
import { createProcessor, engineOptions } from '../../processor/pipeline/processor.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const POLL_S = 5;
const PER_BATCH = 6;
const MAX_BATCHES = 10;
const DEVICE = 'stale-1';

async function metric(registry: Registry, name: string): Promise<number> {
  return ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

const keyOf = (w: Pick<WindowResultInput, 'ifIndex' | 'windowStart'>): string => `${w.ifIndex ?? '-'}/${w.windowStart}`;

test('a batch that waited while the group was joined again is not resolved; the partition is read again from its commit and the windows are exact', { timeout: 300_000 }, async () => {
  // One partition; 10 s windows; no idle closes (only records close windows, as in the pure run).
  const config = testConfig(uniqueId('stale'), {
    kafka: { samplesPartitions: 1 },
    collector: { pollIntervalSeconds: POLL_S },
    processor: { windowSeconds: 10, sessionTimeoutSeconds: 10, idleTimeoutSeconds: 3600 },
  });
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 15 * 60_000;
  let octets = 7_000_000n;
  const records = Array.from({ length: (MAX_BATCHES + 2) * PER_BATCH }, (_, k): CounterSampleInput => {
    octets += BigInt(10_000 + ((k * 7_919) % 5_000));
    return {
      deviceId: DEVICE, source: 'snmp', ts: t0 + k * POLL_S * 1000 + ((k * 131) % 400), sysUpTime: 100_000 + k * POLL_S * 100,
      interfaces: [{ ifIndex: 1, name: 'eth0', alias: '', speed: 1e9, operStatus: 'up', width: 64, inOctets: octets, outOctets: octets / 3n, inPackets: octets / 500n, outPackets: octets / 900n, discontinuityTime: 0 }],
    };
  }).map((r) => encodeCounterSample(r));

  // What an uninterrupted run writes: the pure engine over the same records, the last revision per window.
  const pure = createWindowEngine(engineOptions(config));
  const want = new Map<string, WindowResultInput>();
  records.forEach((v, i) => { for (const w of pure.ingest(decodeSampleRecord(v), 0, Date.now(), i).windows) want.set(keyOf(w), w); });
  assert.ok(want.size >= 20, `the records close windows (${want.size})`);

  const real = createInfluxStore(config.influx);
  let open!: () => void;
  const answering = new Promise<void>((r) => (open = r));
  const held: WindowStore = { ...real, writeWindows: async (ws) => { await answering; return real.writeWindows(ws); } };
  const registry = createRegistry({ defaultMetrics: false });
  const failures: unknown[] = [];
  const processor = createProcessor(silentLogger, config, { registry, clock: systemClock, store: held, failures: { fail: (_c, err) => void failures.push(err) } });
  const kafka = createKafka(silentLogger, config.kafka, 'stale-test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const other = kafka.consumer({ groupId: config.processor.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const send = (from: number, to: number) => producer.send({ topic: config.kafka.topics.samples, messages: records.slice(from, to).map((value) => ({ key: DEVICE, value })) });
  try {
    await processor.start();
    await processor.ready();
    // Batch by batch until one is taken and then waits: its output found the write queue full.
    let sent = 0;
    let stuck = false;
    for (let b = 0; b < MAX_BATCHES && !stuck; b++) {
      await send(sent, sent + PER_BATCH);
      sent += PER_BATCH;
      const taken = await waitFor(`batch ${b + 1} taken`, async () => (await metric(registry, 'netmon_processor_records_total')) >= sent, 8_000).then(() => true, () => false);
      stuck = !taken;
    }
    assert.ok(stuck, `a batch waits for room in the write queue after ${sent / PER_BATCH} batches`);
    const takenBefore = await metric(registry, 'netmon_processor_records_total');
    assert.equal(takenBefore, sent - PER_BATCH, 'the batch after the waiting one is not taken');
    const epochGauge = () => metric(registry, 'netmon_processor_fence_epoch');
    const epoch0 = await epochGauge();

    // A second member joins the group, then leaves: the processor joins again twice.
    await other.connect();
    await other.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
    // It takes nothing: no offset resolved, none committed.
    await other.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
    await waitFor('the processor joined the group again', async () => (await epochGauge()) > epoch0, 60_000);
    await other.disconnect();
    await waitFor('the processor joined the group once more', async () => (await epochGauge()) > epoch0 + 1, 60_000);
    assert.equal(await metric(registry, 'netmon_processor_stale_batches_total'), 0, 'nothing finished across the joins yet');

    // The store answers: the waiting batch finishes in an ended assignment.
    open();
    await waitFor('the waiting batch is seen as stale', async () => (await metric(registry, 'netmon_processor_stale_batches_total')) >= 1, 30_000);
    await send(sent, records.length);

    // InfluxDB holds exactly what the pure engine computes (the last revision of each window).
    const got = await waitFor('every window written', async () => {
      const rows = await real.queryWindows({ deviceId: DEVICE, fromMs: t0 - 60_000, toMs: t0 + 60 * 60_000 });
      const m = new Map(rows.map((w) => [keyOf(w), w]));
      return [...want.keys()].every((k) => m.has(k) && m.get(k)!.revision === want.get(k)!.revision) ? m : null;
    }, 90_000);
    assert.equal(got.size, want.size, 'no window beyond the pure run');
    const fields = ['inOctets', 'outOctets', 'inPackets', 'outPackets', 'coverage', 'revision', 'sampleCount', 'inBps', 'outBps'] as const;
    for (const [k, w] of want) {
      const g = got.get(k)!;
      for (const f of fields) assert.equal(String(g[f]), String(w[f]), `window ${k}: ${f}`);
    }
    // Every record was taken again in the new assignment, from the beginning (nothing was committed).
    assert.ok((await metric(registry, 'netmon_processor_records_total')) + (await metric(registry, 'netmon_processor_replayed_records_total')) >= takenBefore + records.length, 'the records were read again from the commit');
    assert.deepEqual(failures, [], 'no component failure');
  } finally {
    open();
    await other.disconnect().catch(() => {});
    await processor.stop();
    await producer.disconnect();
  }
});
