// Benchmark of the dashboard's live broadcast: the real dashboard server (createDashboard, its live
// hub behind /live) with N WebSocket clients, and a batch of window results (100 devices x 48
// interfaces by default) pushed into its feed; then a bare `ws` server broadcasting the very same
// frame bytes to the same number of clients, as the reference. The clients live in a child process
// (client CPU is not the server's), connect over loopback and report when each frame arrived.
// Figures: delivery latency per client and round, from the first push into the feed (dashboard) or
// the first send call (reference) to the client's receipt of the whole frame (p50, p99, max), and
// the server process's CPU time per round (user + system, process.cpuUsage()).
// A benchmark, not a test: it prints figures; the last line is one JSON object. Goal: p99 < 250 ms.
// File descriptors: each side holds one socket per client, so the parent and the child each need
// more than BENCH_CLIENTS descriptors; the check below fails early and names `ulimit -n` otherwise
// (`npm run bench:dashboard` raises the soft limit to the hard limit first).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { netmonConfigSchema } from '../common/config/schema.js';
import type { WindowResult } from '../common/contracts/window-result.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { sampleWindow } from '../dashboard/fakes.js';
import { createMemoryFeed } from '../dashboard/feed/window-feed.js';
import { windowsMessage } from '../dashboard/live-hub.js';
import { createDashboard } from '../dashboard/server.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 100);
const IFACES = Number(process.env.BENCH_IFACES ?? 48);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GOAL_P99_MS = 250;
const STEP = 60_000;
const T0 = 1_800_000_000_000;

const nowMs = () => performance.timeOrigin + performance.now();

type ToChild = { type: 'connect'; url: string; clients: number } | { type: 'expect'; round: number } | { type: 'close' };
type ToParent = { type: 'connected'; failed: number } | { type: 'round'; round: number; receipts: number[]; bytes: number } | { type: 'closed' };

// ---- client process ---------------------------------------------------------------------------

function clientMain(): void {
  let sockets: WebSocket[] = [];
  let expecting: { round: number; receipts: number[]; got: number; bytes: number } | null = null;
  const send = (m: ToParent) => process.send?.(m);

  process.on('message', (m: ToChild) => {
    if (m.type === 'connect') {
      let open = 0;
      let failed = 0;
      const done = () => {
        if (open + failed === m.clients) send({ type: 'connected', failed });
      };
      sockets = [];
      for (let i = 0; i < m.clients; i++) {
        const ws = new WebSocket(m.url, { perMessageDeflate: false });
        const idx = i;
        let helloSeen = false;
        ws.on('message', (data: Buffer) => {
          // Only the head is read: parsing a megabyte per client in one process would measure the client.
          const head = data.toString('latin1', 0, 24);
          if (!helloSeen && head.startsWith('{"type":"hello"')) {
            helloSeen = true;
            open++;
            done();
            return;
          }
          if (!helloSeen && m.url.endsWith('/ref')) {
            helloSeen = true;
          }
          if (head.startsWith('{"type":"windows"') && expecting && expecting.receipts[idx] === 0) {
            expecting.receipts[idx] = nowMs();
            expecting.bytes = data.length;
            if (++expecting.got === m.clients) {
              send({ type: 'round', round: expecting.round, receipts: expecting.receipts, bytes: expecting.bytes });
              expecting = null;
            }
          }
        });
        ws.on('error', () => undefined);
        ws.on('close', () => undefined);
        if (m.url.endsWith('/ref')) {
          ws.on('open', () => {
            open++;
            done();
          });
        }
        ws.on('unexpected-response', () => {
          failed++;
          done();
        });
        sockets.push(ws);
      }
    } else if (m.type === 'expect') {
      expecting = { round: m.round, receipts: new Array<number>(sockets.length).fill(0), got: 0, bytes: 0 };
      send({ type: 'round', round: -1, receipts: [], bytes: 0 }); // ack: ready for the round
    } else {
      let left = sockets.length;
      if (left === 0) send({ type: 'closed' });
      for (const s of sockets) {
        s.on('close', () => {
          if (--left === 0) send({ type: 'closed' });
        });
        s.close();
      }
    }
  });
}

// ---- server side ------------------------------------------------------------------------------

function nextMessage<T extends ToParent['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<ToParent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', on);
      reject(new Error(`no "${type}" from the client process within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (m: ToParent) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as Extract<ToParent, { type: T }>);
    };
    child.on('message', on);
  });
}

function batch(round: number): WindowResult[] {
  const out: WindowResult[] = [];
  const start = T0 + round * STEP;
  for (let d = 0; d < DEVICES; d++) {
    for (let i = 1; i <= IFACES; i++) {
      const bps = 1e6 * (1 + ((d * 31 + i * 17) % 997)) + round * 1234.5;
      out.push(sampleWindow({ deviceId: `dev-${String(d).padStart(3, '0')}`, ifIndex: i, ifName: `ge-0/0/${i}`, windowStart: start, windowEnd: start + STEP, inBps: bps, outBps: bps / 3, inUtilization: bps / 1e8, outUtilization: bps / 3e8, speed: 1e10 }));
    }
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface Figures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCpuMsPerRound: number;
  frameBytes: number;
  samples: number;
}

/** Runs ROUNDS rounds: `broadcast(round)` sends one batch; latencies from its call to each receipt. */
async function measure(child: ChildProcess, broadcast: (round: number) => void): Promise<Figures> {
  const latencies: number[] = [];
  let cpuMicros = 0;
  let frameBytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    child.send({ type: 'expect', round: r } satisfies ToChild);
    await nextMessage(child, 'round', 10_000); // the ack
    const receipts = nextMessage(child, 'round', 120_000);
    const cpu0 = process.cpuUsage();
    const t0 = nowMs();
    broadcast(r);
    const got = await receipts;
    const cpu = process.cpuUsage(cpu0);
    cpuMicros += cpu.user + cpu.system;
    frameBytes = got.bytes;
    for (const at of got.receipts) latencies.push(at - t0);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let buffers drain between rounds
  }
  latencies.sort((a, b) => a - b);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return { p50Ms: r1(percentile(latencies, 50)), p99Ms: r1(percentile(latencies, 99)), maxMs: r1(latencies[latencies.length - 1]), serverCpuMsPerRound: r1(cpuMicros / 1000 / ROUNDS), frameBytes, samples: latencies.length };
}

function fdLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

async function main(): Promise<void> {
  const need = CLIENTS + 200;
  const limit = fdLimit();
  if (limit < need) throw new Error(`ulimit -n is ${limit}; ${CLIENTS} clients need about ${need} descriptors per process: raise it (ulimit -n ${need}) or lower BENCH_CLIENTS`);
  console.log(`dashboard live broadcast: ${CLIENTS} WebSocket clients (child process), ${DEVICES} devices x ${IFACES} interfaces = ${DEVICES * IFACES} windows per round, ${ROUNDS} rounds; open-file limit ${limit}`);

  const child = fork(fileURLToPath(import.meta.url), ['clients'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    // The dashboard: its real server and live hub, fed through its WindowFeed port.
    const feed = createMemoryFeed({ perSeries: 2 });
    const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0 } });
    const registry = createRegistry({ defaultMetrics: false });
    const dash = createDashboard(silentLogger, config, { registry, feed, store: null, devices: () => [] });
    await dash.start();
    const batches = Array.from({ length: ROUNDS }, (_, r) => batch(r));
    child.send({ type: 'connect', url: `${dash.url()?.replace(/^http/, 'ws')}live`, clients: CLIENTS } satisfies ToChild);
    const c1 = await nextMessage(child, 'connected', 120_000);
    if (c1.failed > 0) throw new Error(`${c1.failed} clients could not connect to the dashboard`);
    const dashboard = await measure(child, (r) => {
      for (const w of batches[r]) feed.push(w);
    });
    // Every client got every frame (measure() waits for all), so no client may have been dropped for resync.
    const drops = Number(/netmon_dashboard_ws_slow_dropped_total (\d+)/.exec(await registry.getSingleMetricAsString('netmon_dashboard_ws_slow_dropped_total'))?.[1] ?? NaN);
    child.send({ type: 'close' } satisfies ToChild);
    await nextMessage(child, 'closed', 60_000);
    await dash.stop();
    console.log(`dashboard (createDashboard /live): p50 ${dashboard.p50Ms} ms, p99 ${dashboard.p99Ms} ms, max ${dashboard.maxMs} ms, server CPU ${dashboard.serverCpuMsPerRound} ms per round, frame ${dashboard.frameBytes} bytes, ${dashboard.samples} deliveries, ${drops} clients dropped for resync`);

    // The reference: a bare ws server sending the same frames (serialized beforehand) to as many clients.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ref' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const addr = wss.address();
    const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
    const frames = batches.map((b) => Buffer.from(windowsMessage(b, 0), 'utf8'));
    child.send({ type: 'connect', url: `ws://127.0.0.1:${port}/ref`, clients: CLIENTS } satisfies ToChild);
    const c2 = await nextMessage(child, 'connected', 120_000);
    if (c2.failed > 0) throw new Error(`${c2.failed} clients could not connect to the reference server`);
    const reference = await measure(child, (r) => {
      for (const client of wss.clients) client.send(frames[r], { binary: false });
    });
    child.send({ type: 'close' } satisfies ToChild);
    await nextMessage(child, 'closed', 60_000);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    console.log(`reference (bare ws, same bytes):  p50 ${reference.p50Ms} ms, p99 ${reference.p99Ms} ms, max ${reference.maxMs} ms, server CPU ${reference.serverCpuMsPerRound} ms per round, frame ${reference.frameBytes} bytes, ${reference.samples} deliveries`);
    console.log(`goal p99 < ${GOAL_P99_MS} ms: ${dashboard.p99Ms < GOAL_P99_MS ? 'met' : 'NOT met'} (dashboard p99 ${dashboard.p99Ms} ms = ${(dashboard.p99Ms / reference.p99Ms).toFixed(2)}x the bare ws reference)`);
    console.log(JSON.stringify({ bench: 'dashboard', clients: CLIENTS, windowsPerRound: DEVICES * IFACES, rounds: ROUNDS, fdLimit: limit, dashboard: { ...dashboard, resyncDrops: drops }, reference, goalP99Ms: GOAL_P99_MS, goalMet: dashboard.p99Ms < GOAL_P99_MS }));
  } finally {
    child.kill();
  }
}

if (process.argv[2] === 'clients') clientMain();
else {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
