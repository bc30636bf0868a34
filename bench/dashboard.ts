// Benchmark of the dashboard's live broadcast: the real dashboard server (createDashboard, its live
// hub behind /live) with N WebSocket clients, and a batch of window results (100 devices x 48
// interfaces by default) pushed into its feed; then a bare `ws` server broadcasting the very same
// frame bytes to the same number of clients, as the reference. The clients live in a child process
// (client CPU is not the server's), connect over loopback and report when each frame arrived.
// Figures: delivery latency per client and round, from the first push into the feed (dashboard) or
// the first send call (reference) to the client's receipt of the whole frame (p50, p99, max), and
// the server process's CPU time per round (user + system, process.cpuUsage()).
// CPU: the "all" view runs at two client counts (BENCH_CLIENTS_FEW, a fifth of BENCH_CLIENTS by
// default, and BENCH_CLIENTS), so the bench splits the dashboard's CPU per frame into what each
// client costs (the slope, against the reference's) and what is done once per frame (taking the
// windows in, serializing and encoding the frame: the intercept above the reference's).
// A benchmark, not a test: it prints figures; the last line is one JSON object. Goals: p99 < 250 ms;
// the "all" view's CPU at most 1.1x the bare ws server's for the same bytes (issue 15).
// File descriptors: each side holds one socket per client, so the parent and the child each need
// more than BENCH_CLIENTS descriptors; the check below fails early and names `ulimit -n` otherwise
// (`npm run bench:dashboard` raises the soft limit to the hard limit first).
import type { WindowResult } from '../common/contracts/window-result.js';
import { sampleWindow } from '../dashboard/dashboard.fixture.js';
import { fdLimit, forkClients, scenario, WARMUP_ROUNDS, type Scenario } from './dashboard-broadcast.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 100);
const IFACES = Number(process.env.BENCH_IFACES ?? 48);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CLIENTS_FEW = Number(process.env.BENCH_CLIENTS_FEW ?? Math.max(1, Math.round(CLIENTS / 5)));
const GOAL_P99_MS = 250;
const GOAL_CPU_RATIO = 1.1;
const STEP = 60_000;
const T0 = 1_800_000_000_000;

function batch(round: number): WindowResult[] {
  const out: WindowResult[] = [];
  const start = T0 + round * STEP;
  for (let d = 0; d < DEVICES; d++) {
    for (let i = 1; i <= IFACES; i++) {
      const bps = 1e6 * (1 + ((d * 31 + i * 17) % 997)) + round * 1234.5;
      out.push(sampleWindow({ deviceId: `dev-${String(d).padStart(3, '0')}`, ifIndex: i, ifName: `ge-0/0/${i}`, windowStart: start, windowEnd: start + STEP, inBps: bps, outBps: bps / 3, inUtilization: bps / 1e8, outUtilization: bps / 3e8, speed: 1e10 }));
    }
    // The processor emits each device's total with its interfaces; the overview view lives on them.
    out.push(sampleWindow({ deviceId: `dev-${String(d).padStart(3, '0')}`, ifIndex: null, ifName: null, windowStart: start, windowEnd: start + STEP, inBps: 5e8 + d, outBps: 2e8, inUtilization: null, outUtilization: null, speed: null }));
  }
  return out;
}

/**
 * The "all" view's CPU per frame at two client counts split into a per-client slope and a once-per-
 * frame part (the dashboard's intercept above the reference's); null with one count.
 */
function cpuSplit(few: Scenario | null, many: Scenario): { perClientMs: { dashboard: number; reference: number }; perClientRatio: number; onceMs: number; onceInClients: number } | null {
  if (!few) return null;
  const n1 = few.dashboard.samples / ROUNDS;
  const n2 = many.dashboard.samples / ROUNDS;
  const slope = (a: number, b: number) => (b - a) / (n2 - n1);
  const dashboard = slope(few.dashboard.serverCpuMsPerRound, many.dashboard.serverCpuMsPerRound);
  const reference = slope(few.reference.serverCpuMsPerRound, many.reference.serverCpuMsPerRound);
  const intercept = (at1: number, perClient: number) => at1 - perClient * n1;
  const onceMs = intercept(few.dashboard.serverCpuMsPerRound, dashboard) - intercept(few.reference.serverCpuMsPerRound, reference);
  return { perClientMs: { dashboard, reference }, perClientRatio: dashboard / reference, onceMs, onceInClients: onceMs / reference };
}

async function main(): Promise<void> {
  const need = CLIENTS + 200;
  const limit = fdLimit();
  if (limit < need) throw new Error(`ulimit -n is ${limit}; ${CLIENTS} clients need about ${need} descriptors per process: raise it (ulimit -n ${need}) or lower BENCH_CLIENTS`);
  const perRound = DEVICES * (IFACES + 1);
  console.log(`dashboard live broadcast: ${CLIENTS} WebSocket clients (child process), ${DEVICES} devices x ${IFACES} interfaces + ${DEVICES} device totals = ${perRound} windows per round, ${ROUNDS} rounds; open-file limit ${limit}`);
  console.log('view "all": every client gets every window (the full batch); view "overview": the device totals and the top interfaces (what the overview page asks for)');

  const child = forkClients();
  try {
    // The first WARMUP_ROUNDS batches warm up and are not counted (measure()).
    const batches = Array.from({ length: ROUNDS + WARMUP_ROUNDS }, (_, r) => batch(r));
    const few = CLIENTS_FEW > 0 && CLIENTS_FEW < CLIENTS ? await scenario(child, 'all', batches, CLIENTS_FEW) : null;
    const all = await scenario(child, 'all', batches, CLIENTS);
    const overview = await scenario(child, 'overview', batches, CLIENTS);
    for (const x of [all, overview]) {
      console.log(`goal p99 < ${GOAL_P99_MS} ms, view "${x.view}": ${x.dashboard.p99Ms < GOAL_P99_MS ? 'met' : 'NOT met'} (dashboard p99 ${x.dashboard.p99Ms} ms = ${(x.dashboard.p99Ms / x.reference.p99Ms).toFixed(2)}x the bare ws reference)`);
    }
    const cpu = cpuSplit(few, all);
    for (const x of few ? [few, all] : [all]) {
      const ratio = x.dashboard.serverCpuMsPerRound / x.reference.serverCpuMsPerRound;
      console.log(`goal CPU <= ${GOAL_CPU_RATIO}x bare ws, view "all", ${x.dashboard.samples / ROUNDS} clients: ${ratio <= GOAL_CPU_RATIO ? 'met' : 'NOT met'} (dashboard ${x.dashboard.serverCpuMsPerRound} ms per frame of ${x.reference.frameBytes} bytes against ${x.reference.serverCpuMsPerRound} ms: ${ratio.toFixed(2)}x)`);
    }
    if (cpu) console.log(`  each further "all" client: ${cpu.perClientMs.dashboard.toFixed(3)} ms per frame against ${cpu.perClientMs.reference.toFixed(3)} ms for bare ws (${cpu.perClientRatio.toFixed(2)}x); done once per frame above the reference's: ${cpu.onceMs.toFixed(1)} ms (taking ${perRound} windows in, serializing and encoding the frame), what ${cpu.onceInClients.toFixed(0)} clients cost`);
    console.log(JSON.stringify({ bench: 'dashboard', clients: CLIENTS, clientsFew: few ? CLIENTS_FEW : null, windowsPerRound: perRound, rounds: ROUNDS, fdLimit: limit, all: { dashboard: all.dashboard, reference: all.reference, goalMet: all.dashboard.p99Ms < GOAL_P99_MS, cpuRatio: all.dashboard.serverCpuMsPerRound / all.reference.serverCpuMsPerRound }, allFew: few ? { dashboard: few.dashboard, reference: few.reference, cpuRatio: few.dashboard.serverCpuMsPerRound / few.reference.serverCpuMsPerRound } : null, allCpuSplit: cpu, overview: { dashboard: overview.dashboard, reference: overview.reference, goalMet: overview.dashboard.p99Ms < GOAL_P99_MS }, goalP99Ms: GOAL_P99_MS, goalCpuRatio: GOAL_CPU_RATIO }));
  } finally {
    child.kill();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
