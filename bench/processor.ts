// `npm run bench:processor`: the processor's throughput.
// (a) The pure core on one core (counters -> deltas -> windows -> aggregates), goal 1 M interface-samples/s.
// (b) Through the real Kafka of the local stack (started if needed): the processor draining a
//     pre-filled samples topic (decode, engine, InfluxDB and netmon.windows writes, checkpoint
//     commits), against a bare kafkajs eachBatch consumer that only decodes the same messages,
//     measured in the same run; goal ratio >= 0.8.
// A benchmark, not a test: it prints figures; the last line is one JSON object.
// Sizes: BENCH_DEVICES (default 1000) x 48 interfaces x BENCH_POLLS (default 12) polls at 10 s.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile, repoRoot } from '../cli/stack-env.js';
import { createKafka, prepareTopics } from '../common/bus/kafka.js';
import { systemClock } from '../common/clock.js';
import { netmonConfigSchema, type NetmonConfig } from '../common/config/schema.js';
import { decodeSampleRecord, encodeCounterSample } from '../common/contracts/index.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { createInfluxClient, createInfluxStore } from '../common/store/influx.js';
import { createProcessor } from '../processor/pipeline/processor.js';
import { IFACES, coreRun, makeSample } from './workload.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const POLLS = Number(process.env.BENCH_POLLS ?? 12);
const POLL_MS = 10_000;
const PARTITIONS = 12;

function stackConfig(id: string): NetmonConfig {
  if (spawnSync('bash', [join(repoRoot(), 'scripts', 'stack', 'up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
    throw new Error('the local stack did not come up (bash scripts/stack/up.sh)');
  }
  const env = parseEnvFile(readFileSync(join(repoRoot(), '.stack', 'env'), 'utf8'));
  return netmonConfigSchema.parse({
    log: { level: 'warn' },
    kafka: {
      brokers: (env.NETMON_KAFKA_BROKERS ?? '').split(','),
      samplesPartitions: PARTITIONS,
      topics: { samples: `${id}.samples`, windows: `${id}.windows`, alerts: `${id}.alerts`, config: `${id}.config`, deadletter: `${id}.deadletter`, status: `${id}.status` },
    },
    influx: { url: env.NETMON_INFLUX_URL, database: id },
    collector: { pollIntervalSeconds: POLL_MS / 1000 },
    processor: { groupId: `${id}-processor`, metricsListen: '' },
  });
}

/** A topic just created on a just-started broker can answer "unknown topic" for a moment: up to 10 tries, 1 s apart. */
async function sendRetrying(send: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (err) {
      if (attempt >= 10 || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function fill(config: NetmonConfig): Promise<number> {
  const kafka = createKafka(silentLogger, config.kafka, 'bench-fill');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer();
  await producer.connect();
  let n = 0;
  for (let p = 0; p < POLLS; p++) {
    const messages: Array<{ key: string; value: string }> = [];
    for (let d = 0; d < DEVICES; d++) messages.push({ key: `dev${d}`, value: encodeCounterSample(makeSample(d, p, POLL_MS)) });
    for (let i = 0; i < messages.length; i += 200) await sendRetrying(() => producer.send({ topic: config.kafka.topics.samples, acks: -1, messages: messages.slice(i, i + 200) }));
    n += messages.length;
  }
  await producer.disconnect();
  return n;
}

/** CPU seconds this process spent during the last drain. */
let lastCpuSecs = 0;

/** Seconds from the first consumed record to the last, polling `count` every 20 ms (bounded by 10 minutes). */
async function drainTime(count: () => number, total: number): Promise<number> {
  const deadline = Date.now() + 600_000;
  let first = 0;
  let cpu0 = process.cpuUsage();
  while (Date.now() < deadline) {
    const c = count();
    if (c > 0 && first === 0) {
      first = performance.now();
      cpu0 = process.cpuUsage();
    }
    if (c >= total) {
      const cpu = process.cpuUsage(cpu0);
      lastCpuSecs = (cpu.user + cpu.system) / 1e6;
      return (performance.now() - first) / 1000;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`drain did not finish in 10 minutes (${count()} of ${total})`);
}

async function bareDecode(config: NetmonConfig, total: number): Promise<number> {
  const kafka = createKafka(silentLogger, config.kafka, 'bench-bare');
  const consumer = kafka.consumer({ groupId: `${config.processor.groupId}-bare-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
  let n = 0;
  let ifaces = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const r = decodeSampleRecord(m.value);
        if (r.kind === 'counter-sample') ifaces += r.interfaces.length;
        n++;
      }
      await Promise.resolve();
    },
  });
  const secs = await drainTime(() => n, total);
  await consumer.disconnect();
  if (ifaces !== total * IFACES) throw new Error(`bare consumer decoded ${ifaces} interface-samples, expected ${total * IFACES}`);
  return secs;
}

async function processorDrain(config: NetmonConfig, total: number, run: number): Promise<{ secs: number; windows: number }> {
  const registry = createRegistry({ defaultMetrics: false });
  const cfg = { ...config, processor: { ...config.processor, groupId: `${config.processor.groupId}-${run}` } };
  const store = createInfluxStore(cfg.influx, { windowSeconds: cfg.processor.windowSeconds });
  const processor = createProcessor(silentLogger, cfg, { registry, clock: systemClock, store });
  await processor.start();
  const metric = async (name: string) => ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((s, v) => s + v.value, 0);
  let seen = 0;
  const poll = setInterval(() => void metric('netmon_processor_records_total').then((v) => (seen = v)), 10);
  try {
    const secs = await drainTime(() => seen, total);
    return { secs, windows: await metric('netmon_processor_windows_emitted_total') };
  } finally {
    clearInterval(poll);
    await processor.stop();
  }
}

async function dropTopics(config: NetmonConfig): Promise<void> {
  const admin = createKafka(silentLogger, config.kafka, 'bench-clean').admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${id}.`));
  await admin.deleteTopics({ topics: mine });
  await admin.disconnect();
}

const fmt = (n: number) => `${(n / 1e6).toFixed(3)} M`;

// Warm-up: the JIT settles over about two runs.
for (let k = 0; k < 2; k++) coreRun(2000, 6, 60_000);
const core60 = coreRun(2000, 12, 60_000);
const core10 = coreRun(2000, 12, 10_000);
console.log('(a) pure core, 2000 devices x 48 interfaces x 12 polls, 60 s windows, one core');
console.log(`    60 s polls: ${fmt(core60.perSec)} interface-samples/s; 10 s polls: ${fmt(core10.perSec)}/s   goal: 1.000 M/s`);

const id = `bench_${Date.now().toString(36)}`;
const config = stackConfig(id);
console.log(`(b) through Kafka: filling ${id}.samples (${PARTITIONS} partitions) with ${DEVICES} devices x ${IFACES} interfaces x ${POLLS} polls ...`);
const total = await fill(config);
const samples = total * IFACES;
// Alternate the two, twice, and keep each one's best: the machine is shared and noisy.
const bare: number[] = [];
const proc: number[] = [];
const bareCpu: number[] = [];
const procCpu: number[] = [];
let windows = 0;
for (let r = 0; r < 2; r++) {
  bare.push(await bareDecode(config, total));
  bareCpu.push(lastCpuSecs);
  const p = await processorDrain(config, total, r);
  proc.push(p.secs);
  procCpu.push(lastCpuSecs);
  windows = p.windows;
}
const bareRate = samples / Math.min(...bare);
const procRate = samples / Math.min(...proc);
console.log(`    bare kafkajs eachBatch + decode (reference): ${fmt(bareRate)} interface-samples/s (runs ${bare.map((s) => s.toFixed(2)).join(', ')} s)`);
console.log(`    processor (decode, engine, InfluxDB + windows topic, checkpoint commits): ${fmt(procRate)} interface-samples/s (runs ${proc.map((s) => s.toFixed(2)).join(', ')} s, ${windows} windows)`);
console.log(`    CPU seconds in this process per drain: bare ${bareCpu.map((x) => x.toFixed(2)).join(', ')}; processor ${procCpu.map((x) => x.toFixed(2)).join(', ')} (the rest of the wall time is waiting on Kafka and InfluxDB, which share the 2 cores)`);
console.log(`    ratio processor / bare: ${(procRate / bareRate).toFixed(2)}   goal: >= 0.80`);
// Leave nothing behind: the bench database and topics are dropped.
await createInfluxClient(config.influx).dropDatabase(id);
await dropTopics(config);
console.log(
  JSON.stringify({
    bench: 'processor',
    core60sPollPerSec: Math.round(core60.perSec),
    core10sPollPerSec: Math.round(core10.perSec),
    coreGoalPerSec: 1_000_000,
    kafka: { devices: DEVICES, interfaces: IFACES, polls: POLLS, records: total, bareDecodePerSec: Math.round(bareRate), processorPerSec: Math.round(procRate), bareCpuSecs: Math.min(...bareCpu), processorCpuSecs: Math.min(...procCpu), ratio: Number((procRate / bareRate).toFixed(3)), goalRatio: 0.8 },
  }),
);
process.exit(0);
