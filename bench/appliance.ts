// `npm run bench:appliance`: the whole appliance on this machine. Lab switches (`netmon lab`, a
// child process of their own) polled every BENCH_POLL_SECONDS by `netmon collector`, through Kafka,
// `netmon processor` and InfluxDB to `netmon dashboard` with a few live WebSocket clients (views
// "all" and "overview"), each netmon part its own process. After a warm-up (until the processor has
// written its first windows), the CPU of collector, processor, dashboard, Kafka and InfluxDB (the
// stack env's pid files) is read from /proc/<pid>/stat over whole minutes (each holds one window
// close), per 1,000 interface-samples the collector produced; their sum gives the capacity on this
// machine's cores at 60 s polls (goal 500,000 interfaces). The lab's CPU is shown apart.
// Then, in the same run, the references (each printed next to its figure):
//   - the peer: Debian's prometheus-snmp-exporter scraping the same agents at the same interval;
//   - the processor without its store draining the run's samples topic against a bare kafkajs
//     consumer decoding the same records (bench/processor-drain.ts; goal ratio 0.8);
//   - InfluxDB's CPU per point for netmon's writes against the same points written by curl;
//   - the dashboard's "all" view against a bare ws server sending the same bytes to the same
//     clients, on the run's own windows (bench/dashboard-broadcast.ts; goal 1.1x).
// A benchmark, not a test: it prints figures; the last line is one JSON object. It uses the local
// stack ($NETMON_STACK_ENV, else .stack/env; started if needed); topics and database of its own,
// dropped at the end. Sizes: BENCH_DEVICES (200) x BENCH_IFACES (48), BENCH_POLL_SECONDS (10),
// BENCH_MEASURE_SECONDS (120, whole minutes), BENCH_CLIENTS (4: half "all", half "overview"),
// BENCH_PEER_ROUNDS (4), BENCH_BROADCAST_CLIENTS (200, the second broadcast comparison),
// BENCH_BROADCAST_ROUNDS (5),
// BENCH_BASE_PORT (36161: the lab's UDP ports from there).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { findStackEnv, parseEnvFile } from '../cli/stack-env.js';
import { createKafka, prepareTopics } from '../common/bus/kafka.js';
import { netmonConfigSchema, type NetmonConfig } from '../common/config/schema.js';
import type { WindowResult } from '../common/contracts/window-result.js';
import { silentLogger } from '../common/log.js';
import { repoRoot } from '../common/package-root.js';
import { createInfluxClient } from '../common/store/influx.js';
import { measurePeer, startExporter, type PeerFigures } from './appliance-exporter.js';
import { curlFloor, readWindows, type FloorFigures } from './appliance-floor.js';
import { freePort, scrapeMetric, startNetmon, waitUntil, type Proc } from './appliance-procs.js';
import { capacity, fmt, table, type PartCpu } from './appliance-report.js';
import { fdLimit, forkClients, scenario, WARMUP_ROUNDS, type Scenario } from './dashboard-broadcast.js';
import { bareDecode, pidCpuSecs, pidFromFile, processorDrain, type Drain } from './processor-drain.js';

function envNumber(name: string, dflt: number, min: number, max: number): number {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name}: expected a whole number ${min}..${max}, got ${JSON.stringify(process.env[name])}`);
  return v;
}
const DEVICES = envNumber('BENCH_DEVICES', 200, 1, 5000);
const IFACES = envNumber('BENCH_IFACES', 48, 1, 1024);
const POLL_SECONDS = envNumber('BENCH_POLL_SECONDS', 10, 1, 60);
const MEASURE_MINUTES = Math.max(1, Math.round(envNumber('BENCH_MEASURE_SECONDS', 120, 60, 3600) / 60));
const CLIENTS = envNumber('BENCH_CLIENTS', 4, 2, 1000);
const PEER_ROUNDS = envNumber('BENCH_PEER_ROUNDS', 4, 1, 100);
const BROADCAST_CLIENTS = envNumber('BENCH_BROADCAST_CLIENTS', 200, 1, 5000);
const BROADCAST_ROUNDS = envNumber('BENCH_BROADCAST_ROUNDS', 5, 1, 100);
const BASE_PORT = envNumber('BENCH_BASE_PORT', 36161, 1024, 65535 - DEVICES);
const CORES = cpus().length;
const GOAL_INTERFACES = 500_000;
const GOAL_PROCESSOR_RATIO = 0.8;
const GOAL_DASHBOARD_RATIO = 1.1;

const log = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The local stack (started if needed, as bench:processor does) and its env file's settings. */
function stack(): Record<string, string> {
  if (spawnSync('bash', [join(repoRoot(), 'scripts', 'stack', 'up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
    throw new Error('the local stack did not come up (bash scripts/stack/up.sh)');
  }
  const file = findStackEnv();
  if (file === null) throw new Error('no stack env file after scripts/stack/up.sh');
  return parseEnvFile(readFileSync(file, 'utf8'));
}

function benchConfig(id: string, env: Record<string, string>, ports: { dashboard: number; collectorMetrics: number; processorMetrics: number }): Record<string, unknown> {
  const topics = Object.fromEntries(['samples', 'windows', 'alerts', 'config', 'deadletter', 'status', 'alertState', 'alertActions', 'collectorState'].map((t) => [t, `${id}.${t}`]));
  return {
    log: { level: 'warn', format: 'json' },
    kafka: { brokers: (env.NETMON_KAFKA_BROKERS ?? '').split(','), clientId: id, topics },
    influx: { url: env.NETMON_INFLUX_URL, database: id },
    collector: { pollIntervalSeconds: POLL_SECONDS, timeoutMs: 5000, retries: 1, groupId: `${id}-collectors`, metricsListen: `127.0.0.1:${ports.collectorMetrics}` },
    processor: { groupId: `${id}-processor`, metricsListen: `127.0.0.1:${ports.processorMetrics}` },
    dashboard: { host: '127.0.0.1', port: ports.dashboard, groupIdPrefix: `${id}-dashboard`, auth: { anonymousRole: 'viewer', metricsRole: 'anonymous' } },
    devicesFile: 'devices.yaml',
    alerts: { notifierGroupId: `${id}-notifier` },
  };
}

/** A live WebSocket client of the dashboard: counts its frames and bytes; the "all" ones keep the frames. */
interface LiveClient {
  view: 'all' | 'overview';
  frames: number;
  bytes: number;
  close: () => void;
}

function liveClient(url: string, view: 'all' | 'overview'): Promise<LiveClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?view=${view}`, { perMessageDeflate: false });
    const c: LiveClient = { view, frames: 0, bytes: 0, close: () => ws.close() };
    const timer = setTimeout(() => reject(new Error(`the ${view} client got no hello within 30 s`)), 30_000);
    ws.on('message', (data: Buffer) => {
      if (data.toString('latin1', 0, 16).startsWith('{"type":"hello"')) {
        clearTimeout(timer);
        resolve(c);
        return;
      }
      c.frames++;
      c.bytes += data.length;
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

interface Snapshot {
  at: number;
  cpu: Record<string, number | null>;
  samples: number;
  records: number;
  written: number;
  clientBytes: number;
  clientFrames: number;
}

async function dropAll(config: NetmonConfig, id: string): Promise<void> {
  await createInfluxClient(config.influx).dropDatabase(id).catch(() => undefined);
  const admin = createKafka(silentLogger, config.kafka, 'bench-clean').admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${id}.`));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  await admin.disconnect();
}

/** Records in a topic now (the sum of its partitions' high-water marks). */
async function topicRecords(config: NetmonConfig, topic: string): Promise<number> {
  const admin = createKafka(silentLogger, config.kafka, 'bench-offsets').admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** The run's windows as the dashboard got them: one batch per window end, the full ones only (every series). */
function minuteBatches(windows: readonly WindowResult[], max: number): WindowResult[][] {
  const byEnd = new Map<number, WindowResult[]>();
  for (const w of windows) {
    const b = byEnd.get(w.windowEnd);
    if (b) b.push(w);
    else byEnd.set(w.windowEnd, [w]);
  }
  const full = Math.max(...[...byEnd.values()].map((b) => b.length));
  return [...byEnd.entries()].filter(([, b]) => b.length === full).sort((a, b) => a[0] - b[0]).slice(-max).map(([, b]) => b);
}

async function main(): Promise<void> {
  const started = Date.now();
  const env = stack();
  const kafkaPid = pidFromFile(env.NETMON_KAFKA_PID_FILE);
  const influxPid = pidFromFile(env.NETMON_INFLUX_PID_FILE);
  const id = `bench_appliance_${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'netmon-bench-appliance-'));
  const ports = { dashboard: await freePort(), collectorMetrics: await freePort(), processorMetrics: await freePort() };
  const raw = benchConfig(id, env, ports);
  const config = netmonConfigSchema.parse(raw);
  writeFileSync(join(dir, 'netmon.yaml'), JSON.stringify(raw, null, 2));
  log(`appliance bench: ${DEVICES} lab devices x ${IFACES} interfaces polled every ${POLL_SECONDS} s; collector, processor, dashboard (${CLIENTS} live clients) as processes; ${CORES} cores; logs and config in ${dir}`);

  const procs: Proc[] = [];
  const clients: LiveClient[] = [];
  let done = false;
  try {
    // Idle cost of the broker and InfluxDB (their housekeeping), over the lab's start-up.
    const idle0 = { at: Date.now(), kafka: pidCpuSecs(kafkaPid), influx: pidCpuSecs(influxPid) };
    const lab = startNetmon('lab', ['lab', '--devices', String(DEVICES), '--ports', String(IFACES), '--base-port', String(BASE_PORT), '--write-devices', join(dir, 'devices.yaml')], join(dir, 'lab.log'));
    procs.push(lab);
    await lab.waitFor('answering SNMP', 120_000);
    await sleep(Math.max(0, 10_000 - (Date.now() - idle0.at)));
    const idleSecs = (Date.now() - idle0.at) / 1000;
    const idle = { kafka: ((pidCpuSecs(kafkaPid) ?? NaN) - (idle0.kafka ?? NaN)) / idleSecs, influx: ((pidCpuSecs(influxPid) ?? NaN) - (idle0.influx ?? NaN)) / idleSecs };

    // The topics first, every partition with a leader: the services started at once on topics that
    // do not exist yet race to create them, and a dashboard whose device store reads a partition
    // before its leader is known exits ("This server is not the leader for that topic-partition").
    await prepareTopics(createKafka(silentLogger, config.kafka, 'bench-topics'), config.kafka);
    const cfgFile = join(dir, 'netmon.yaml');
    const processor = startNetmon('processor', ['processor', '--config', cfgFile], join(dir, 'processor.log'));
    const dashboard = startNetmon('dashboard', ['dashboard', '--config', cfgFile], join(dir, 'dashboard.log'));
    procs.push(processor, dashboard);
    const dashUrl = `http://127.0.0.1:${ports.dashboard}`;
    await waitUntil('the dashboard to answer /healthz', 60_000, async () => {
      for (const p of procs) if (p.exited()) throw new Error(`${p.name} exited:\n${p.tail()}`);
      return fetch(`${dashUrl}/healthz`, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
    });
    const collector = startNetmon('collector', ['collector', '--config', cfgFile], join(dir, 'collector.log'));
    procs.push(collector);
    for (let i = 0; i < CLIENTS; i++) clients.push(await liveClient(`ws://127.0.0.1:${ports.dashboard}/live`, i % 2 === 0 ? 'all' : 'overview'));

    const collectorMetric = (n: string) => scrapeMetric(`http://127.0.0.1:${ports.collectorMetrics}/metrics`, n);
    const processorMetric = (n: string) => scrapeMetric(`http://127.0.0.1:${ports.processorMetrics}/metrics`, n);
    const parts: Record<string, () => number | null> = {
      collector: collector.cpu,
      processor: processor.cpu,
      dashboard: dashboard.cpu,
      kafka: () => pidCpuSecs(kafkaPid),
      influxdb: () => pidCpuSecs(influxPid),
      lab: lab.cpu,
    };
    const snapshot = async (): Promise<Snapshot> => {
      const [samples, records, written] = await Promise.all([collectorMetric('netmon_collector_interface_samples_total'), processorMetric('netmon_processor_records_total'), processorMetric('netmon_processor_windows_written_total')]);
      const all = clients.filter((c) => c.view === 'all');
      return { at: Date.now(), cpu: Object.fromEntries(Object.entries(parts).map(([k, f]) => [k, f()])), samples, records, written, clientBytes: all.reduce((s, c) => s + c.bytes, 0), clientFrames: all.reduce((s, c) => s + c.frames, 0) };
    };

    // Warm-up: until the processor has written its first windows (the first minute's, about a
    // window plus the out-of-orderness after the start), then a few seconds for the burst to end.
    log('warm-up: until the first windows are written ...');
    await waitUntil('the first windows to be written', 240_000, async () => {
      for (const p of procs) if (p.exited()) throw new Error(`${p.name} exited:\n${p.tail()}`);
      return (await processorMetric('netmon_processor_windows_written_total')) > 0;
    });
    await sleep(5000);
    const warmupSecs = (Date.now() - started) / 1000;
    log(`measuring ${MEASURE_MINUTES} minute(s) from ${warmupSecs.toFixed(0)} s into the run ...`);
    const s0 = await snapshot();
    await sleep(MEASURE_MINUTES * 60_000);
    const s1 = await snapshot();
    for (const p of procs) if (p.exited()) throw new Error(`${p.name} exited during the measurement:\n${p.tail()}`);
    const secs = (s1.at - s0.at) / 1000;
    const samples = s1.samples - s0.samples;
    const cpu = (k: string) => (s0.cpu[k] === null || s1.cpu[k] === null ? null : (s1.cpu[k] ?? 0) - (s0.cpu[k] ?? 0));
    const pipeline: PartCpu[] = ['collector', 'processor', 'kafka', 'influxdb', 'dashboard'].map((part) => ({ part, cpuSecs: cpu(part) }));
    const cap = capacity(pipeline, samples, CORES, GOAL_INTERFACES);
    const pointsWritten = s1.written - s0.written;
    const processed = (s1.records - s0.records) * IFACES;
    const expectedSamples = Math.round((DEVICES * IFACES * secs) / POLL_SECONDS);
    const labCpu = cpu('lab');

    // Stop the pipeline: the samples topic stays as the run left it, for the drains.
    for (const c of clients) c.close();
    for (const p of [collector, processor, dashboard]) await p.stop();

    // --- the peer ---------------------------------------------------------------------------------
    log(`peer: prometheus-snmp-exporter scraping the same ${DEVICES} agents, ${PEER_ROUNDS} rounds every ${POLL_SECONDS} s ...`);
    const exporter = await startExporter(dir, { community: 'public', maxRepetitions: 20 });
    procs.push(exporter.proc);
    const labPeer0 = lab.cpu();
    const peer: PeerFigures = await measurePeer(exporter, Array.from({ length: DEVICES }, (_, i) => BASE_PORT + i), PEER_ROUNDS, POLL_SECONDS * 1000, 50);
    const labPeer = (lab.cpu() ?? NaN) - (labPeer0 ?? NaN);
    await exporter.proc.stop();
    await lab.stop();

    // --- InfluxDB: netmon's writes against curl's ---------------------------------------------------
    log('store floor: the run\'s windows written again by curl ...');
    const windows = await readWindows(config);
    const floor: FloorFigures = await curlFloor(config.influx, windows, dir, () => pidCpuSecs(influxPid));
    const influxCpu = cpu('influxdb');
    const netmonMicrosPerPoint = influxCpu === null || pointsWritten <= 0 ? NaN : (influxCpu / pointsWritten) * 1e6;

    // --- the processor without its store against a bare consumer -------------------------------------
    log('processor without its store against a bare kafkajs consumer, over the run\'s samples topic ...');
    const records = await topicRecords(config, config.kafka.topics.samples);
    const drainCfg = netmonConfigSchema.parse({
      ...raw,
      kafka: { ...(raw.kafka as object), topics: { ...config.kafka.topics, windows: `${id}.drain-windows`, alerts: `${id}.drain-alerts`, alertState: `${id}.drain-alert-state` } },
      processor: { groupId: `${id}-drain`, metricsListen: '' },
    });
    const drains: Record<'bare' | 'noStore', Drain[]> = { bare: [], noStore: [] };
    let decoded = 0;
    for (let r = 0; r < 2; r++) {
      const b = await bareDecode(env, drainCfg, records, null);
      decoded = b.ifaces;
      drains.bare.push(b);
      drains.noStore.push(await processorDrain(env, drainCfg, records, `n${r}`, true));
    }
    const best = (ds: Drain[]) => ds.reduce((a, b) => (b.secs < a.secs ? b : a));
    const bareRate = decoded / best(drains.bare).secs;
    const noStoreRate = decoded / best(drains.noStore).secs;

    // --- the dashboard's "all" view against a bare ws server --------------------------------------------
    // The run's full minutes, sent over again as later revisions (the dashboard's feed takes a window
    // again only with a higher revision) for BROADCAST_ROUNDS rounds plus WARMUP_ROUNDS that warm each
    // side up (dashboard-broadcast's measure()); the reference sends the very bytes of each round.
    const minutes = minuteBatches(windows, 4);
    if (minutes.length === 0) throw new Error('the run left no full minute of windows for the broadcast comparison (raise BENCH_MEASURE_SECONDS)');
    const rounds = BROADCAST_ROUNDS;
    const batches = Array.from({ length: rounds + WARMUP_ROUNDS }, (_, r) => (r < minutes.length ? minutes[r] : minutes[r % minutes.length].map((w) => ({ ...w, revision: w.revision + r }))));
    const allClients = Math.ceil(CLIENTS / 2);
    const need = Math.max(allClients, BROADCAST_CLIENTS) + 200;
    if (fdLimit() < need) throw new Error(`ulimit -n is ${fdLimit()}; ${BROADCAST_CLIENTS} broadcast clients need about ${need}: raise it or lower BENCH_BROADCAST_CLIENTS`);
    log(`dashboard "all" view against a bare ws server: the run's last ${minutes.length} full minutes (${minutes[0].length} windows each) in ${rounds} rounds after ${WARMUP_ROUNDS} that warm up, ${allClients} and ${BROADCAST_CLIENTS} clients ...`);
    const child = forkClients();
    const broadcast: Scenario[] = [];
    try {
      for (const n of [allClients, BROADCAST_CLIENTS]) broadcast.push(await scenario(child, 'all', batches, n));
    } finally {
      child.kill();
    }

    // --- the table ------------------------------------------------------------------------------------
    log('');
    log(`measured ${secs.toFixed(0)} s: ${samples} interface-samples polled (expected ${expectedSamples} at ${DEVICES} x ${IFACES} every ${POLL_SECONDS} s), ${processed} processed, ${pointsWritten} windows written, ${s1.clientFrames - s0.clientFrames} frames (${((s1.clientBytes - s0.clientBytes) / 1e6).toFixed(1)} MB) to the "all" clients`);
    log(`idle before the run: Kafka ${fmt(idle.kafka * 100, 1)} % of a core, InfluxDB ${fmt(idle.influx * 100, 1)} % (in the figures below; they do not grow with the load, so the capacity errs low)`);
    const rows: string[][] = [['part', 'CPU s', 'CPU s / 1000 samples', 'share', 'reference', 'reference CPU s / 1000']];
    for (const r of cap.rows) rows.push([r.part, fmt(r.cpuSecs, 2), fmt(r.per1000, 4), `${fmt((r.share ?? NaN) * 100, 0)} %`, r.part === 'collector' ? 'snmp exporter (peer)' : '', r.part === 'collector' ? fmt(peer.cpuSecsPer1000, 4) : '']);
    rows.push(['sum', fmt(cap.rows.reduce((s, r) => s + (r.cpuSecs ?? 0), 0), 2), fmt(cap.sumPer1000, 4), '100 %', '', '']);
    rows.push(['lab agents (apart)', fmt(labCpu, 2), fmt(labCpu === null ? null : (labCpu / samples) * 1000, 4), '', 'under the peer', fmt((labPeer / peer.interfaceSamples) * 1000, 4)]);
    for (const l of table(rows)) log(l);
    log('');
    if (POLL_SECONDS !== 60) log(`  (polled every ${POLL_SECONDS} s: a window holds ${60 / POLL_SECONDS} samples per interface, and what goes per window, InfluxDB's points and the windows the processor writes and the dashboard relays, costs ${60 / POLL_SECONDS}x as much per sample at 60 s polls; BENCH_POLL_SECONDS=60 with ${60 / POLL_SECONDS}x the devices measures that load itself)`);
    log(`capacity on ${CORES} cores at 60 s polls: ${Math.round(cap.interfacesPerMinute).toLocaleString('en-US')} interfaces (${Math.round(cap.samplesPerSec)} interface-samples/s)   goal: ${GOAL_INTERFACES.toLocaleString('en-US')}: ${cap.goalMet ? 'met' : 'NOT met'}; the most CPU per sample: ${cap.limitingPart}`);
    log(`peer: prometheus-snmp-exporter ${fmt(peer.cpuSecsPer1000, 4)} CPU s per 1000 interface-samples (${peer.interfaceSamples} samples in ${peer.rounds} rounds, rounds ${peer.roundSeconds.map((s) => s.toFixed(1)).join(' ')} s, ${peer.failedScrapes} failed scrapes) against the collector's ${fmt(cap.rows[0].per1000, 4)}: collector / peer = ${fmt((cap.rows[0].per1000 ?? NaN) / peer.cpuSecsPer1000, 2)}`);
    log(`processor without its store: ${fmt(noStoreRate / 1e6, 3)} M interface-samples/s against a bare kafkajs decode ${fmt(bareRate / 1e6, 3)} M/s (${records} records, best of 2): ratio ${fmt(noStoreRate / bareRate, 2)}   goal: >= ${GOAL_PROCESSOR_RATIO}`);
    log(`InfluxDB: ${fmt(netmonMicrosPerPoint, 1)} CPU us per point for netmon's writes (${pointsWritten} points in the measured minutes) against ${fmt(floor.cpuMicrosPerPoint, 1)} us for the same run's ${floor.points} points by curl (${floor.requests} requests): ${fmt(netmonMicrosPerPoint / floor.cpuMicrosPerPoint, 2)}x the floor`);
    for (const b of broadcast) {
      const ratio = b.dashboard.serverCpuMsPerRound / b.reference.serverCpuMsPerRound;
      log(`dashboard "all" view, ${b.dashboard.samples / rounds} clients: ${fmt(b.dashboard.serverCpuMsPerRound, 1)} ms CPU per minute's frame against ${fmt(b.reference.serverCpuMsPerRound, 1)} ms for a bare ws server sending the same ${b.reference.frameBytes} bytes: ${fmt(ratio, 2)}x   goal: <= ${GOAL_DASHBOARD_RATIO}x`);
    }
    // What each further client costs (the slope between the two client counts): the frame is built
    // once, so this is the part of the cost that grows with the clients.
    const [b1, b2] = broadcast;
    const clientsApart = BROADCAST_CLIENTS - allClients;
    const perClient = clientsApart > 0 ? { dashboardMs: (b2.dashboard.serverCpuMsPerRound - b1.dashboard.serverCpuMsPerRound) / clientsApart, referenceMs: (b2.reference.serverCpuMsPerRound - b1.reference.serverCpuMsPerRound) / clientsApart } : null;
    if (perClient) log(`  each further "all" client: ${fmt(perClient.dashboardMs, 3)} ms per frame against ${fmt(perClient.referenceMs, 3)} ms for bare ws: ${fmt(perClient.dashboardMs / perClient.referenceMs, 2)}x; the rest is building the frame once (${fmt(b1.dashboard.serverCpuMsPerRound - allClients * (perClient.dashboardMs), 1)} ms)`);
    const totalSecs = (Date.now() - started) / 1000;
    log(`whole bench: ${totalSecs.toFixed(0)} s`);

    await dropAll(config, id);
    console.log(
      JSON.stringify({
        bench: 'appliance',
        devices: DEVICES, interfaces: IFACES, pollSeconds: POLL_SECONDS, cores: CORES, liveClients: CLIENTS, measuredSeconds: Math.round(secs), warmupSeconds: Math.round(warmupSecs),
        interfaceSamples: samples, expectedSamples, processedSamples: processed, windowsWritten: pointsWritten,
        cpuSecs: Object.fromEntries(cap.rows.map((r) => [r.part, r.cpuSecs])), cpuSecsPer1000: Object.fromEntries(cap.rows.map((r) => [r.part, Number(fmt(r.per1000, 5))])),
        labCpuSecs: labCpu, idleCoreShare: idle,
        capacity: { interfacesPerMinute: Math.round(cap.interfacesPerMinute), samplesPerSec: Math.round(cap.samplesPerSec), goalInterfacesPerMinute: GOAL_INTERFACES, goalMet: cap.goalMet, mostCpuPerSample: cap.limitingPart },
        peer: { tool: 'prometheus-snmp-exporter', ...peer, labCpuSecs: labPeer, collectorRatio: (cap.rows[0].per1000 ?? NaN) / peer.cpuSecsPer1000 },
        processorNoStore: { records, interfaceSamples: decoded, bareDecodePerSec: Math.round(bareRate), processorNoStorePerSec: Math.round(noStoreRate), ratio: Number((noStoreRate / bareRate).toFixed(3)), goalRatio: GOAL_PROCESSOR_RATIO, cpuSecs: { bare: best(drains.bare).cpu, noStore: best(drains.noStore).cpu } },
        influx: { netmonMicrosPerPoint, netmonPoints: pointsWritten, floor, ratio: netmonMicrosPerPoint / floor.cpuMicrosPerPoint },
        dashboardAllPerClient: perClient, dashboardAll: broadcast.map((b) => ({ clients: b.dashboard.samples / rounds, rounds, windowsPerFrame: batches[0].length, dashboardCpuMsPerFrame: b.dashboard.serverCpuMsPerRound, referenceCpuMsPerFrame: b.reference.serverCpuMsPerRound, frameBytes: b.reference.frameBytes, ratio: Number((b.dashboard.serverCpuMsPerRound / b.reference.serverCpuMsPerRound).toFixed(3)), goalRatio: GOAL_DASHBOARD_RATIO })),
        totalSeconds: Math.round(totalSecs),
      }),
    );
    done = true;
  } finally {
    for (const c of clients) c.close();
    for (const p of procs.reverse()) await p.stop(5000);
    // The logs stay when something failed: they are what tells why.
    if (done) rmSync(dir, { recursive: true, force: true });
    else console.error(`logs and config kept in ${dir}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
