// The engine's side of holes (holes.ts): opening one when an interface's baseline moves past an
// interval it did not count, filling it with an out-of-order sample, and counting pending holes
// (before the next sample of the device, or at the watermark deadline). Counting goes through the
// ingestion's `count` (apportioned as any delta), so no window logic lives here.
// Rules: everything is decided by the records and the watermark before the record (`wm`), as in
// the rest of the engine, so a replay makes the same holes; nothing here runs for a sample that
// meets no hole (the hot path only checks `iface.holes` and `dev.pendingHoles`).
import type { CounterSample } from '../../common/contracts/index.js';
import { Baseline } from './baseline.js';
import { computeDelta, type DeltaOptions, type Observation } from './counter-delta.js';
import type { Emission } from './emission.js';
import type { DeviceState, InterfaceState, PartitionState } from './engine-state.js';
import type { LateReason, ResolvedOptions } from './engine-types.js';
import { addHole, fillHole, findHole, holeReachMs, pendingDue, pruneHoles, settleHoles, type Hole } from './holes.js';

/**
 * Counts [a, b) of two kept observations into the device's windows, lateness judged at watermark
 * `wm`, without an event: 'none' when the interval gives no delta, else the late reason of some of
 * it, or null.
 */
export type CountInterval = (dev: DeviceState, iface: InterfaceState, a: Baseline, b: Baseline, wm: number) => LateReason | null | 'none';

export interface HoleFilling {
  /** A new record: its fills report 'late' at most once (the processor dead-letters the record once, naming its late interfaces). */
  begin(): void;
  /** Before `base` adopts `cur` (with counters) without counting the interval: keeps it as a hole. */
  open(dev: DeviceState, iface: InterfaceState, base: Baseline, cur: Observation, wm: number): void;
  /** An out-of-order `cur` (with counters) inside a live hole fills it; false when it is in none. */
  fill(dev: DeviceState, iface: InterfaceState, cur: Observation, wm: number): boolean;
  /** The earliest live hole's earlier end (windows from there are not complete); Infinity when none. */
  holdsFrom(iface: InterfaceState, wm: number): number;
  /** Before the device's sample is taken: pending holes of its interfaces it is newer than are counted. */
  settleBefore(s: CounterSample, dev: DeviceState, wm: number): void;
  /** Counts the partition's pending holes due by the watermark `next` (the watermark is still `wm`). */
  settleDue(part: PartitionState, wm: number, next: number): void;
}

export function createHoleFilling(o: ResolvedOptions, emission: Emission, count: CountInterval): HoleFilling {
  const W = o.windowMs;
  const lateness = o.allowedLatenessMs;
  const reach = holeReachMs(o.maxGapMs, lateness);
  const deltaOpts: DeltaOptions = { maxGapMs: o.maxGapMs, maxRateFactor: o.maxRateFactor };
  // Scratch for countable and for copying a baseline (no Observation allocated per call).
  const obsA: Observation = { ts: 0, sysUpTime: 0, width: 64, speed: 0, discontinuityTime: 0, inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n };
  const obsB: Observation = { ...obsA };
  const settleAll = (): boolean => true;
  // A fill of the current record reported 'late' already.
  let lateReported = false;

  const countable = (a: Baseline, b: Baseline): boolean => computeDelta(a.readInto(obsA), b.readInto(obsB), deltaOpts).kind === 'delta';

  /** count() for holes.ts, remembering the first late reason in `late`. */
  let late: LateReason | null = null;
  const counter = (dev: DeviceState, iface: InterfaceState, wm: number) => (a: Baseline, b: Baseline) => {
    const r = count(dev, iface, a, b, wm);
    if (r === 'none') return false;
    late ??= r;
    return true;
  };

  function notePending(dev: DeviceState, holes: readonly Hole[]): void {
    const part = dev.part;
    for (const h of holes) {
      if (!h.pending) continue;
      dev.pendingHoles = true;
      part.pending.add(dev);
      const due = pendingDue(h, W, lateness);
      if (due < part.pendingDue) part.pendingDue = due;
    }
  }

  return {
    begin() {
      lateReported = false;
    },

    open(dev, iface, base, cur, wm) {
      // Only within the reach: the checkpoint keeps that much history for a replay to rebuild it.
      if (base.ts < wm - reach) return;
      const h = { lo: new Baseline(base.readInto(obsA)), hi: new Baseline(cur), fromOffset: iface.prevOffset, pending: false };
      iface.holes = addHole(iface.holes === null ? null : pruneHoles(iface.holes, wm, W, lateness), h, counter(dev, iface, wm));
      notePending(dev, iface.holes);
    },

    fill(dev, iface, cur, wm) {
      if (iface.holes === null) return false;
      const holes = (iface.holes = pruneHoles(iface.holes, wm, W, lateness));
      if (holes === null) return false;
      const i = findHole(holes, cur.ts);
      if (i < 0) return false;
      late = null;
      iface.holes = fillHole(holes, i, new Baseline(cur), counter(dev, iface, wm), countable);
      if (late !== null && !lateReported) {
        lateReported = true;
        emission.event('late', dev, iface.ifIndex, cur.ts, late);
      }
      notePending(dev, iface.holes);
      return true;
    },

    holdsFrom(iface, wm) {
      if (iface.holes === null) return Infinity;
      iface.holes = pruneHoles(iface.holes, wm, W, lateness);
      return iface.holes === null ? Infinity : iface.holes[0].lo.ts;
    },

    // No 'late' event from counting a pending hole: the record at hand is not the one whose data it
    // is (that one was reported when it came, if late then).
    settleBefore(s, dev, wm) {
      // All interfaces before any other piece of the sample, as the in-order stream would have
      // added them (the device's peak sums the interfaces of one interval).
      for (const ic of s.interfaces) {
        const iface = dev.ifaces.get(ic.ifIndex);
        if (iface !== undefined && iface.holes !== null && (ic.ts ?? s.ts) > iface.prev!.ts) iface.holes = settleHoles(iface.holes, settleAll, counter(dev, iface, wm));
      }
      let left = false;
      for (const iface of dev.ifaces.values()) if (iface.holes?.some((h) => h.pending)) left = true;
      dev.pendingHoles = left;
    },

    settleDue(part, wm, next) {
      let due = Infinity;
      for (const dev of part.pending) {
        let left = false;
        for (const iface of dev.ifaces.values()) {
          if (iface.holes === null) continue;
          iface.holes = settleHoles(iface.holes, (h) => pendingDue(h, W, lateness) <= next, counter(dev, iface, wm));
          for (const h of iface.holes ?? []) {
            if (!h.pending) continue;
            left = true;
            due = Math.min(due, pendingDue(h, W, lateness));
          }
        }
        if (!left) {
          part.pending.delete(dev);
          dev.pendingHoles = false;
        }
      }
      part.pendingDue = due;
    },
  };
}
