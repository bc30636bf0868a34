// `npm run bench:dashboard-intake`: what the dashboard costs per window it takes from Kafka at
// appliance scale. The real dashboard service (dashboard/main.ts: its Kafka window feed, live hub
// and server) runs in a child process of its own, consuming a fresh prefixed windows topic on the
// shared stack's broker, with live WebSocket clients (BENCH_ALL_CLIENTS "all", BENCH_OVERVIEW_CLIENTS
// "overview") connected from this process; this process produces the windows the way the processor
// does (keyed by device, encodeWindowResult, sends of at most 1,000 records), one minute of every
// series per round. The reference, in the same run: a bare kafkajs eachBatch consumer in a child of
// its own that only decodes the same records (decodeWindowResult).
// Figures per child, over the measured rounds only (after BENCH_WARMUP_ROUNDS that fill the feed and
// warm up): CPU seconds (user + system) per 1,000 windows, the GC's pauses (perf_hooks 'gc' entries:
// wall time, so on a busy machine they can exceed the CPU time; the CPU profile's "(garbage
// collector)" is the CPU figure), and RSS / heap after the last round. Sizes: BENCH_DEVICES, a comma list of
// device counts (default 1200,2000: 57,600 and 96,000 interface series of 48 interfaces, plus one
// device total each). BENCH_CPU_PROF=DIR writes a --cpu-prof profile of each dashboard child there.
// A benchmark, not a test: it prints figures; the last line is one JSON object.
// Rules: loopback only; every wait is bounded; the children are stopped by their pid (SIGTERM, then
// SIGKILL), never by name; the topics this run created are deleted at the end.
import { fork, type ChildProcess } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { loadEnvWithStack } from '../cli/stack-env.js';
import { createKafka, prepareTopics, type Producer } from '../common/bus/kafka.js';
import { systemClock } from '../common/clock.js';
import { netmonConfigSchema, type NetmonConfig } from '../common/config/schema.js';
import { decodeWindowResult, encodeWindowResult, type WindowResultInput } from '../common/contracts/window-result.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { createDashboardService } from '../dashboard/main.js';
import { freePort } from './appliance-procs.js';

function envList(name: string, dflt: string): number[] {
  const v = (process.env[name] ?? dflt).split(',').map(Number);
  if (v.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000)) throw new Error(`${name}: expected a comma list of whole numbers 1..10000, got ${JSON.stringify(process.env[name])}`);
  return v;
}
function envNumber(name: string, dflt: number, min: number, max: number): number {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name}: expected a whole number ${min}..${max}, got ${JSON.stringify(process.env[name])}`);
  return v;
}

const IFACES = 48;
const STEP = 60_000;
const SEND_RECORDS = 1000;
const WAIT_MS = 600_000;

type Mode = 'dashboard' | 'bare';
type ToChild = { type: 'count' } | { type: 'mark' } | { type: 'report' };
type ToParent = { type: 'ready'; port: number } | { type: 'count'; n: number } | { type: 'report'; cpuSecs: number; gcMs: number; gcMajor: number; gcMinor: number; rssMb: number; heapUsedMb: number; secs: number; n: number };

// ---- child: the real dashboard service, or the bare consumer ---------------------------------------

async function childMain(mode: Mode, config: NetmonConfig): Promise<void> {
  const send = (m: ToParent) => process.send?.(m);
  let gcMs = 0;
  let gcMajor = 0;
  let gcMinor = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      // detail.kind: 1 minor (scavenge), 2 major (mark-sweep-compact), 4 incremental, 8 weak callbacks.
      if ((e as { detail?: { kind?: number } }).detail?.kind === 2) gcMajor++;
      else gcMinor++;
    }
  }).observe({ entryTypes: ['gc'] });
  let count: () => Promise<number>;
  let stop: () => Promise<void>;
  if (mode === 'dashboard') {
    const registry = createRegistry({ defaultMetrics: false });
    const service = createDashboardService(silentLogger, { ...config, devices: [], devicesPath: null, rules: [], rulesFile: null, env: {} }, { registry, clock: systemClock });
    for (const c of service.components) await c.start();
    const feed = service.components[0] as { ready?: () => Promise<void> };
    await feed.ready?.();
    const metric = registry.getSingleMetric('netmon_dashboard_records_received_total');
    count = async () => (await metric!.get()).values.reduce((s, v) => s + v.value, 0);
    stop = async () => {
      for (const c of [...service.components].reverse()) await c.stop();
    };
  } else {
    const kafka = createKafka(silentLogger, config.kafka, 'bench-bare');
    const consumer = kafka.consumer({ groupId: `${config.dashboard.groupIdPrefix}-bare-${process.pid}` });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    let n = 0;
    let sink = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.windows, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          sink += decodeWindowResult(m.value).revision;
          n++;
        }
        await Promise.resolve();
      },
    });
    await joined;
    count = () => Promise.resolve(n + (sink < 0 ? 1 : 0));
    stop = () => consumer.disconnect();
  }
  let mark = { cpu: process.cpuUsage(), gcMs: 0, gcMajor: 0, gcMinor: 0, at: performance.now(), n: 0 };
  process.on('message', (m: ToChild) => {
    void (async () => {
      if (m.type === 'count') send({ type: 'count', n: await count() });
      else if (m.type === 'mark') {
        mark = { cpu: process.cpuUsage(), gcMs, gcMajor, gcMinor, at: performance.now(), n: await count() };
        send({ type: 'count', n: mark.n });
      } else {
        // Once the count is reached, the hub's flush of the last batch is one setImmediate away.
        await new Promise((r) => setImmediate(r));
        const c = process.cpuUsage(mark.cpu);
        const mem = process.memoryUsage();
        send({ type: 'report', cpuSecs: (c.user + c.system) / 1e6, gcMs: gcMs - mark.gcMs, gcMajor: gcMajor - mark.gcMajor, gcMinor: gcMinor - mark.gcMinor, rssMb: mem.rss / 2 ** 20, heapUsedMb: mem.heapUsed / 2 ** 20, secs: (performance.now() - mark.at) / 1000, n: (await count()) - mark.n });
      }
    })();
  });
  process.on('SIGTERM', () => void stop().finally(() => process.exit(0)));
  send({ type: 'ready', port: config.dashboard.port });
}

// ---- parent: the producer, the live clients, the figures ----------------------------------------------

const DEVICE_COUNTS = envList('BENCH_DEVICES', '1200,2000');
const WARMUP_ROUNDS = envNumber('BENCH_WARMUP_ROUNDS', 3, 1, 100);
const ROUNDS = envNumber('BENCH_ROUNDS', 3, 1, 100);
const ALL_CLIENTS = envNumber('BENCH_ALL_CLIENTS', 2, 0, 100);
const OVERVIEW_CLIENTS = envNumber('BENCH_OVERVIEW_CLIENTS', 2, 0, 100);
const CPU_PROF = process.env.BENCH_CPU_PROF ?? '';

/** The configuration as a file would hold it (the child parses it again: a parsed one holds secrets, which do not travel as JSON). */
function benchConfig(id: string, env: Record<string, string | undefined>, port: number): Record<string, unknown> {
  const topics = Object.fromEntries(['samples', 'windows', 'alerts', 'config', 'deadletter', 'status', 'alertState', 'alertActions', 'collectorState'].map((t) => [t, `${id}.${t}`]));
  return {
    log: { level: 'warn' },
    kafka: { brokers: (env.NETMON_KAFKA_BROKERS ?? '').split(','), clientId: id, topics },
    influx: { url: env.NETMON_INFLUX_URL, database: id },
    dashboard: { host: '127.0.0.1', port, groupIdPrefix: `${id}-dashboard`, auth: { anonymousRole: 'viewer' } },
  };
}

/** One minute of every series: each device's interfaces and its total, as the processor emits them. */
function minute(devices: number, round: number, t0: number): WindowResultInput[] {
  const out: WindowResultInput[] = [];
  const start = t0 + round * STEP;
  for (let d = 0; d < devices; d++) {
    const deviceId = `sw-${String(d).padStart(5, '0')}`;
    let total = 0;
    for (let i = 1; i <= IFACES; i++) {
      const bps = 1e6 * (1 + ((d * 31 + i * 17 + round * 7) % 997));
      total += bps;
      out.push(win(deviceId, i, start, bps, 1e10));
    }
    out.push(win(deviceId, null, start, total, null));
  }
  return out;
}

function win(deviceId: string, ifIndex: number | null, start: number, bps: number, speed: number | null): WindowResultInput {
  const octets = BigInt(Math.round((bps * 60) / 8));
  return {
    deviceId, ifIndex, ifName: ifIndex === null ? null : `ge-0/0/${ifIndex}`, windowStart: start, windowEnd: start + STEP,
    inOctets: octets, outOctets: octets / 3n, inPackets: octets / 700n, outPackets: octets / 900n, inErrors: 0n, outErrors: 0n, inDiscards: 1n, outDiscards: 0n,
    inBps: bps, outBps: bps / 3, inPps: bps / 5600, outPps: bps / 21600, inAvgPacketSize: 700, outAvgPacketSize: 900, speed,
    inUtilization: speed === null ? null : (bps / speed) * 100, outUtilization: speed === null ? null : (bps / 3 / speed) * 100,
    peakInBps: bps * 1.2, peakOutBps: bps / 2.5, coverage: 1, sampleCount: 1, revision: 1,
  };
}

async function produce(producer: Producer, topic: string, windows: readonly WindowResultInput[]): Promise<void> {
  for (let at = 0; at < windows.length; at += SEND_RECORDS) {
    const messages = windows.slice(at, at + SEND_RECORDS).map((w) => ({ key: w.deviceId, value: Buffer.from(encodeWindowResult(w)) }));
    await producer.send({ topic, acks: -1, messages });
  }
}

interface Child {
  proc: ChildProcess;
  ask: (m: ToChild) => Promise<ToParent>;
  stop: () => Promise<void>;
}

function startChild(mode: Mode, config: Record<string, unknown>): Promise<{ child: Child; port: number }> {
  const execArgv = mode === 'dashboard' && CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [];
  const proc = fork(fileURLToPath(import.meta.url), ['child', mode, JSON.stringify(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting: ((m: ToParent) => void) | null = null;
  const child: Child = {
    proc,
    ask: (m) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mode} child: no answer to ${m.type} in 60 s`)), 60_000);
      waiting = (x) => {
        clearTimeout(timer);
        resolve(x);
      };
      proc.send(m);
    }),
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    }),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} child not ready in 120 s`)), 120_000);
    proc.once('exit', (code) => reject(new Error(`${mode} child exited (${code}) before it was ready`)));
    proc.on('message', (m: ToParent) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({ child, port: m.port });
      } else waiting?.(m);
    });
  });
}

/** Asks the child's count until `done(n)` (bounded). */
async function waitCount(child: Child, done: (n: number, quietMs: number) => boolean): Promise<number> {
  const deadline = Date.now() + WAIT_MS;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const m = await child.ask({ type: 'count' });
    const n = m.type === 'count' ? m.n : -1;
    if (n !== last) {
      last = n;
      since = Date.now();
    }
    if (done(n, Date.now() - since)) return n;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the child did not reach its count in ${WAIT_MS / 1000} s (at ${last})`);
}

interface LiveClient {
  frames: number;
  closed: boolean;
  close: () => void;
}

function liveClient(port: number, view: 'all' | 'overview'): Promise<LiveClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live?view=${view}`, { perMessageDeflate: false });
    const c: LiveClient = { frames: 0, closed: false, close: () => ws.close() };
    const timer = setTimeout(() => reject(new Error(`the ${view} client got no hello within 30 s`)), 30_000);
    ws.on('message', (data: Buffer) => {
      if (data.toString('latin1', 0, 16).startsWith('{"type":"hello"')) {
        clearTimeout(timer);
        resolve(c);
      } else c.frames++;
    });
    ws.on('close', () => {
      c.closed = true;
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

type Report = Extract<ToParent, { type: 'report' }>;

async function scenario(mode: Mode, devices: number, raw: Record<string, unknown>, producer: Producer, t0: number): Promise<Report & { clientsDropped: number }> {
  const perRound = devices * (IFACES + 1);
  const config = netmonConfigSchema.parse(raw);
  const { child, port } = await startChild(mode, raw);
  const clients: LiveClient[] = [];
  try {
    if (mode === 'dashboard') {
      for (let i = 0; i < ALL_CLIENTS; i++) clients.push(await liveClient(port, 'all'));
      for (let i = 0; i < OVERVIEW_CLIENTS; i++) clients.push(await liveClient(port, 'overview'));
    }
    // The first round may race the consumer's first fetch (it starts at the latest offset): it counts
    // what arrived once the count has been still for 2 s; every later round must arrive whole.
    await produce(producer, config.kafka.topics.windows, minute(devices, 0, t0));
    let base = await waitCount(child, (n, quiet) => n >= perRound || (n > 0 && quiet > 2000));
    for (let r = 1; r < WARMUP_ROUNDS + ROUNDS; r++) {
      if (r === WARMUP_ROUNDS) {
        const m = await child.ask({ type: 'mark' });
        base = m.type === 'count' ? m.n : base;
      }
      await produce(producer, config.kafka.topics.windows, minute(devices, r, t0));
      const want = base + (r >= WARMUP_ROUNDS ? (r - WARMUP_ROUNDS + 1) * perRound : 0);
      if (r < WARMUP_ROUNDS) base = await waitCount(child, (n) => n >= base + perRound);
      else await waitCount(child, (n) => n >= want);
    }
    const rep = await child.ask({ type: 'report' });
    if (rep.type !== 'report') throw new Error('the child did not report');
    return { ...rep, clientsDropped: clients.filter((c) => c.closed).length };
  } finally {
    for (const c of clients) c.close();
    await child.stop();
  }
}

async function main(): Promise<void> {
  const { env } = loadEnvWithStack();
  if (!env.NETMON_KAFKA_BROKERS) throw new Error('no local stack: start it with bash scripts/stack/up.sh');
  const id = `bench_intake_${Date.now().toString(36)}`;
  const results: Array<{ devices: number; series: number; windowsPerRound: number; dashboard: ReturnType<typeof figures>; bare: ReturnType<typeof figures>; ratio: number }> = [];
  const figures = (r: Report & { clientsDropped: number }) => ({
    cpuSecsPer1000: Number(((r.cpuSecs / r.n) * 1000).toFixed(4)), usPerWindow: Number(((r.cpuSecs / r.n) * 1e6).toFixed(1)), windows: r.n, cpuSecs: Number(r.cpuSecs.toFixed(2)),
    gcPauseMs: Math.round(r.gcMs), gcPausePerCpu: Number((r.gcMs / 1000 / r.cpuSecs).toFixed(3)), gcMajor: r.gcMajor, gcMinor: r.gcMinor, rssMb: Math.round(r.rssMb), heapUsedMb: Math.round(r.heapUsedMb), secs: Number(r.secs.toFixed(1)), clientsDropped: r.clientsDropped,
  });
  console.log(`dashboard intake: the real dashboard service (Kafka window feed, live hub with ${ALL_CLIENTS} "all" and ${OVERVIEW_CLIENTS} "overview" clients) against a bare kafkajs decode of the same records; devices ${DEVICE_COUNTS.join(', ')} x ${IFACES} interfaces, ${WARMUP_ROUNDS} warm-up + ${ROUNDS} measured minutes each`);
  const base = netmonConfigSchema.parse(benchConfig(id, env, 0));
  const kafka = createKafka(silentLogger, base.kafka, 'bench-intake');
  await prepareTopics(kafka, base.kafka);
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const [k, devices] of DEVICE_COUNTS.entries()) {
      // Each scenario its own minutes (event time moves on), so no record replays an earlier one.
      const t0 = Math.floor(Date.now() / STEP) * STEP - 1000 * STEP + k * 200 * STEP;
      const bare = figures(await scenario('bare', devices, benchConfig(id, env, 0), producer, t0));
      const dash = figures(await scenario('dashboard', devices, benchConfig(id, env, await freePort()), producer, t0 + 100 * STEP));
      const row = { devices, series: devices * IFACES, windowsPerRound: devices * (IFACES + 1), dashboard: dash, bare, ratio: Number((dash.cpuSecsPer1000 / bare.cpuSecsPer1000).toFixed(2)) };
      results.push(row);
      console.log(`${row.series} interface series (${devices} devices): dashboard ${dash.cpuSecsPer1000} CPU s per 1,000 windows (${dash.usPerWindow} us), GC pauses ${dash.gcPauseMs} ms (wall time, ${(dash.gcPausePerCpu * 100).toFixed(0)} % of its CPU time on a loaded machine; ${dash.gcMajor} major, ${dash.gcMinor} minor), RSS ${dash.rssMb} MB, heap ${dash.heapUsedMb} MB${dash.clientsDropped ? `, ${dash.clientsDropped} clients DROPPED` : ''}; bare decode ${bare.cpuSecsPer1000} (${bare.usPerWindow} us, RSS ${bare.rssMb} MB): ${row.ratio}x`);
    }
  } finally {
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${id}.`));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
  console.log(JSON.stringify({ bench: 'dashboard-intake', allClients: ALL_CLIENTS, overviewClients: OVERVIEW_CLIENTS, warmupRounds: WARMUP_ROUNDS, rounds: ROUNDS, results }));
}

if (process.argv[2] === 'child') {
  childMain(process.argv[3] as Mode, netmonConfigSchema.parse(JSON.parse(process.argv[4]))).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
