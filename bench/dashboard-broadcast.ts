// The live-broadcast measurement bench:dashboard and bench:appliance share: N WebSocket clients in a
// child process (client CPU is not the server's) that report when each frame arrived, and one
// scenario: the real dashboard server (createDashboard, its live hub behind /live) fed batches of
// window results through its WindowFeed port, then a bare `ws` server sending every client the very
// bytes the dashboard sent that view (the reference). Figures per side: delivery latency (p50, p99,
// max) from the push (dashboard) or the first send call (reference) to each receipt, and this
// process's CPU per round (user + system, process.cpuUsage()).
// Rules: every wait is bounded; the child is forked from this file (argv "clients") and killed by
// the caller (forkClients' result); the caller checks the open-file limit first (fdLimit).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocket, WebSocketServer } from 'ws';
import { netmonConfigSchema } from '../common/config/schema.js';
import type { WindowResult } from '../common/contracts/window-result.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { createMemoryFeed } from '../dashboard/feed/window-feed.js';
import { OVERVIEW_TOP_N, topInterfaces, viewFrame } from '../dashboard/live-hub.js';
import { createDashboard } from '../dashboard/server.js';

const nowMs = () => performance.timeOrigin + performance.now();

type ToChild = { type: 'connect'; url: string; clients: number; view?: string } | { type: 'expect'; round: number } | { type: 'close' };
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
        if (m.view) {
          const view = m.view;
          ws.on('open', () => ws.send(view));
        }
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

export function nextMessage<T extends ToParent['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<ToParent, { type: T }>> {
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Figures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCpuMsPerRound: number;
  frameBytes: number;
  samples: number;
  /** The server's CPU in each round, ms (the first rounds run colder code). */
  cpuMsByRound: number[];
}

/**
 * Rounds (batches) each side runs before the counted ones. Three, not one: the dashboard's feed keeps
 * 2 windows per series here, so its first rounds create the series, then fill them, then start
 * dropping the oldest, each on code not yet optimized (measured: taking a 4,900-window batch in cost
 * 100, 18 and 13 ms in those rounds, 3 ms from the fourth on). A running dashboard is past that; the
 * reference warms up the same number of rounds.
 */
export const WARMUP_ROUNDS = 3;

/**
 * Full collections before each side's rounds. The batches are built just before the first side runs;
 * without this, their promotion to the old generation (copying every window object) falls into that
 * side's first rounds alone, and the side measured first pays for the other's data too.
 */
function settleHeap(): void {
  setFlagsFromString('--expose-gc');
  const gc = (globalThis.gc ?? (runInNewContext('gc') as () => void));
  for (let i = 0; i < 2; i++) gc();
}

/**
 * Runs `rounds` rounds: `broadcast(round)` sends one batch; latencies from its call to each receipt.
 * The first WARMUP_ROUNDS rounds warm each side up and are not counted.
 */
async function measure(child: ChildProcess, rounds: number, broadcast: (round: number) => void): Promise<Figures> {
  const latencies: number[] = [];
  let cpuMicros = 0;
  let frameBytes = 0;
  const cpuMsByRound: number[] = [];
  settleHeap();
  for (let r = 0; r < rounds; r++) {
    child.send({ type: 'expect', round: r } satisfies ToChild);
    await nextMessage(child, 'round', 10_000); // the ack
    const receipts = nextMessage(child, 'round', 120_000);
    const cpu0 = process.cpuUsage();
    const t0 = nowMs();
    broadcast(r);
    const got = await receipts;
    const cpu = process.cpuUsage(cpu0);
    cpuMicros += cpu.user + cpu.system;
    cpuMsByRound.push(Math.round((cpu.user + cpu.system) / 100) / 10);
    frameBytes = got.bytes;
    if (r < WARMUP_ROUNDS) {
      cpuMicros = 0;
      cpuMsByRound.length = 0;
    } else {
      for (const at of got.receipts) latencies.push(at - t0);
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // let buffers drain between rounds
  }
  latencies.sort((a, b) => a - b);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return { p50Ms: r1(percentile(latencies, 50)), p99Ms: r1(percentile(latencies, 99)), maxMs: r1(latencies[latencies.length - 1]), serverCpuMsPerRound: r1(cpuMicros / 1000 / Math.max(1, rounds - WARMUP_ROUNDS)), frameBytes, samples: latencies.length, cpuMsByRound };
}

export function fdLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

export interface Scenario {
  view: 'all' | 'overview';
  dashboard: Figures & { resyncDrops: number };
  reference: Figures;
}

/**
 * One scenario: the dashboard with every client in `view`, then the bare ws server sending each
 * client the very bytes the dashboard sent that view.
 */
export async function scenario(child: ChildProcess, view: 'all' | 'overview', batches: WindowResult[][], clients: number): Promise<Scenario> {
  const viewMessage = JSON.stringify({ type: 'view', view });
  // The dashboard: its real server and live hub, fed through its WindowFeed port.
  const feed = createMemoryFeed({ perSeries: 2 });
  // /live needs a role since roles came: the clients are anonymous viewers (as the overview-scale
  // test's), all from one address, so the per-address cap is lifted to the client count.
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0, auth: { anonymousRole: 'viewer' }, limits: { wsPerClient: Math.min(10_000, clients), wsTotal: Math.max(2000, clients) } } });
  const registry = createRegistry({ defaultMetrics: false });
  const dash = createDashboard(silentLogger, config, { registry, feed, store: null, devices: () => [] });
  await dash.start();
  child.send({ type: 'connect', url: `${dash.url()?.replace(/^http/, 'ws')}live`, clients, view: viewMessage } satisfies ToChild);
  const c1 = await nextMessage(child, 'connected', 120_000);
  if (c1.failed > 0) throw new Error(`${c1.failed} clients could not connect to the dashboard`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // the view messages follow the hellos
  const dashboard = await measure(child, batches.length, (r) => {
    for (const w of batches[r]) feed.push(w);
  });
  // Every client got every frame (measure() waits for all), so none may have been dropped for resync.
  const resyncDrops = Number(/netmon_dashboard_ws_slow_dropped_total (\d+)/.exec(await registry.getSingleMetricAsString('netmon_dashboard_ws_slow_dropped_total'))?.[1] ?? NaN);
  child.send({ type: 'close' } satisfies ToChild);
  await nextMessage(child, 'closed', 60_000);
  await dash.stop();
  console.log(`[${view}] dashboard (createDashboard /live): p50 ${dashboard.p50Ms} ms, p99 ${dashboard.p99Ms} ms, max ${dashboard.maxMs} ms, server CPU ${dashboard.serverCpuMsPerRound} ms per round (${dashboard.cpuMsByRound.join(" ")}), frame ${dashboard.frameBytes} bytes, ${dashboard.samples} deliveries, ${resyncDrops} clients dropped for resync`);

  // The reference: a bare ws server (ws's WebSocketServer, its defaults: no compression) sending the
  // same frames to as many clients with ws's normal send(buffer, { binary: false }). Each frame is
  // serialized and UTF-8 encoded beforehand, outside the measured rounds: the floor is the sending alone.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ref' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const addr = wss.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
  const frames = batches.map((b) => {
    // sentAt: a current timestamp, as the dashboard writes, so the frames have the very length of the dashboard's.
    const f = viewFrame(view === 'all' ? { kind: 'all' } : { kind: 'overview' }, b, () => topInterfaces(b, OVERVIEW_TOP_N), Date.now());
    return Buffer.from(f?.msg ?? '', 'utf8');
  });
  child.send({ type: 'connect', url: `ws://127.0.0.1:${port}/ref`, clients } satisfies ToChild);
  const c2 = await nextMessage(child, 'connected', 120_000);
  if (c2.failed > 0) throw new Error(`${c2.failed} clients could not connect to the reference server`);
  const reference = await measure(child, batches.length, (r) => {
    for (const client of wss.clients) client.send(frames[r], { binary: false });
  });
  child.send({ type: 'close' } satisfies ToChild);
  await nextMessage(child, 'closed', 60_000);
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  console.log(`[${view}] reference (bare ws server, prebuilt Buffer, ws send(buffer, { binary: false }) to each client):  p50 ${reference.p50Ms} ms, p99 ${reference.p99Ms} ms, max ${reference.maxMs} ms, server CPU ${reference.serverCpuMsPerRound} ms per round (${reference.cpuMsByRound.join(" ")}), frame ${reference.frameBytes} bytes, ${reference.samples} deliveries`);
  return { view, dashboard: { ...dashboard, resyncDrops }, reference };
}


/** The client process, forked from this file; the caller kills it when done. */
export function forkClients(): ChildProcess {
  return fork(fileURLToPath(import.meta.url), ['clients'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

if (process.argv[2] === 'clients' && process.argv[1] === fileURLToPath(import.meta.url)) clientMain();
