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
// Sizes: BENCH_DEVICES (default 1000) x 48 interfaces x BENCH_POLLS (default 12) polls at 10 s.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../common/package-root.js';
import { parseEnvFile } from '../cli/stack-env.js';
import { createKafka, prepareTopics } from '../common/bus/kafka.js';
import { systemClock } from '../common/clock.js';
import { netmonConfigSchema, type NetmonConfig } from '../common/config/schema.js';
import { decodeSampleRecord, encodeCounterSample } from '../common/contracts/index.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { createInfluxClient, createInfluxStore, type WindowStore } from '../common/store/influx.js';
import { createProcessor } from '../processor/pipeline/processor.js';
import { IFACES, coreRun, makeSample } from './workload.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const POLLS = Number(process.env.BENCH_POLLS ?? 12);
const POLL_MS = 10_000;
const PARTITIONS = 12;

/** The local stack's env file (addresses, pid files). */
let stackEnv: Record<string, string | undefined> = {};

function stackConfig(id: string): NetmonConfig {
  if (spawnSync('bash', [join(repoRoot(), 'scripts', 'stack', 'up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
    throw new Error('the local stack did not come up (bash scripts/stack/up.sh)');
  }
  stackEnv = parseEnvFile(readFileSync(join(repoRoot(), '.stack', 'env'), 'utf8'));
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
  for (let p = 0; p < POLLS; p++) {
    const messages: Array<{ key: string; value: string }> = [];
    for (let d = 0; d < DEVICES; d++) messages.push({ key: `dev${d}`, value: encodeCounterSample(makeSample(d, p, POLL_MS)) });
    for (let i = 0; i < messages.length; i += 200) await sendRetrying(() => producer.send({ topic: config.kafka.topics.samples, acks: -1, messages: messages.slice(i, i + 200) }));
    n += messages.length;
  }
  await producer.disconnect();
  return n;
}

/** CPU seconds of a stack server (from its pid file), or null when it cannot be read. */
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function serverCpuSecs(pidFile: string | undefined): number | null {
  try {
    const pid = readFileSync(pidFile ?? '', 'utf8').trim();
    // /proc/<pid>/stat: fields 14 and 15 (utime, stime) after the parenthesised command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}

interface Drain {
  secs: number;
  /** CPU seconds during the drain: this process, InfluxDB, Kafka. */
  cpu: { self: number; influx: number | null; kafka: number | null };
}

/** From the first consumed record until `done()`, polling every 20 ms (bounded by 10 minutes). */
async function drainTime(started: () => boolean, done: () => boolean): Promise<Drain> {
  const deadline = Date.now() + 600_000;
  let first = 0;
  let cpu0 = process.cpuUsage();
  let influx0: number | null = null;
  let kafka0: number | null = null;
  while (Date.now() < deadline) {
    if (first === 0 && started()) {
      first = performance.now();
      cpu0 = process.cpuUsage();
      influx0 = serverCpuSecs(stackEnv.NETMON_INFLUX_PID_FILE);
      kafka0 = serverCpuSecs(stackEnv.NETMON_KAFKA_PID_FILE);
    }
    if (first !== 0 && done()) {
      const secs = (performance.now() - first) / 1000;
      const c = process.cpuUsage(cpu0);
      const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
      return { secs, cpu: { self: (c.user + c.system) / 1e6, influx: delta(influx0, serverCpuSecs(stackEnv.NETMON_INFLUX_PID_FILE)), kafka: delta(kafka0, serverCpuSecs(stackEnv.NETMON_KAFKA_PID_FILE)) } };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('drain did not finish in 10 minutes');
}

async function bareDecode(config: NetmonConfig, total: number): Promise<Drain> {
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
  const d = await drainTime(() => n > 0, () => n >= total);
  await consumer.disconnect();
  if (ifaces !== total * IFACES) throw new Error(`bare consumer decoded ${ifaces} interface-samples, expected ${total * IFACES}`);
  return d;
}

/** A drain by the processor; `discard`: its window store drops what it is given (no InfluxDB). */
async function processorDrain(config: NetmonConfig, total: number, run: string, discard: boolean): Promise<Drain & { windows: number }> {
  const registry = createRegistry({ defaultMetrics: false });
  const cfg = { ...config, processor: { ...config.processor, groupId: `${config.processor.groupId}-${run}` } };
  const influx = createInfluxStore(cfg.influx, { windowSeconds: cfg.processor.windowSeconds });
  const store: WindowStore = discard ? { ...influx, writeWindows: () => Promise.resolve() } : influx;
  const processor = createProcessor(silentLogger, cfg, { registry, clock: systemClock, store });
  await processor.start();
  const metric = async (name: string) => ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  let seen = 0;
  let emitted = 0;
  let written = 0;
  const poll = setInterval(() => {
    void Promise.all([metric('netmon_processor_records_total'), metric('netmon_processor_windows_emitted_total'), metric('netmon_processor_windows_written_total')]).then(([r, e, w]) => {
      seen = r;
      emitted = e;
      written = w;
    });
  }, 10);
  try {
    const d = await drainTime(() => seen > 0, () => seen >= total && written >= emitted);
    return { ...d, windows: emitted };
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
// Alternate the three, twice, and keep each one's best: the machine is shared and noisy.
const runs: Record<'bare' | 'processor' | 'discard', Drain[]> = { bare: [], processor: [], discard: [] };
let windows = 0;
for (let r = 0; r < 2; r++) {
  runs.bare.push(await bareDecode(config, total));
  const p = await processorDrain(config, total, `p${r}`, false);
  runs.processor.push(p);
  windows = p.windows;
  runs.discard.push(await processorDrain(config, total, `d${r}`, true));
}
const best = (ds: Drain[]) => ds.reduce((a, b) => (b.secs < a.secs ? b : a));
const rate = (ds: Drain[]) => samples / best(ds).secs;
const secsOf = (ds: Drain[]) => ds.map((d) => d.secs.toFixed(2)).join(', ');
const cpuOf = (d: Drain) => `this process ${d.cpu.self.toFixed(2)}, InfluxDB ${d.cpu.influx?.toFixed(2) ?? '?'}, Kafka ${d.cpu.kafka?.toFixed(2) ?? '?'}`;
const bareRate = rate(runs.bare);
const procRate = rate(runs.processor);
const discardRate = rate(runs.discard);
console.log(`    bare kafkajs eachBatch + decode (reference): ${fmt(bareRate)} interface-samples/s (runs ${secsOf(runs.bare)} s)`);
console.log(`    processor (decode, engine, InfluxDB + windows topic, checkpoint commits, until all ${windows} windows are written): ${fmt(procRate)} interface-samples/s (runs ${secsOf(runs.processor)} s)`);
console.log(`    processor with a discarding window store (no InfluxDB; diagnostic): ${fmt(discardRate)} interface-samples/s (runs ${secsOf(runs.discard)} s)`);
console.log(`    CPU seconds during the best drains: bare: ${cpuOf(best(runs.bare))}; processor: ${cpuOf(best(runs.processor))}; processor without InfluxDB: ${cpuOf(best(runs.discard))}`);
console.log(`    ratio processor / bare: ${(procRate / bareRate).toFixed(2)}   goal: >= 0.80   (without InfluxDB: ${(discardRate / bareRate).toFixed(2)})`);
// Leave nothing behind: the bench database and topics are dropped.
await createInfluxClient(config.influx).dropDatabase(id);
await dropTopics(config);
console.log(
  JSON.stringify({
    bench: 'processor',
    core60sPollPerSec: Math.round(core60.perSec),
    core10sPollPerSec: Math.round(core10.perSec),
    coreGoalPerSec: 1_000_000,
    kafka: {
      devices: DEVICES, interfaces: IFACES, polls: POLLS, records: total, windows,
      bareDecodePerSec: Math.round(bareRate), processorPerSec: Math.round(procRate), processorNoInfluxPerSec: Math.round(discardRate),
      cpuSecs: { bare: best(runs.bare).cpu, processor: best(runs.processor).cpu, processorNoInflux: best(runs.discard).cpu },
      ratio: Number((procRate / bareRate).toFixed(3)), ratioNoInflux: Number((discardRate / bareRate).toFixed(3)), goalRatio: 0.8,
    },
  }),
);
process.exit(0);
