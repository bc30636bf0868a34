// `npm run bench:window-records`: what publishing its windows costs the processor at 60 s polls,
// where every interface-sample becomes one window, and what the other record shape would save.
// Measured in one run, rounds alternating, on the local stack's Kafka (a fresh topic of 12
// partitions, deleted afterwards):
//   encode   the processor's window encoding (encodeWindowResult), per window;
//   window   the processor's producer as it runs (idempotent, cached key partitioner, sends of at
//            most MAX_RECORDS_PER_SEND), one record per window: today's netmon.windows;
//   device   the same windows as one record per device (a JSON array of the device's 49 windows),
//            the shape a version 2 of the windows topic could take;
// against the reference of bench:processor's goal, decoding one counter-sample record per device
// (decodeSampleRecord, in process: a lower bound for a bare kafkajs consumer, which also fetches).
// The figure printed last is the ratio the processor could reach at best if it did nothing but
// decode its input and publish its windows: decode / (decode + encode + publish).
// A benchmark, not a test: it prints figures; the last line is one JSON object. Loopback only.
// BENCH_DEVICES (default 1200) x 48 interfaces (+ the device total), BENCH_ROUNDS (default 3).
import { loadEnvWithStack } from '../cli/stack-env.js';
import { createKafka } from '../common/bus/kafka.js';
import { netmonConfigSchema } from '../common/config/schema.js';
import { decodeSampleRecord, encodeCounterSample } from '../common/contracts/index.js';
import { encodeWindowResult, type WindowResultInput } from '../common/contracts/window-result.js';
import { silentLogger } from '../common/log.js';
import { cachedKeyPartitioner } from '../processor/pipeline/key-partitioner.js';
import { MAX_RECORDS_PER_SEND } from '../processor/pipeline/window-sink.js';
import { IFACES, makeSample, T0 } from './workload.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
if (!(Number.isInteger(DEVICES) && DEVICES >= 10 && DEVICES <= 5000)) throw new Error('BENCH_DEVICES must be an integer from 10 to 5000');
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 10)) throw new Error('BENCH_ROUNDS must be an integer from 1 to 10');

const { env } = loadEnvWithStack();
if (!env.NETMON_KAFKA_BROKERS) throw new Error('no local stack: start it with bash scripts/stack/up.sh');
const config = netmonConfigSchema.parse({ kafka: { brokers: env.NETMON_KAFKA_BROKERS.split(',') } });

/** A plausible window of device d, interface i (null: the device total), with the digits real ones carry. */
function windowOf(d: number, i: number | null): WindowResultInput {
  const octets = 1_000_000_000n + BigInt(d * 7919 + (i ?? 0) * 104_729);
  return {
    deviceId: `lab-${String(d).padStart(4, '0')}`, ifIndex: i, ifName: i === null ? null : `ge-0/0/${i}`, windowStart: T0, windowEnd: T0 + 60_000,
    inOctets: octets, outOctets: octets / 2n, inPackets: octets / 700n, outPackets: octets / 900n, inErrors: 0n, outErrors: 0n, inDiscards: 3n, outDiscards: 0n,
    inBps: Number(octets * 8n) / 60, outBps: Number(octets * 4n) / 60, inPps: Number(octets / 700n) / 60, outPps: Number(octets / 900n) / 60,
    inAvgPacketSize: 700.0213, outAvgPacketSize: 900.4471, speed: 1e10, inUtilization: 1.333217, outUtilization: 0.666608,
    peakInBps: Number(octets * 9n) / 60, peakOutBps: Number(octets * 5n) / 60, coverage: 1, sampleCount: 1, revision: 0,
  };
}

const cpuUs = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return c.user + c.system;
};

async function main(): Promise<void> {
  const kafka = createKafka(silentLogger, config.kafka, 'bench-window-records');
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-window-records-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 12 }], waitForLeaders: true });
  const producer = kafka.producer({ createPartitioner: cachedKeyPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const windows: WindowResultInput[][] = [];
  for (let d = 0; d < DEVICES; d++) windows.push([windowOf(d, null), ...Array.from({ length: IFACES }, (_, k) => windowOf(d, k + 1))]);
  const total = DEVICES * (IFACES + 1);
  const samples = Array.from({ length: DEVICES }, (_, d) => Buffer.from(encodeCounterSample(makeSample(d, 1, 60_000))));

  const decode = () => {
    const t = process.cpuUsage();
    let n = 0;
    for (const s of samples) {
      const r = decodeSampleRecord(s);
      if (r.kind === 'counter-sample') n += r.interfaces.length;
    }
    if (n !== DEVICES * IFACES) throw new Error(`decoded ${n} interface-samples, expected ${DEVICES * IFACES}`);
    return cpuUs(t) / n;
  };
  const encode = () => {
    const t = process.cpuUsage();
    let bytes = 0;
    for (const dev of windows) for (const w of dev) bytes += Buffer.from(encodeWindowResult(w)).length;
    return { us: cpuUs(t) / total, bytes: bytes / total };
  };
  /** Encodes and sends every window, one record per window or per device; CPU per window less the encode's. */
  const publish = async (perDevice: boolean, encodeUs: number) => {
    const t = process.cpuUsage();
    const messages = perDevice
      ? windows.map((dev) => ({ key: dev[0].deviceId, value: Buffer.from(`[${dev.map(encodeWindowResult).join(',')}]`) }))
      : windows.flatMap((dev) => dev.map((w) => ({ key: w.deviceId, value: Buffer.from(encodeWindowResult(w)) })));
    // At most MAX_RECORDS_PER_SEND records and about 1 MB a send, as the window sink sends.
    const perSend = perDevice ? Math.max(1, Math.floor(900_000 / messages[0].value.length)) : MAX_RECORDS_PER_SEND;
    for (let at = 0; at < messages.length; at += perSend) await producer.send({ topic, acks: -1, messages: messages.slice(at, at + perSend) });
    return cpuUs(t) / total - encodeUs;
  };

  const rows: { decodeUs: number; encodeUs: number; windowUs: number; deviceUs: number }[] = [];
  let windowBytes = 0;
  // A warm-up round first (JIT, connections, partition metadata), not counted.
  for (let r = -1; r < ROUNDS; r++) {
    const d = decode();
    const e = encode();
    windowBytes = e.bytes;
    // Alternate which shape goes first, so neither always follows the other's garbage.
    let w: number;
    let dv: number;
    if (r % 2 === 0) {
      w = await publish(false, e.us);
      dv = await publish(true, e.us);
    } else {
      dv = await publish(true, e.us);
      w = await publish(false, e.us);
    }
    if (r >= 0) {
      rows.push({ decodeUs: d, encodeUs: e.us, windowUs: w, deviceUs: dv });
      console.log(`round ${r + 1}: decode ${d.toFixed(2)} us per interface-sample; encode ${e.us.toFixed(2)} us, publish one record per window ${w.toFixed(2)} us, per device ${dv.toFixed(2)} us (per window)`);
    }
  }
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();

  const med = (k: keyof (typeof rows)[0]) => rows.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
  const decodeUs = med('decodeUs');
  const encodeUs = med('encodeUs');
  const windowUs = med('windowUs');
  const deviceUs = med('deviceUs');
  // Per interface-sample the processor publishes 49/48 windows (the device total too).
  const perSample = (publishUs: number) => ((encodeUs + publishUs) * (IFACES + 1)) / IFACES;
  const bestWindow = decodeUs / (decodeUs + perSample(windowUs));
  const bestDevice = decodeUs / (decodeUs + perSample(deviceUs));
  console.log(`medians of ${ROUNDS} rounds, ${DEVICES} devices x ${IFACES} interfaces (${total} windows of ${windowBytes.toFixed(0)} bytes a round):`);
  console.log(`  reference: decoding the counter samples ${decodeUs.toFixed(2)} us per interface-sample (in process; a kafkajs consumer adds its fetch)`);
  console.log(`  encode ${encodeUs.toFixed(2)} us per window; publish ${windowUs.toFixed(2)} us per window as one record each, ${deviceUs.toFixed(2)} us as one record per device (${(windowUs / deviceUs).toFixed(2)}x)`);
  console.log(`  best processor / bare-decode ratio at 60 s polls if the processor only decoded and published: ${bestWindow.toFixed(2)} with a record per window, ${bestDevice.toFixed(2)} with a record per device (goal 0.8)`);
  console.log(JSON.stringify({ bench: 'window-records', devices: DEVICES, interfaces: IFACES, rounds: ROUNDS, windowBytes, decodeUsPerSample: decodeUs, encodeUsPerWindow: encodeUs, publishUsPerWindow: { recordPerWindow: windowUs, recordPerDevice: deviceUs }, bestRatio: { recordPerWindow: bestWindow, recordPerDevice: bestDevice, goal: 0.8 } }));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
