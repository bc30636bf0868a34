// `npm run bench:processor`: the processor's throughput.
// (a) The pure core on one core (counters -> deltas -> windows -> aggregates), goal 1 M interface-samples/s.
// (b) Through the real Kafka of the local stack (started if needed): the processor draining a
//     pre-filled samples topic (decode, engine, InfluxDB and netmon.windows writes, checkpoint
//     commits), against a bare kafkajs eachBatch consumer that only decodes the same messages,
//     measured in the same run; goal ratio >= 0.8. A processor drain ends when every record is
//     ingested and every window it emitted is written. Also measured: the processor with a window
//     store that discards (what the processor itself costs, without InfluxDB's ingest), and the
//     CPU that InfluxDB and Kafka spent during each drain (they share the machine's cores).
// A benchmark, not a test: it prints figures; the last line is one JSON object.
// Sizes: BENCH_DEVICES (default 1000) x 48 interfaces x BENCH_POLLS (default 12) polls every
// BENCH_POLL_SECONDS (default 10; at 60 each window holds one sample per interface, so the processor
// writes one window record per interface-sample). BENCH_STORE=0 leaves out the drains through
// InfluxDB (the processor without its store against the bare consumer only); BENCH_CORE=0 leaves
// out (a); BENCH_ROUNDS (default 2) sets how often the drains alternate.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../common/package-root.js';
import { findStackEnv, parseEnvFile } from '../cli/stack-env.js';
import { createKafka, prepareTopics } from '../common/bus/kafka.js';
import { netmonConfigSchema, type NetmonConfig } from '../common/config/schema.js';
import { encodeCounterSample } from '../common/contracts/index.js';
import { silentLogger } from '../common/log.js';
import { createInfluxClient } from '../common/store/influx.js';
import { bareDecode, processorDrain, type Drain } from './processor-drain.js';
import { IFACES, coreRun, makeSample } from './workload.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const POLLS = Number(process.env.BENCH_POLLS ?? 12);
const POLL_MS = Number(process.env.BENCH_POLL_SECONDS ?? 10) * 1000;
const WITH_STORE = process.env.BENCH_STORE !== '0';
const WITH_CORE = process.env.BENCH_CORE !== '0';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PARTITIONS = 12;

/** The local stack's env file (addresses, pid files). */
let stackEnv: Record<string, string | undefined> = {};

function stackConfig(id: string): NetmonConfig {
  if (spawnSync('bash', [join(repoRoot(), 'scripts', 'stack', 'up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
    throw new Error('the local stack did not come up (bash scripts/stack/up.sh)');
  }
  stackEnv = parseEnvFile(readFileSync(findStackEnv() ?? join(repoRoot(), '.stack', 'env'), 'utf8'));
  const env = stackEnv;
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
  // Event time ends just before now, on a minute: a fixed origin ahead of the processor's clock
  // (workload's T0) would be dead-lettered whole as `future` and no window would be made.
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - (POLLS + 1) * POLL_MS;
  for (let p = 0; p < POLLS; p++) {
    const messages: Array<{ key: string; value: string }> = [];
    for (let d = 0; d < DEVICES; d++) messages.push({ key: `dev${d}`, value: encodeCounterSample(makeSample(d, p, POLL_MS, t0)) });
    for (let i = 0; i < messages.length; i += 200) await sendRetrying(() => producer.send({ topic: config.kafka.topics.samples, acks: -1, messages: messages.slice(i, i + 200) }));
    n += messages.length;
  }
  await producer.disconnect();
  return n;
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
let core60 = { perSec: 0 };
let core10 = { perSec: 0 };
if (WITH_CORE) {
  for (let k = 0; k < 2; k++) coreRun(2000, 6, 60_000);
  core60 = coreRun(2000, 12, 60_000);
  core10 = coreRun(2000, 12, 10_000);
  console.log('(a) pure core, 2000 devices x 48 interfaces x 12 polls, 60 s windows, one core');
  console.log(`    60 s polls: ${fmt(core60.perSec)} interface-samples/s; 10 s polls: ${fmt(core10.perSec)}/s   goal: 1.000 M/s`);
}

const id = `bench_${Date.now().toString(36)}`;
const config = stackConfig(id);
console.log(`(b) through Kafka: filling ${id}.samples (${PARTITIONS} partitions) with ${DEVICES} devices x ${IFACES} interfaces x ${POLLS} polls every ${POLL_MS / 1000} s ...`);
const total = await fill(config);
const samples = total * IFACES;
// Alternate the three and keep each one's best: the machine is shared and noisy.
const runs: Record<'bare' | 'processor' | 'discard', Drain[]> = { bare: [], processor: [], discard: [] };
let windows = 0;
for (let r = 0; r < ROUNDS; r++) {
  runs.bare.push(await bareDecode(stackEnv, config, total, total * IFACES));
  if (WITH_STORE) runs.processor.push(await processorDrain(stackEnv, config, total, `p${r}`, false));
  const d = await processorDrain(stackEnv, config, total, `d${r}`, true);
  runs.discard.push(d);
  windows = d.windows;
  if (d.deadLetters > 0 || d.windows === 0) throw new Error(`the processor dead-lettered ${d.deadLetters} records and made ${d.windows} windows: the load does not measure the window path`);
}
const best = (ds: Drain[]) => ds.reduce((a, b) => (b.secs < a.secs ? b : a));
const rate = (ds: Drain[]) => (ds.length > 0 ? samples / best(ds).secs : 0);
const secsOf = (ds: Drain[]) => ds.map((d) => d.secs.toFixed(2)).join(', ');
/** This process's CPU seconds per 1,000 interface-samples in each run: steadier than wall time on a shared machine. */
const cpuPerKOf = (ds: Drain[]) => ds.map((d) => ((d.cpu.self * 1000) / samples).toFixed(4)).join(', ');
const cpuOf = (d: Drain) => `this process ${d.cpu.self.toFixed(2)}, InfluxDB ${d.cpu.influx?.toFixed(2) ?? '?'}, Kafka ${d.cpu.kafka?.toFixed(2) ?? '?'}`;
const bareRate = rate(runs.bare);
const procRate = rate(runs.processor);
const discardRate = rate(runs.discard);
console.log(`    bare kafkajs eachBatch + decode (reference): ${fmt(bareRate)} interface-samples/s (runs ${secsOf(runs.bare)} s; CPU s per 1,000 interface-samples ${cpuPerKOf(runs.bare)})`);
if (WITH_STORE) console.log(`    processor (decode, engine, InfluxDB + windows topic, checkpoint commits, until all ${windows} windows are written): ${fmt(procRate)} interface-samples/s (runs ${secsOf(runs.processor)} s; CPU s per 1,000 ${cpuPerKOf(runs.processor)})`);
console.log(`    processor with a discarding window store (no InfluxDB; ${windows} windows to the windows topic): ${fmt(discardRate)} interface-samples/s (runs ${secsOf(runs.discard)} s; CPU s per 1,000 ${cpuPerKOf(runs.discard)})`);
console.log(`    CPU seconds during the best drains: bare: ${cpuOf(best(runs.bare))}; ${WITH_STORE ? `processor: ${cpuOf(best(runs.processor))}; ` : ''}processor without InfluxDB: ${cpuOf(best(runs.discard))}`);
if (WITH_STORE) console.log(`    ratio processor / bare: ${(procRate / bareRate).toFixed(2)}   goal: >= 0.80   (without InfluxDB: ${(discardRate / bareRate).toFixed(2)})`);
else console.log(`    ratio processor without InfluxDB / bare: ${(discardRate / bareRate).toFixed(2)}   goal: >= 0.80`);
// Leave nothing behind: the bench database and topics are dropped.
await createInfluxClient(config.influx).dropDatabase(id);
await dropTopics(config);
const bestCpu = (ds: Drain[]) => (ds.length > 0 ? best(ds).cpu : null);
console.log(
  JSON.stringify({
    bench: 'processor',
    core60sPollPerSec: WITH_CORE ? Math.round(core60.perSec) : null,
    core10sPollPerSec: WITH_CORE ? Math.round(core10.perSec) : null,
    coreGoalPerSec: 1_000_000,
    kafka: {
      devices: DEVICES, interfaces: IFACES, polls: POLLS, pollSeconds: POLL_MS / 1000, records: total, windows,
      bareDecodePerSec: Math.round(bareRate), processorPerSec: WITH_STORE ? Math.round(procRate) : null, processorNoInfluxPerSec: Math.round(discardRate),
      cpuSecs: { bare: bestCpu(runs.bare), processor: bestCpu(runs.processor), processorNoInflux: bestCpu(runs.discard) },
      ratio: WITH_STORE ? Number((procRate / bareRate).toFixed(3)) : null, ratioNoInflux: Number((discardRate / bareRate).toFixed(3)), goalRatio: 0.8,
    },
  }),
);
process.exit(0);
