// The benchmarks' synthetic load: devices with 48 interfaces whose 64-bit counters grow at steady,
// per-interface rates, polled at a fixed interval with a per-device phase.
import { decodeCounterSample, encodeCounterSample, type CounterSample, type CounterSampleInput } from '../common/contracts/index.js';
import { createWindowEngine } from '../processor/core/index.js';
import { CHECKPOINT_EVERY_MS } from '../processor/pipeline/commit-meta.js';

export const IFACES = 48;
/** 2027-01-15T08:00:00Z: a fixed event-time origin, so every run makes the same windows. */
export const T0 = 1_800_000_000_000;

/** The synthetic devices' link speed (bit/s). */
export const SPEED = 1e10;

export function makeSample(d: number, poll: number, pollMs: number, t0 = T0): CounterSampleInput {
  const ts = t0 + poll * pollMs + (d % 997) * 37;
  const interfaces = [];
  for (let i = 1; i <= IFACES; i++) {
    // 0.8 to 4.8 Gbit/s inbound on a 10 Gbit/s link: plausible, so every delta is counted.
    const rate = BigInt(1000 + ((d * 31 + i * 17) % 5000)) * 100n; // octets per ms
    const octets = 1_000_000_000_000n + rate * BigInt(poll * pollMs);
    interfaces.push({
      ifIndex: i, name: `ge-0/0/${i}`, alias: '', speed: SPEED, operStatus: 'up' as const, width: 64 as const,
      inOctets: octets, outOctets: octets / 2n, inPackets: octets / 700n, outPackets: octets / 900n,
      inErrors: 0n, outErrors: 0n, inDiscards: BigInt(poll), outDiscards: 0n, discontinuityTime: 0,
    });
  }
  return { deviceId: `dev${d}`, source: 'snmp', ts, sysUpTime: 100_000 + Math.floor((poll * pollMs) / 10), interfaces };
}

export function timeIt(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/**
 * The pure core on one core: decoded samples through the window engine as the processor drives it
 * (with offsets, and a checkpoint once a second of processing time, as the processor takes them per
 * partition), in interface-samples/s.
 */
export function coreRun(devices: number, polls: number, pollMs: number): { perSec: number; windows: number; checkpoints: number } {
  const records: CounterSample[] = [];
  for (let p = 0; p < polls; p++) for (let d = 0; d < devices; d++) records.push(decodeCounterSample(encodeCounterSample(makeSample(d, p, pollMs))));
  const engine = createWindowEngine({ windowMs: 60_000, outOfOrdernessMs: 2 * pollMs, maxGapMs: 5 * pollMs, idleTimeoutMs: 2 * pollMs });
  let windows = 0;
  let dropped = 0;
  let checkpoints = 0;
  // The previous run's records are garbage now: collected before the clock starts, not during it.
  (globalThis as { gc?: () => void }).gc?.();
  const secs = timeIt(() => {
    let last = performance.now();
    for (let k = 0; k < records.length; k++) {
      // Processing time: the sample's own time, as for a live stream (the future bound holds).
      const out = engine.ingest(records[k], 0, records[k].ts, k);
      windows += out.windows.length;
      for (const e of out.events) if (e.kind !== 'first') dropped++;
      const now = performance.now();
      if (now - last >= CHECKPOINT_EVERY_MS) {
        engine.checkpoint(0, k + 1);
        checkpoints++;
        last = now;
      }
    }
    engine.checkpoint(0, records.length);
  });
  // The load is clean: a delta the engine drops (implausible, reset, gap) would make the figure meaningless.
  if (dropped > 0) throw new Error(`the synthetic load made ${dropped} counter events other than 'first': fix bench/workload.ts`);
  return { perSec: (records.length * IFACES) / secs, windows, checkpoints: checkpoints + 1 };
}
