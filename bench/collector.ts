// Benchmark of the collector's SNMP poll path against lab agents with 48 interfaces each, and of
// Debian's snmpbulkwalk (C, net-snmp) over the same agents and the same counter columns as the
// reference. The agents run in separate child processes (`netmon lab`), so their CPU is not the
// collector's. The collector side is the real path: one net-snmp session per device (reused across
// rounds, as the collector does), walkColumns/pollDevice (GETBULK, column-parallel), the global
// concurrency limit, and the CounterSample encoding; publishing to Kafka is off (encoded records are
// dropped) unless --kafka: then the real publisher sends them to a fresh topic on the local stack's
// Kafka (NETMON_KAFKA_BROKERS from the stack's env file) and each round waits for the flush. CPU is process.cpuUsage() of this process; snmpbulkwalk's CPU is the reaped children's
// (/proc/self/stat cutime + cstime). A benchmark, not a test: it prints figures; the last line is one
// JSON object with all of them.
//
//   npm run bench:collector -- [--devices 200] [--ports 48] [--rounds 5] [--lab-procs 2]
//     [--concurrency 200] [--max-repetitions 20] [--ref-devices 40] [--ref-parallel 4] [--base-port 33161] [--kafka]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { COLUMNS, POLL_COLUMNS, SYS_UPTIME } from '../common/snmp/if-mib.js';
import { discoverDevice, pollDevice } from '../collector/inputs/snmp/poll.js';
import { createNetSnmpSession, type SnmpSession } from '../common/snmp/session.js';
import { createKafkaPublisher, type KafkaPublisher } from '../collector/publisher/kafka-publisher.js';
import { loadEnvWithStack } from '../cli/stack-env.js';
import { createKafka } from '../common/bus/kafka.js';
import { deviceSchema, netmonConfigSchema } from '../common/config/schema.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { encodeCounterSample } from '../common/contracts/index.js';

const { values: flags } = parseArgs({
  options: {
    devices: { type: 'string', default: '200' },
    ports: { type: 'string', default: '48' },
    rounds: { type: 'string', default: '5' },
    'lab-procs': { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '200' },
    'max-repetitions': { type: 'string', default: '20' },
    'ref-devices': { type: 'string', default: '40' },
    'ref-parallel': { type: 'string', default: '4' },
    'base-port': { type: 'string', default: '33161' },
    kafka: { type: 'boolean', default: false },
  },
  strict: true,
});

function whole(name: keyof typeof flags, min: number, max: number): number {
  const v = Number(flags[name]);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name}: expected a whole number ${min}..${max}, got ${JSON.stringify(flags[name])}`);
  return v;
}
const DEVICES = whole('devices', 1, 20000);
const PORTS = whole('ports', 1, 1024);
const ROUNDS = whole('rounds', 1, 1000);
const LAB_PROCS = Math.min(whole('lab-procs', 1, 16), DEVICES);
const CONCURRENCY = whole('concurrency', 1, 10000);
const MAX_REP = whole('max-repetitions', 1, 200);
const REF_DEVICES = Math.min(whole('ref-devices', 1, 20000), DEVICES);
const REF_PARALLEL = whole('ref-parallel', 1, 64);
const BASE_PORT = whole('base-port', 1024, 65535 - DEVICES);
const GOAL = { devices: 2000, ports: 48, intervalSeconds: 60 };
const HOST = '127.0.0.1';
// dist/bench/collector.js -> bin/netmon.js (the CLI entry point, which runs main()).
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'netmon.js');

/** Starts `netmon lab` children, each with a slice of the devices; resolves once all listen. */
async function startLabs(): Promise<ChildProcess[]> {
  const per = Math.ceil(DEVICES / LAB_PROCS);
  const children: ChildProcess[] = [];
  const ready: Array<Promise<void>> = [];
  for (let first = 0; first < DEVICES; first += per) {
    const n = Math.min(per, DEVICES - first);
    const child = spawn(process.execPath, [CLI, 'lab', '--devices', String(n), '--ports', String(PORTS), '--base-port', String(BASE_PORT + first)], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    ready.push(
      new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`lab child ${child.pid} did not start within 60 s:\n${out}`)), 60_000);
        const onData = (b: Buffer) => {
          out += b.toString();
          if (out.includes('answering SNMP')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout?.on('data', onData);
        child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`lab child exited with ${code}:\n${out}`));
        });
      }),
    );
  }
  try {
    await Promise.all(ready);
  } catch (err) {
    stopLabs(children);
    throw err;
  }
  return children;
}

function stopLabs(children: ChildProcess[]): void {
  for (const c of children) {
    c.stdin?.end('quit\n');
    const t = setTimeout(() => c.pid !== undefined && c.exitCode === null && c.kill('SIGTERM'), 3000);
    c.once('exit', () => clearTimeout(t));
  }
}

async function limited<T>(items: readonly T[], parallel: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const KAFKA = flags.kafka === true;

/** The real Kafka publisher to a topic of its own on the local stack (--kafka), else null. */
async function startPublisher(): Promise<{ publisher: KafkaPublisher; topic: string } | null> {
  if (!KAFKA) return null;
  const brokers = loadEnvWithStack().env.NETMON_KAFKA_BROKERS;
  if (!brokers) throw new Error('--kafka: NETMON_KAFKA_BROKERS is not set and no stack env file was found (is the local stack running?)');
  const id = `bench-collector-${Date.now().toString(36)}`;
  const config = netmonConfigSchema.parse({
    kafka: { brokers: brokers.split(','), samplesPartitions: 3, topics: { samples: `${id}.samples`, windows: `${id}.windows`, alerts: `${id}.alerts`, config: `${id}.config`, deadletter: `${id}.deadletter`, status: `${id}.status` } },
  });
  const publisher = createKafkaPublisher(silentLogger, config.kafka, { kafka: createKafka(silentLogger, config.kafka, 'bench'), registry: createRegistry({ defaultMetrics: false }) });
  await publisher.start();
  return { publisher, topic: config.kafka.topics.samples };
}

async function benchCollector(publisher: KafkaPublisher | null) {
  const devices = Array.from({ length: DEVICES }, (_, i) => deviceSchema.parse({ id: `d${i}`, host: HOST, port: BASE_PORT + i, snmp: { version: '2c', community: 'public' }, timeoutMs: 5000, retries: 1 }));
  const sessions: SnmpSession[] = devices.map((d) => createNetSnmpSession(d, { timeoutMs: 5000, retries: 1 }, Date.now));
  let encodedBytes = 0;
  let failures = 0;
  try {
    // Warm-up round: discovery (ifType/ifDescr) and one poll per device, as a collector's first minute.
    await limited(
      devices.map((_d, i) => i),
      CONCURRENCY,
      async (i) => {
        await discoverDevice(sessions[i], { maxRepetitions: MAX_REP });
        await pollDevice(sessions[i], devices[i].id, { maxRepetitions: MAX_REP });
      },
    );
    const roundSeconds: number[] = [];
    let samples = 0;
    let requests = 0;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < ROUNDS; r++) {
      const rs = process.hrtime.bigint();
      await limited(
        devices.map((_d, i) => i),
        CONCURRENCY,
        async (i) => {
          try {
            const res = await pollDevice(sessions[i], devices[i].id, { maxRepetitions: MAX_REP });
            const value = encodeCounterSample(res.sample);
            encodedBytes += value.length;
            publisher?.publish({ key: devices[i].id, value });
            samples += res.sample.interfaces.length;
            requests += res.requests;
          } catch {
            failures++;
          }
        },
      );
      await publisher?.flush();
      roundSeconds.push(Number(process.hrtime.bigint() - rs) / 1e9);
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const values = samples * POLL_COLUMNS.length + DEVICES * ROUNDS;
    return {
      interfaceSamples: samples,
      values,
      cpuMicrosPerValue: (cpuSeconds(cpu) / values) * 1e6,
      failedPolls: failures,
      requestsPerPoll: requests / Math.max(1, DEVICES * ROUNDS - failures),
      wallSeconds: wall,
      roundSeconds,
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      interfaceSamplesPerSec: samples / wall,
      cpuSecondsPer1000: (cpuSeconds(cpu) / samples) * 1000,
      encodedBytesPerSample: encodedBytes / Math.max(1, DEVICES * ROUNDS - failures),
    };
  } finally {
    for (const s of sessions) s.close();
  }
}

/** CPU seconds of this process's reaped children (utime + stime, clock ticks of 1/100 s). */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: cutime is field 16, cstime field 17.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function ensureSnmpbulkwalk(): string {
  const which = spawnSync('sh', ['-c', 'command -v snmpbulkwalk'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  console.log('snmpbulkwalk missing: apt-get install -y snmp');
  const r = spawnSync('apt-get', ['install', '-y', 'snmp'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('snmpbulkwalk is not installed and `apt-get install -y snmp` failed (run it as root)');
  return 'snmpbulkwalk';
}

function walk(bin: string, port: number, oid: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, ['-v2c', '-c', 'public', '-r', '1', '-t', '5', `-Cr${MAX_REP}`, '-On', '-OQ', '-m', '', `${HOST}:${port}`, oid], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let err = '';
    c.stdout.on('data', (b: Buffer) => {
      for (const ch of b) if (ch === 10) lines++;
    });
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.once('error', reject);
    // 'close', not 'exit': stdout may still hold data when the process has exited.
    c.once('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(`snmpbulkwalk ${oid} on port ${port} exited ${code}: ${err.trim()}`))));
  });
}

const IF_ENTRY = '1.3.6.1.2.1.2.2.1';
const IFX_ENTRY = '1.3.6.1.2.1.31.1.1.1';

/** Per device, either the same 19 columns and sysUpTime, one snmpbulkwalk per column (it walks one
 * OID), or ('tables') one walk of the whole ifTable and one of the whole ifXTable: a superset of the
 * columns in two processes, which shows the C cost per value without most of the process start-ups. */
async function benchReference(bin: string, mode: 'columns' | 'tables') {
  const oids = mode === 'columns' ? [SYS_UPTIME, ...POLL_COLUMNS.map((c) => COLUMNS[c])] : [IF_ENTRY, IFX_ENTRY];
  const jobs: Array<{ port: number; oid: string }> = [];
  for (let i = 0; i < REF_DEVICES; i++) for (const oid of oids) jobs.push({ port: BASE_PORT + i, oid });
  let varbinds = 0;
  const cpu0 = childCpuSeconds();
  const t0 = process.hrtime.bigint();
  await limited(jobs, REF_PARALLEL, async (j) => {
    const n = await walk(bin, j.port, j.oid);
    varbinds += n;
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = childCpuSeconds() - cpu0;
  const samples = REF_DEVICES * PORTS;
  const expected = REF_DEVICES * (1 + POLL_COLUMNS.length * PORTS);
  if (mode === 'columns' && varbinds !== expected) throw new Error(`snmpbulkwalk returned ${varbinds} values, expected ${expected}`);
  return { tool: 'snmpbulkwalk', mode: mode === 'columns' ? 'one process per column per device (the same 19 columns + sysUpTime)' : 'one process per table per device (all of ifTable and ifXTable)', devices: REF_DEVICES, values: varbinds, cpuMicrosPerValue: (cpu / varbinds) * 1e6, processes: jobs.length, parallel: REF_PARALLEL, interfaceSamples: samples, wallSeconds: wall, cpuSeconds: cpu, interfaceSamplesPerSec: samples / wall, cpuSecondsPer1000: (cpu / samples) * 1000 };
}

async function main() {
  const pub = await startPublisher();
  console.log(`collector bench: ${DEVICES} lab devices x ${PORTS} interfaces in ${LAB_PROCS} child processes, ${ROUNDS} rounds, concurrency ${CONCURRENCY}, max-repetitions ${MAX_REP}; ${pub ? `Kafka publish on (topic ${pub.topic})` : 'Kafka publish off (samples encoded, not sent)'}`);
  const bin = ensureSnmpbulkwalk();
  const labs = await startLabs();
  try {
    const col = await benchCollector(pub?.publisher ?? null);
    await pub?.publisher.stop();
    console.log(`collector:    ${col.interfaceSamplesPerSec.toFixed(0)} interface-samples/s, ${col.cpuSecondsPer1000.toFixed(4)} CPU s per 1000 interface-samples (user ${col.cpuUserSeconds.toFixed(2)} s, system ${col.cpuSystemSeconds.toFixed(2)} s), rounds ${col.roundSeconds.map((s) => s.toFixed(2)).join(' ')} s, ${col.requestsPerPoll.toFixed(2)} requests/poll, ${col.failedPolls} failed polls`);
    const ref = await benchReference(bin, 'columns');
    console.log(`snmpbulkwalk: ${ref.interfaceSamplesPerSec.toFixed(0)} interface-samples/s, ${ref.cpuSecondsPer1000.toFixed(4)} CPU s per 1000 interface-samples (${ref.processes} processes over ${ref.devices} devices, ${ref.parallel} at a time; ${ref.cpuMicrosPerValue.toFixed(1)} CPU us per value, collector ${col.cpuMicrosPerValue.toFixed(1)})`);
    const refTables = await benchReference(bin, 'tables');
    console.log(`snmpbulkwalk, whole tables: ${refTables.interfaceSamplesPerSec.toFixed(0)} interface-samples/s, ${refTables.cpuSecondsPer1000.toFixed(4)} CPU s per 1000 interface-samples, ${refTables.cpuMicrosPerValue.toFixed(1)} CPU us per value (${refTables.values} values: more columns than the collector reads)`);
    const goalSamples = GOAL.devices * GOAL.ports;
    const goal = {
      ...GOAL,
      measuredAt: { devices: DEVICES, ports: PORTS },
      extrapolated: DEVICES < GOAL.devices || PORTS !== GOAL.ports,
      cpuSecondsPerRound: (col.cpuSecondsPer1000 * goalSamples) / 1000,
      roundSecondsAtMeasuredRate: goalSamples / col.interfaceSamplesPerSec,
    };
    const fits = goal.cpuSecondsPerRound < GOAL.intervalSeconds && goal.roundSecondsAtMeasuredRate < GOAL.intervalSeconds;
    console.log(`goal ${GOAL.devices} x ${GOAL.ports} every ${GOAL.intervalSeconds} s: ${goal.cpuSecondsPerRound.toFixed(1)} collector CPU s per round, ${goal.roundSecondsAtMeasuredRate.toFixed(1)} s per round at the measured rate${goal.extrapolated ? ` (extrapolated linearly from ${DEVICES} x ${PORTS})` : ''}: ${fits ? 'fits' : 'does not fit'}`);
    console.log(JSON.stringify({ bench: 'collector', kafkaPublish: KAFKA, devices: DEVICES, ports: PORTS, rounds: ROUNDS, concurrency: CONCURRENCY, maxRepetitions: MAX_REP, labProcesses: LAB_PROCS, collector: col, reference: ref, referenceTables: refTables, goal: { ...goal, fits } }));
  } finally {
    stopLabs(labs);
    await pub?.publisher.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
