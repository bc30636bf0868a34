// The end-to-end check shared by the short- and default-window tests: real loopback traffic ->
// the stack's snmpd -> collector -> Kafka -> processor -> InfluxDB, compared per window with the
// kernel's own counters for the same interval, plus the live WebSocket feed and `netmon windows`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { assemble } from '../../cli/services.js';
import { repoRoot } from '../../common/package-root.js';
import { decodeWindowResult } from '../../common/contracts/window-result.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { createLogger } from '../../common/log.js';
import { createInfluxStore } from '../../common/store/influx.js';
import type { LiveRow } from '../../dashboard/live-hub.js';
import { rowObject } from '../../dashboard/dashboard.fixture.js';
import { startKernelSampler, startUdpLoad } from './loopback.js';
import { loaded, stackSnmpDevice, testConfig, uniqueId, waitFor } from './stack.js';

export interface E2eOptions {
  windowSeconds: number;
  pollSeconds: number;
  completeWindows: number;
  timeoutMs: number;
  /** Allowed |stored - kernel| / kernel per window; see README "How the numbers are checked". */
  relTolerance: number;
  report: (line: string) => void;
}

export async function runEndToEnd(o: E2eOptions): Promise<void> {
  const id = uniqueId(`e2e${o.windowSeconds}`);
  // The live feed is read anonymously (a viewer's right, configured): this test is about the numbers.
  const config = testConfig(id, { collector: { pollIntervalSeconds: o.pollSeconds, timeoutMs: 1000 }, processor: { windowSeconds: o.windowSeconds }, dashboard: { auth: { anonymousRole: 'viewer' } } });
  const log = createLogger({ level: config.log.level, destination: process.stderr });
  const device = stackSnmpDevice('localhost');
  const { components, dashboardUrl } = assemble(log, loaded(config, [device]), ['collector', 'processor', 'dashboard']);
  const supervisor = createSupervisor(log);
  const running = supervisor.run(components, { handleSignals: false });
  const sampler = startKernelSampler(20, o.timeoutMs + 30_000);
  const load = await startUdpLoad({ bytesPerSecond: 4_000_000, payload: 1000, maxMs: o.timeoutMs + 30_000 });
  const store = createInfluxStore(config.influx);
  // The live feed sends windows as rows of rates (docs/dashboard.md), not the exact counters.
  const live: Array<{ ifIndex: number | null; windowStart: number; inBps: number }> = [];
  let ws: WebSocket | null = null;
  try {
    const url = await waitFor('the dashboard to listen', () => dashboardUrl(), 30_000);
    ws = new WebSocket(new URL('/live', url.replace(/^http/, 'ws')));
    let fields: string[] = [];
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { type: string; fields?: string[]; windows?: LiveRow[]; rows?: LiveRow[] };
      if (msg.type === 'hello') fields = msg.fields ?? [];
      for (const row of (msg.type === 'hello' ? msg.windows : msg.type === 'windows' ? msg.rows : undefined) ?? []) {
        const w = rowObject(fields, row);
        live.push({ ifIndex: w.ifIndex as number | null, windowStart: Number(w.windowStart), inBps: Number(w.inBps) });
      }
    });
    await new Promise<void>((resolve, reject) => {
      ws!.once('open', () => resolve());
      ws!.once('error', reject);
    });

    const t0 = Date.now();
    const complete = await waitFor(
      `${o.completeWindows} complete windows for lo in InfluxDB`,
      async () => {
        const rows = await store.queryWindows({ deviceId: 'localhost', fromMs: t0 - 3_600_000, toMs: Date.now() + 3_600_000 });
        const lo = rows.filter((w) => w.ifName === 'lo' && w.coverage === 1 && w.windowStart >= t0);
        return lo.length >= o.completeWindows ? rows : null;
      },
      o.timeoutMs,
      1000,
    );
    sampler.stop();

    const lo = complete.filter((w) => w.ifName === 'lo' && w.coverage === 1 && w.windowStart >= t0);
    for (const w of lo) {
      const kin = sampler.at(w.windowEnd, 'rxBytes') - sampler.at(w.windowStart, 'rxBytes');
      const kout = sampler.at(w.windowEnd, 'txBytes') - sampler.at(w.windowStart, 'txBytes');
      const errIn = Math.abs(Number(w.inOctets) - kin) / kin;
      const errOut = Math.abs(Number(w.outOctets) - kout) / kout;
      o.report(`window ${new Date(w.windowStart).toISOString()} lo in ${w.inOctets} vs kernel ${Math.round(kin)} (${(errIn * 100).toFixed(3)}%), out ${w.outOctets} vs ${Math.round(kout)} (${(errOut * 100).toFixed(3)}%), samples ${w.sampleCount}`);
      assert.ok(kin > 1_000_000 * o.windowSeconds, 'the generated traffic reached loopback');
      assert.ok(errIn <= o.relTolerance, `in octets within ${o.relTolerance * 100}% of the kernel's delta: ${w.inOctets} vs ${kin}`);
      assert.ok(errOut <= o.relTolerance, `out octets within ${o.relTolerance * 100}% of the kernel's delta: ${w.outOctets} vs ${kout}`);
      const bps = (Number(w.inOctets) * 8) / o.windowSeconds;
      assert.ok(Math.abs(w.inBps - bps) <= bps * 1e-9 + 1e-6, 'average bit/s = octets * 8 / window length');
      assert.equal(w.inAvgPacketSize, Number(w.inOctets) / Number(w.inPackets));
      // The device rollup of the same window is the sum of its interfaces.
      const ifaces = complete.filter((x) => x.windowStart === w.windowStart && x.ifIndex !== null);
      const rollup = complete.find((x) => x.windowStart === w.windowStart && x.ifIndex === null);
      assert.ok(rollup, 'device rollup stored');
      assert.equal(rollup.inOctets, ifaces.reduce((s, x) => s + x.inOctets, 0n));
    }

    // The same windows arrived live over the WebSocket.
    await waitFor('the live feed to deliver the stored windows', () => lo.every((w) => live.some((l) => l.ifIndex === w.ifIndex && l.windowStart === w.windowStart && Math.abs(l.inBps - w.inBps) <= w.inBps * 1e-12)), 15_000);

    // And `netmon windows --json` prints them from InfluxDB.
    const first = lo[0];
    const cli = spawnSync(process.execPath, [join(repoRoot(), 'bin', 'netmon.js'), 'windows', '--device', 'localhost', '--interface', String(first.ifIndex), '--from', new Date(first.windowStart).toISOString(), '--to', new Date(first.windowEnd).toISOString(), '--json'], {
      encoding: 'utf8',
      env: { ...process.env, NETMON_INFLUX_URL: config.influx.url, NETMON_INFLUX_DATABASE: config.influx.database },
    });
    assert.equal(cli.status, 0, cli.stderr);
    const lines = cli.stdout.trim().split('\n').map((l) => decodeWindowResult(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].inOctets, first.inOctets);
    assert.equal(lines[0].windowStart, first.windowStart);
  } finally {
    ws?.close();
    sampler.stop();
    await load.stop();
    supervisor.shutdown('test finished');
    const code = await running;
    assert.equal(code, 0, 'services stop cleanly');
  }
}
