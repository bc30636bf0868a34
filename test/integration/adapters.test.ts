// The Kafka publisher and the InfluxDB window store against the real servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { cqName, createInfluxStore, rollupSelect, RP_RAW, RP_ROLLUP } from '../../common/store/influx.js';
import { createKafkaPublisher } from '../../collector/publisher/kafka-publisher.js';
import { createWindowSink } from '../../processor/pipeline/window-sink.js';
import { createKafka as kafkaFor, prepareTopics } from '../../common/bus/kafka.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

test('the publisher delivers records in order, keyed by device, to the samples topic', async () => {
  const config = testConfig(uniqueId('pub'));
  const kafka = kafkaFor(silentLogger, config.kafka, 'test');
  const registry = createRegistry({ defaultMetrics: false });
  const publisher = createKafkaPublisher(silentLogger, config.kafka, { kafka, registry });
  await publisher.start();
  const consumer = kafka.consumer({ groupId: uniqueId('reader') });
  try {
    for (let i = 0; i < 1000; i++) publisher.publish({ key: `dev${i % 7}`, value: JSON.stringify({ i }) });
    await publisher.flush();
    assert.equal(publisher.queueDepth(), 0);
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
    const seen = new Map<string, number[]>();
    let total = 0;
    void consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key!.toString();
        const list = seen.get(key) ?? [];
        list.push((JSON.parse(message.value!.toString()) as { i: number }).i);
        seen.set(key, list);
        total++;
        return Promise.resolve();
      },
    });
    await waitFor('1000 records', () => total >= 1000, 30_000);
    assert.equal(total, 1000);
    for (const [key, list] of seen) {
      assert.deepEqual(list, [...list].sort((a, b) => a - b), `records of ${key} stay in order`);
    }
    const metrics = await registry.getSingleMetricAsString('netmon_collector_records_published_total');
    assert.match(metrics, /netmon_collector_records_published_total 1000/);
  } finally {
    await consumer.disconnect();
    await publisher.stop();
  }
});

test('the InfluxDB store writes windows idempotently and reads them back exactly', async () => {
  const config = testConfig(uniqueId('store'));
  const store = createInfluxStore(config.influx);
  await store.ensureDatabase();
  await store.ensureDatabase();
  // Inside the raw retention (30 days): older points would be refused.
  const recent = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
  const base: WindowResultInput = {
    deviceId: 'r1', ifIndex: 2, ifName: 'eth0', windowStart: recent, windowEnd: recent + 60_000,
    inOctets: 4_000_000_000_123n, outOctets: 7n, inPackets: 3_000_000n, outPackets: 1n, inErrors: 1n, outErrors: 0n, inDiscards: 2n, outDiscards: 0n,
    inBps: 533333333.3, outBps: 0.93, inPps: 50000, outPps: 0.016, inAvgPacketSize: 1333333.37, outAvgPacketSize: 7, speed: 1e10, inUtilization: 5.33, outUtilization: null,
    peakInBps: 6e8, peakOutBps: 1, coverage: 1, sampleCount: 12, revision: 0,
  };
  const rollup: WindowResultInput = { ...base, ifIndex: null, ifName: null, speed: null, inUtilization: null };
  await store.writeWindows([base, rollup]);
  await store.writeWindows([base, rollup]);
  await store.writeWindows([{ ...base, inOctets: 4_000_000_000_124n, revision: 1 }]);
  const all = await store.queryWindows({ deviceId: 'r1', fromMs: base.windowStart, toMs: base.windowEnd });
  assert.equal(all.length, 2, 'a replay overwrites the same point');
  const iface = all.find((w) => w.ifIndex === 2)!;
  assert.deepEqual(iface, { ...base, inOctets: 4_000_000_000_124n, revision: 1 });
  const dev = await store.queryWindows({ deviceId: 'r1', ifIndex: null, fromMs: 0, toMs: 2e12 });
  assert.deepEqual(dev, [rollup]);
  assert.deepEqual(await store.queryWindows({ deviceId: "r1' OR 1=1 --", fromMs: 0, toMs: 2e12 }), [], 'ids are escaped');
});

test('the database gets its retention policies and the 1-hour rollup, whose query sums the windows exactly', async () => {
  const config = testConfig(uniqueId('rollup'));
  const store = createInfluxStore(config.influx, { windowSeconds: 60 });
  const influxQuery = async (q: string) => {
    const res = await fetch(`${config.influx.url}/query?db=${config.influx.database}&epoch=ms`, { method: 'POST', body: new URLSearchParams({ q }) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { results: Array<{ error?: string; series?: Array<{ name?: string; columns: string[]; values?: unknown[][] }> }> };
    assert.equal(body.results[0].error, undefined, body.results[0].error);
    return body.results[0].series ?? [];
  };
  // A database set up by an older netmon: the version-1 query, whose coverage factor InfluxDB stored as 0.017.
  await influxQuery(`CREATE DATABASE "${config.influx.database}"`);
  await influxQuery(`CREATE CONTINUOUS QUERY "${cqName('interface_window', 1)}" ON "${config.influx.database}" BEGIN SELECT sum("coverage") * 0.016666666666666666 AS "coverage" INTO "x_1h" FROM "interface_window" GROUP BY time(1h), * END`);
  await store.ensureDatabase();
  await store.ensureDatabase();
  const rps = (await influxQuery('SHOW RETENTION POLICIES'))[0];
  const byName = new Map((rps.values ?? []).map((v) => [v[0], v]));
  assert.equal(byName.get(RP_RAW)![1], '720h0m0s');
  assert.equal(byName.get(RP_RAW)![4], true, 'raw windows go to the default policy');
  assert.equal(byName.get(RP_ROLLUP)![1], '8760h0m0s');
  const cqSeries = await influxQuery('SHOW CONTINUOUS QUERIES');
  const stored = new Map((cqSeries.find((x) => x.name === config.influx.database)?.values ?? []).map((v) => [String(v[0]), String(v[1])]));
  assert.deepEqual([...stored.keys()].sort(), [cqName('device_window'), cqName('interface_window')], 'the old query is replaced');

  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  const w = (k: number, octets: bigint): WindowResultInput => ({
    deviceId: 'r9', ifIndex: 1, ifName: 'eth0', windowStart: hour + k * 60_000, windowEnd: hour + (k + 1) * 60_000,
    inOctets: octets, outOctets: 1n, inPackets: 10n, outPackets: 1n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
    inBps: Number(octets) * 8 / 60, outBps: 8 / 60, inPps: 10 / 60, outPps: 1 / 60, inAvgPacketSize: Number(octets) / 10, outAvgPacketSize: 1, speed: 1e9, inUtilization: 0, outUtilization: 0,
    peakInBps: Number(octets) * 8 / 30, peakOutBps: 1, coverage: 1, sampleCount: 6, revision: 0,
  });
  await store.writeWindows([w(0, 1_000_000_007n), w(1, 3n), w(59, 5n)]);
  // The query as InfluxDB stored it (re-printed InfluxQL), run over the hour: what the rollup really gets.
  const cq = /BEGIN (SELECT .*) END$/.exec(stored.get(cqName('interface_window'))!)![1];
  assert.match(rollupSelect(config.influx.database, 'interface_window', 60), / GROUP BY time\(1h\), \*$/);
  await influxQuery(cq.replace(/ GROUP BY /, ` WHERE time >= ${hour}ms AND time < ${hour + 3_600_000}ms GROUP BY `));
  const rolled = await influxQuery(`SELECT in_octets, in_packets, sample_count, coverage, peak_in_bps FROM "${RP_ROLLUP}"."interface_window_1h" WHERE device = 'r9'`);
  const cols = rolled[0].columns;
  const row = rolled[0].values![0];
  const get = (c: string) => row[cols.indexOf(c)];
  assert.equal(get('time'), hour);
  assert.equal(get('in_octets'), 1_000_000_015);
  assert.equal(get('in_packets'), 30);
  assert.equal(get('sample_count'), 18);
  assert.ok(Math.abs((get('coverage') as number) - 3 / 60) < 1e-9, `three of sixty minutes covered; got ${JSON.stringify(get('coverage'))} in ${JSON.stringify(cols)} ${JSON.stringify(row)}`);
  assert.equal(get('peak_in_bps'), (1_000_000_007 * 8) / 30);
});

test('the window sink writes a backlog far above the broker\'s 1 MB batch limit: every window reaches the topic and InfluxDB', async () => {
  const config = testConfig(uniqueId('sink'));
  const kafka = kafkaFor(silentLogger, config.kafka, 'test');
  await prepareTopics(kafka, config.kafka);
  const store = createInfluxStore(config.influx);
  await store.ensureDatabase();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: uniqueId('reader') });
  try {
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
    // 6,000 windows of ~700 bytes: about 4 MB in one write, as after a backlog; 2 InfluxDB requests.
    const windows: WindowResultInput[] = [];
    for (let i = 0; i < 6000; i++) {
      windows.push({
        deviceId: `d${i % 100}`, ifIndex: 1 + Math.floor(i / 100), ifName: `ge-0/0/${i}`, windowStart: start, windowEnd: start + 60_000,
        inOctets: BigInt(i), outOctets: 1n, inPackets: 1n, outPackets: 1n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
        inBps: i, outBps: 0.5, inPps: 1, outPps: 1, inAvgPacketSize: 1, outAvgPacketSize: 1, speed: 1e9, inUtilization: 0.1, outUtilization: 0.1,
        peakInBps: i, peakOutBps: 1, coverage: 1, sampleCount: 6, revision: 0,
      });
    }
    const sink = createWindowSink(silentLogger, { store, producer, topic: config.kafka.topics.windows });
    // Not running: a refused send would return false at once instead of being retried forever.
    assert.equal(await sink.write(windows, () => false), true);
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.windows, fromBeginning: true });
    let seen = 0;
    void consumer.run({ eachBatch: async ({ batch }) => { seen += batch.messages.length; return Promise.resolve(); } });
    await waitFor('6000 windows on the topic', () => seen >= 6000, 30_000);
    assert.equal(seen, 6000);
    const stored = await store.queryWindows({ deviceId: 'd7', fromMs: start, toMs: start + 60_000 });
    assert.deepEqual(stored.map((w) => w.ifIndex), Array.from({ length: 60 }, (_, k) => k + 1));
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
});
