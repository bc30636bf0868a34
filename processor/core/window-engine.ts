// The window engine: SampleRecords in (per Kafka partition, in offset order), WindowResults out.
// Pure and single-threaded: event time comes from the records, processing time from the caller.
// Rules:
// - CounterSample: per interface (deviceId, ifIndex) the previous Observation is kept; each new one
//   gives a delta (computeDelta) over [t0, t1), apportioned exactly into 60 s epoch windows.
//   TrafficDelta (pcap) is already a delta over [start, end): apportioned directly.
// - An interval not counted (gap, reset, implausible) is kept as a hole (holes.ts): an older sample
//   arriving inside it later is counted as if it had come in order; other out-of-order samples are
//   already covered and change nothing.
// - A device window [s, e) (the device rollup plus its interface windows) is COMPLETE when every
//   interface of the device's latest CounterSample has an observation at ts >= e and no live hole
//   starting before e: it is emitted at once and dropped, since no later counter delta can reach
//   back into it.
// - Otherwise it is emitted when the partition watermark (max event time - outOfOrdernessMs)
//   passes e, then kept until the watermark passes e + allowedLatenessMs; data arriving meanwhile
//   re-emits it (revision + 1, full totals). Data for a window past that, or already closed, is
//   dropped with a 'late' event. TrafficDelta never completes windows (pcap buckets carry no
//   "nothing more before here" promise); the watermark or `final` closes them.
// - A partition with no record for idleTimeoutMs of processing time lets its watermark advance
//   with processing time (tick), so idle sources do not hold windows open forever; but only time
//   during which the caller's idle predicate held counts (caught up, nothing pending: an outage
//   of a sink or the broker is not idleness, and must not make the backlog late).
// - A record is rejected whole, changing nothing (no watermark, no baseline, no device state),
//   when its event time is more than maxFutureMs ahead of processing time ('future'; in a replay,
//   ahead of the newest event time accepted before `upto`, which decides it as the clock did), or
//   when it is a TrafficDelta spanning more than maxGapMs ('span-too-long').
// - State of a device (without open windows) or interface not seen for stateTtlMs behind the
//   watermark is evicted by tick; its next record starts afresh, as the max-gap rule would anyway.
// - Output is sorted by (windowStart, deviceId, ifIndex, rollup last): deterministic.
// Rooms: this file routes records to their partition and device and moves watermarks
// (createEngineOver) and holds the hot path, counters to apportioned pieces (createIngestion);
// emission.ts opens, emits and closes windows; checkpoint.ts keeps the replay bookkeeping.
import type { CounterSample, SampleRecord, TrafficDelta } from '../../common/contracts/index.js';
import { canSplitSafe, createApportioner, type PartVisitor } from './apportion.js';
import { Baseline, loadCounters } from './baseline.js';
import { checkpointPartition, restorePartition, seenInReplay, trackRecord } from './checkpoint.js';
import { numberToU64, u64ToNumber } from '../../common/u64.js';
import { computeDelta, implausibleReason, intervalCheck, maxOctets, safeDeltas, type CounterDeltas, type DeltaOptions, type Observation } from './counter-delta.js';
import { createEmission, type Emission } from './emission.js';
import { createHoleFilling } from './hole-filling.js';
import {
  forgetDevice,
  forgetPartition,
  joinBucket,
  leaveBucket,
  newDeviceState,
  newEngineState,
  newInterfaceState,
  newPartitionState,
  type DeviceState,
  type EngineState,
  type InterfaceState,
  type PartitionState,
} from './engine-state.js';
import { resolveOptions, type EngineEventKind, type LateReason, type ResolvedOptions, type WindowEngine, type WindowEngineOptions } from './engine-types.js';
import { addPiece, addPieceExact, findMember, type DeviceWindow, type InterfaceWindow, type PieceRates } from './window-state.js';

export function createWindowEngine(options: WindowEngineOptions): WindowEngine {
  const o = resolveOptions(options);
  return createEngineOver(o, newEngineState(), createEmission(o.windowMs, o.allowedLatenessMs));
}

/**
 * The engine over the given state and emission (createWindowEngine makes both fresh): it routes
 * records to their partition and device, moves watermarks, and leaves the windows to `emission`
 * and the replay bookkeeping to checkpoint.ts.
 */
export function createEngineOver(o: ResolvedOptions, state: EngineState, emission: Emission): WindowEngine {
  const { devices, partitions } = state;
  const ingestion = createIngestion(o, emission);

  function deviceFor(deviceId: string, part: PartitionState, offset: number | undefined): DeviceState {
    let dev = devices.get(deviceId);
    if (dev === undefined) {
      dev = newDeviceState(deviceId, part);
      if (seenInReplay(part, offset)) dev.floored = true;
      devices.set(deviceId, dev);
      part.devices.add(dev);
    } else if (dev.part !== part) {
      // Only after a repartition: its open windows follow it to the new partition's buckets.
      const open = [...dev.windows.values()];
      for (const dw of open) leaveBucket(dev, dw.start);
      dev.part.devices.delete(dev);
      if (dev.part.pending.delete(dev)) {
        part.pending.add(dev);
        part.pendingDue = -Infinity;
      }
      dev.part = part;
      part.devices.add(dev);
      for (const dw of open) joinBucket(dev, dw.start, o.windowMs, o.allowedLatenessMs);
    }
    return dev;
  }

  // How far the last rejected record was beyond its bound (set by rejection()).
  let excess = 0;

  /** Why the record must be rejected whole, or null; `excess` gets how far it is beyond the bound. */
  function rejection(record: SampleRecord, part: PartitionState | undefined, processingTimeMs: number, offset: number | undefined): EngineEventKind | null {
    if (record.kind === 'traffic-delta' && record.end - record.start > o.maxGapMs) {
      excess = record.end - record.start;
      return 'span-too-long';
    }
    const newest = newestEventTs(record);
    // In a replay the clock has moved on since: the newest event time accepted before `upto` decides.
    const replayed = part !== undefined && offset !== undefined && offset < part.replayUpto && !Number.isNaN(part.replayMaxEventTs);
    const bound = replayed ? part.replayMaxEventTs : processingTimeMs + o.maxFutureMs;
    if (newest > bound) {
      excess = newest - processingTimeMs;
      return 'future';
    }
    return null;
  }

  function evictStale(part: PartitionState): void {
    const before = part.watermark - o.stateTtlMs;
    for (const dev of part.devices) {
      if (dev.lastSeen < before && dev.windows.size === 0) {
        forgetDevice(state, dev);
        emission.event('evicted', dev, 0, dev.lastSeen);
        continue;
      }
      for (const iface of dev.ifaces.values()) {
        if (iface.lastSeen >= before || !notInOpenWindows(dev, iface)) continue;
        dev.ifaces.delete(iface.ifIndex);
        emission.event('evicted', dev, iface.ifIndex, iface.lastSeen);
      }
    }
  }

  return {
    ingest(record, partition, processingTimeMs, offset) {
      emission.begin();
      let part = partitions.get(partition);
      const rejected = rejection(record, part, processingTimeMs, offset);
      if (rejected !== null) {
        const out = emission.finish();
        out.events.push({ kind: rejected, deviceId: record.deviceId, ifIndex: 0, ts: newestEventTs(record), excessMs: excess });
        return out;
      }
      if (part === undefined) partitions.set(partition, (part = newPartitionState(partition, processingTimeMs)));
      const dev = deviceFor(record.deviceId, part, offset);
      ingestion.add(record, dev, offset);
      const eventTs = record.kind === 'counter-sample' ? record.ts : record.end;
      if (eventTs > dev.lastSeen) dev.lastSeen = eventTs;
      if (offset !== undefined) trackRecord(part, dev, record, eventTs, offset);
      if (eventTs > part.maxEventTs) part.maxEventTs = eventTs;
      const wm = part.maxEventTs - o.outOfOrdernessMs;
      if (wm > part.watermark) {
        if (wm >= part.pendingDue) ingestion.settleDue(part, wm);
        part.watermark = wm;
      }
      if (processingTimeMs > part.lastActivityMs) part.lastActivityMs = processingTimeMs;
      emission.flushTouched();
      if (part.watermark >= part.nextCheck) emission.scan(part);
      if (record.kind === 'traffic-delta' && record.final) emission.closeAll(dev);
      return emission.finish();
    },

    tick(processingTimeMs, idle) {
      emission.begin();
      for (const part of partitions.values()) {
        // Time the caller was busy (behind, or writes pending) is not idle time: the clock restarts.
        if (idle !== undefined && !idle(part.id)) {
          if (processingTimeMs > part.lastActivityMs) part.lastActivityMs = processingTimeMs;
        } else {
          const idleFor = processingTimeMs - part.lastActivityMs;
          if (idleFor >= o.idleTimeoutMs && part.maxEventTs !== -Infinity) {
            // Event time is taken to have moved on with processing time since the last record.
            const wm = part.maxEventTs + idleFor - o.outOfOrdernessMs;
            if (wm > part.watermark) {
              if (wm >= part.pendingDue) {
                ingestion.settleDue(part, wm);
                emission.flushTouched();
              }
              part.watermark = wm;
            }
          }
        }
        if (part.watermark >= part.nextCheck) emission.scan(part);
        if (processingTimeMs - part.lastSweepMs >= SWEEP_EVERY_MS) {
          part.lastSweepMs = processingTimeMs;
          evictStale(part);
        }
      }
      return emission.finish();
    },

    revokePartition(partition) {
      forgetPartition(state, partition);
    },

    checkpoint(partition, nextOffset) {
      return checkpointPartition(state, partition, nextOffset, o);
    },

    restorePartition(partition, from, processingTimeMs) {
      restorePartition(state, partition, from, processingTimeMs, o.outOfOrdernessMs);
    },
  };
}

/** How often (processing time) tick sweeps a partition for state past the TTL: a pass over its devices. */
const SWEEP_EVERY_MS = 60_000;

/** The newest event time a record carries (a counter sample's interfaces may be later than the sample). */
function newestEventTs(record: SampleRecord): number {
  if (record.kind === 'traffic-delta') return record.end;
  let ts = record.ts;
  for (const ic of record.interfaces) if (ic.ts !== undefined && ic.ts > ts) ts = ic.ts;
  return ts;
}

/** The interface has no piece in any open window of its device (all of them start after its last one). */
function notInOpenWindows(dev: DeviceState, iface: InterfaceState): boolean {
  for (const start of dev.windows.keys()) if (start <= iface.maxStart) return false;
  return true;
}

/** The hot path: a record's counters to deltas, apportioned into its device's windows. */
interface Ingestion {
  /** `offset`: the record's, or undefined (no checkpoints). */
  add(record: SampleRecord, dev: DeviceState, offset: number | undefined): void;
  /** Counts the partition's pending holes due by watermark `wm` (before the watermark moves there). */
  settleDue(part: PartitionState, wm: number): void;
}

function createIngestion(o: ResolvedOptions, emission: Emission): Ingestion {
  const W = o.windowMs;
  const lateness = o.allowedLatenessMs;
  const deltaOpts: DeltaOptions = { maxGapMs: o.maxGapMs, maxRateFactor: o.maxRateFactor };
  const apportioner = createApportioner(W);

  // The delta being apportioned, shared with the visitors so the hot path allocates no closure.
  // `nums` mirrors `values` in doubles for the allocation-free path (double elements from the start).
  const values: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  const nums: number[] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5].fill(0);
  // The current interface's counters in doubles (safeDeltas' input).
  const curNums: number[] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5].fill(0);
  let curPresent = 0;
  const rates: PieceRates = { t0: 0, t1: 0, inBps: 0, outBps: 0 };
  let ctxDevice: DeviceState | null = null;
  let ctxIface: InterfaceState | null = null;
  let ctxWindow: DeviceWindow | null = null;
  let ctxSpeed = 0;
  let ctxWatermark = -Infinity;
  let ctxLate: LateReason | null = null;
  let ctxOffset = NaN;

  // The observation being processed and its interface's baseline, as reusable scratch: nothing
  // per sample is allocated that outlives the call (see baseline.ts for why that matters).
  const cur: Observation = { ts: 0, sysUpTime: 0, width: 64, speed: 0, discontinuityTime: 0, inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n };
  const prevObs: Observation = { ...cur };
  // The later end of an interval between two kept observations (hole filling).
  const endObs: Observation = { ...cur };

  /** The interface window a piece of `windowStart` goes to (ctxWindow: its device window), or null when late. */
  function target(windowStart: number): InterfaceWindow | null {
    const dev = ctxDevice!;
    const iface = ctxIface!;
    const end = windowStart + W;
    if (end <= dev.closedThrough || (dev.floored && windowStart < dev.part.floor)) {
      ctxLate = 'window-closed';
      return null;
    }
    if (end + lateness <= ctxWatermark) {
      ctxLate = 'past-allowed-lateness';
      return null;
    }
    let dw = iface.lastDw;
    let w = iface.lastW;
    // A closed DeviceWindow is never reused, so `closed` tells whether the cached pair is still live.
    if (dw === null || w === null || dw.start !== windowStart || dw.closed) {
      const fresh = windowStart > iface.maxStart;
      if (fresh) iface.maxStart = windowStart;
      dw = dev.windows.get(windowStart) ?? emission.open(dev, windowStart);
      // An interface's pieces arrive in time order (counter deltas never overlap), so a window later
      // than any it had cannot hold it yet; only out-of-order pcap buckets need the search.
      w = fresh ? null : findMember(dw, iface.ifIndex);
      if (w === null) w = emission.addInterface(dw, iface.ifIndex, iface.ifName);
      iface.lastDw = dw;
      iface.lastW = w;
    }
    if (w.ifName !== iface.ifName) w.ifName = iface.ifName;
    if (!dw.dirty) emission.touch(dev, dw);
    ctxWindow = dw;
    return w;
  }

  const visitSafe: PartVisitor<number> = (windowStart, overlapMs, parts) => {
    const w = target(windowStart);
    if (w !== null) addPiece(ctxWindow!, w, parts, overlapMs, rates, ctxSpeed);
  };
  const visitExact: PartVisitor<bigint> = (windowStart, overlapMs, parts) => {
    const w = target(windowStart);
    if (w !== null) addPieceExact(ctxWindow!, w, parts, overlapMs, rates, ctxSpeed);
  };

  function load(i: number, v: bigint): void {
    values[i] = v;
    nums[i] = u64ToNumber(v);
  }

  /** The exact deltas of an interval into values/nums, in the order apportionValues reads them. */
  function loadDeltas(d: CounterDeltas): void {
    load(0, d.inOctets);
    load(1, d.outOctets);
    load(2, d.inPackets);
    load(3, d.outPackets);
    load(4, d.inErrors);
    load(5, d.outErrors);
    load(6, d.inDiscards);
    load(7, d.outDiscards);
  }

  /** `cur` with the interface's bigint counters (only the exact path needs them). */
  function withCounters(ic: CounterSample['interfaces'][number]): Observation {
    cur.inOctets = ic.inOctets;
    cur.outOctets = ic.outOctets;
    cur.inPackets = ic.inPackets;
    cur.outPackets = ic.outPackets;
    cur.inErrors = ic.inErrors;
    cur.outErrors = ic.outErrors;
    cur.inDiscards = ic.inDiscards;
    cur.outDiscards = ic.outDiscards;
    return cur;
  }

  /** The current interface's deltas into `nums` when safeDeltas applies (see there). */
  function loadSafeDeltas(base: Baseline, ic: CounterSample['interfaces'][number]): boolean {
    curPresent = loadCounters(ic, curNums);
    return safeDeltas(base.nums, base.present, curNums, curPresent, nums);
  }

  /**
   * Apportions the loaded deltas over [t0, t1) into the device's windows. `bigLoaded`: `values`
   * holds them as bigints too (load); otherwise only `nums` does, and they are below 2^53.
   */
  function apportionValues(dev: DeviceState, iface: InterfaceState, t0: number, t1: number, speed: number, bigLoaded: boolean, report = true): void {
    rates.t0 = t0;
    rates.t1 = t1;
    rates.inBps = (nums[0] * 8000) / (t1 - t0);
    rates.outBps = (nums[1] * 8000) / (t1 - t0);
    ctxDevice = dev;
    ctxIface = iface;
    ctxSpeed = speed;
    ctxLate = null;
    if (canSplitSafe(t0, t1, nums)) apportioner.splitSafe(t0, t1, nums, visitSafe);
    else {
      if (!bigLoaded) for (let i = 0; i < 8; i++) values[i] = numberToU64(nums[i]);
      apportioner.split(t0, t1, values, visitExact);
    }
    if (ctxLate !== null && report) emission.event('late', dev, iface.ifIndex, t1, ctxLate);
  }

  /** See CountInterval (hole-filling.ts): the interval of two kept observations as a delta, no event. */
  function countInterval(dev: DeviceState, iface: InterfaceState, a: Baseline, b: Baseline, wm: number): LateReason | null | 'none' {
    const r = computeDelta(a.readInto(prevObs), b.readInto(endObs), deltaOpts);
    if (r.kind !== 'delta') return 'none';
    loadDeltas(r.deltas);
    const saved = ctxWatermark;
    ctxWatermark = wm;
    apportionValues(dev, iface, r.t0, r.t1, b.speed, true, false);
    ctxWatermark = saved;
    return ctxLate;
  }

  const holes = createHoleFilling(o, emission, countInterval);

  function ingestCounterSample(s: CounterSample, dev: DeviceState): void {
    holes.begin();
    if (dev.pendingHoles) holes.settleBefore(s, dev, ctxWatermark);
    // Interfaces of this (the latest) sample decide completeness: all must have reached e.
    let completeTs = Infinity;
    for (const ic of s.interfaces) {
      cur.ts = ic.ts ?? s.ts;
      cur.sysUpTime = s.sysUpTime;
      cur.width = ic.width;
      cur.speed = ic.speed;
      cur.discontinuityTime = ic.discontinuityTime;
      let iface = dev.ifaces.get(ic.ifIndex);
      if (iface === undefined) {
        iface = newInterfaceState(ic.ifIndex, ic.name);
        dev.ifaces.set(ic.ifIndex, iface);
      } else if (iface.ifName !== ic.name) {
        iface.ifName = ic.name;
      }
      if (cur.ts > iface.lastSeen) iface.lastSeen = cur.ts;
      const base = iface.prev;
      if (base === null) {
        iface.prev = new Baseline(withCounters(ic));
        iface.prevOffset = ctxOffset;
        emission.event('first', dev, ic.ifIndex, cur.ts);
        if (cur.ts < completeTs) completeTs = cur.ts;
        continue;
      }
      let r = intervalCheck(base, cur, deltaOpts);
      if (r === null && loadSafeDeltas(base, ic)) {
        // The common case in doubles (same deltas as computeDelta, see safeDeltas): no bigint made.
        const why = implausibleReason(nums[0], nums[1], nums[2], nums[3], maxOctets(base.speed, cur.speed, cur.ts - base.ts, deltaOpts.maxRateFactor));
        if (why === null) apportionValues(dev, iface, base.ts, cur.ts, cur.speed, false);
        else {
          emission.event('implausible', dev, ic.ifIndex, cur.ts, why);
          withCounters(ic);
          holes.open(dev, iface, base, cur, ctxWatermark);
        }
        base.adoptSafe(cur, curNums, curPresent);
        iface.prevOffset = ctxOffset;
      } else {
        withCounters(ic);
        r ??= computeDelta(base.readInto(prevObs), cur, deltaOpts);
        if (r.kind === 'delta') {
          loadDeltas(r.deltas);
          apportionValues(dev, iface, r.t0, r.t1, cur.speed, true);
          base.adopt(cur);
          iface.prevOffset = ctxOffset;
        } else if (r.kind === 'out-of-order') {
          // Inside an interval not counted it fills it; otherwise prev's interval already covers it.
          if (!holes.fill(dev, iface, cur, ctxWatermark)) emission.event(r.kind, dev, ic.ifIndex, cur.ts);
        } else {
          // A reset, an implausible delta or a gap starts a new baseline, leaving a hole behind.
          if (r.kind === 'gap') emission.event(r.kind, dev, ic.ifIndex, cur.ts);
          else emission.event(r.kind, dev, ic.ifIndex, cur.ts, r.reason);
          holes.open(dev, iface, base, cur, ctxWatermark);
          base.adopt(cur);
          iface.prevOffset = ctxOffset;
        }
      }
      if (base.ts < completeTs) completeTs = base.ts;
      // A live hole keeps the windows from its earlier end open for the sample that may fill it.
      if (iface.holes !== null) completeTs = Math.min(completeTs, holes.holdsFrom(iface, ctxWatermark));
    }
    // A sample without interfaces says nothing about completeness (it would vacuously close all).
    if (s.interfaces.length === 0) return;
    for (const dw of dev.windows.values()) {
      if (dw.start + W <= completeTs) emission.close(dev, dw);
    }
  }

  function ingestTrafficDelta(d: TrafficDelta, dev: DeviceState): void {
    let iface = dev.ifaces.get(d.ifIndex);
    if (iface === undefined) {
      iface = newInterfaceState(d.ifIndex, d.ifName);
      dev.ifaces.set(d.ifIndex, iface);
    }
    if (iface.ifName !== d.ifName) iface.ifName = d.ifName;
    if (d.end > iface.lastSeen) iface.lastSeen = d.end;
    load(0, d.inOctets);
    load(1, d.outOctets);
    load(2, d.inPackets);
    load(3, d.outPackets);
    for (let i = 4; i < 8; i++) load(i, 0n);
    apportionValues(dev, iface, d.start, d.end, 0, true);
  }

  return {
    add(record, dev, offset) {
      // The partition's watermark before the record: a record is never late by its own time.
      ctxWatermark = dev.part.watermark;
      ctxOffset = offset ?? NaN;
      if (record.kind === 'counter-sample') ingestCounterSample(record, dev);
      else ingestTrafficDelta(record, dev);
      ctxDevice = ctxIface = ctxWindow = null;
    },
    settleDue(part, wm) {
      holes.settleDue(part, part.watermark, wm);
      ctxDevice = ctxIface = ctxWindow = null;
    },
  };
}
