// The window engine: SampleRecords in (per Kafka partition, in offset order), WindowResults out.
// Pure and single-threaded: event time comes from the records, processing time from the caller.
// Rules:
// - CounterSample: per interface (deviceId, ifIndex) the previous Observation is kept; each new one
//   gives a delta (computeDelta) over [t0, t1), apportioned exactly into 60 s epoch windows.
//   TrafficDelta (pcap) is already a delta over [start, end): apportioned directly.
// - A device window [s, e) (the device rollup plus its interface windows) is COMPLETE when every
//   interface of the device's latest CounterSample has an observation at ts >= e: it is emitted
//   at once and dropped, since no later counter delta can reach back into it.
// - Otherwise it is emitted when the partition watermark (max event time - outOfOrdernessMs)
//   passes e, then kept until the watermark passes e + allowedLatenessMs; data arriving meanwhile
//   re-emits it (revision + 1, full totals). Data for a window past that, or already closed, is
//   dropped with a 'late' event. TrafficDelta never completes windows (pcap buckets carry no
//   "nothing more before here" promise); the watermark or `final` closes them.
// - A partition with no record for idleTimeoutMs of processing time lets its watermark advance
//   with processing time (tick), so idle sources do not hold windows open forever.
// - Output is sorted by (windowStart, deviceId, ifIndex, rollup last): deterministic.
import type { CounterSample, SampleRecord, TrafficDelta } from '../../common/contracts/index.js';
import { canSplitSafe, createApportioner, windowStartOf, type PartVisitor } from './apportion.js';
import { Baseline, loadCounters } from './baseline.js';
import { numberToU64, u64ToNumber } from '../../common/u64.js';
import { computeDelta, implausibleReason, intervalCheck, maxOctets, safeDeltas, type DeltaOptions, type Observation } from './counter-delta.js';
import {
  joinBucket,
  leaveBucket,
  logClear,
  logDropBefore,
  logPush,
  newDeviceState,
  newInterfaceState,
  newPartitionState,
  oldestBucket,
  type DeviceState,
  type InterfaceState,
  type PartitionState,
} from './engine-state.js';
import {
  resolveOptions,
  type EngineEvent,
  type EngineEventKind,
  type EngineOutput,
  type LateReason,
  type WindowEngine,
  type WindowEngineOptions,
} from './engine-types.js';
import {
  addMember,
  addPiece,
  addPieceExact,
  findMember,
  deviceResult,
  interfaceResult,
  newDeviceWindow,
  newInterfaceWindow,
  recycleInterfaceWindow,
  sortResults,
  type DeviceWindow,
  type InterfaceWindow,
  type PieceRates,
} from './window-state.js';

/** Most dropped interface windows kept for reuse. */
const SPARE_MAX = 4096;

export function createWindowEngine(options: WindowEngineOptions): WindowEngine {
  const o = resolveOptions(options);
  const W = o.windowMs;
  const lateness = o.allowedLatenessMs;
  const deltaOpts: DeltaOptions = { maxGapMs: o.maxGapMs, maxRateFactor: o.maxRateFactor };
  const apportioner = createApportioner(W);
  const devices = new Map<string, DeviceState>();
  const partitions = new Map<number, PartitionState>();
  let interfaceCount = 0;
  let deviceWindowCount = 0;
  let interfaceWindowCount = 0;

  let out: EngineOutput = { windows: [], events: [] };
  // Windows that got data from the current record (deduplicated by their dirty flag).
  const touched: DeviceWindow[] = [];
  const touchedDevices: DeviceState[] = [];

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
  // The partition's watermark before the current record: a record is never late by its own time.
  let ctxWatermark = -Infinity;
  let ctxLate: LateReason | null = null;

  // The observation being processed and its interface's baseline, as reusable scratch: nothing
  // per sample is allocated that outlives the call (see baseline.ts for why that matters).
  const cur: Observation = { ts: 0, sysUpTime: 0, width: 64, speed: 0, discontinuityTime: 0, inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n };
  const prevObs: Observation = { ...cur };
  // Dropped interface windows, reused by the next ones opened (a device's poll closes about as
  // many as it opens, so this stays small).
  const spare: InterfaceWindow[] = [];

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
      dw = dev.windows.get(windowStart) ?? openWindow(dev, windowStart);
      // An interface's pieces arrive in time order (counter deltas never overlap), so a window later
      // than any it had cannot hold it yet; only out-of-order pcap buckets need the search.
      w = fresh ? null : findMember(dw, iface.ifIndex);
      if (w === null) {
        const reused = spare.pop();
        w = reused === undefined ? newInterfaceWindow(iface.ifIndex, iface.ifName) : recycleInterfaceWindow(reused, iface.ifIndex, iface.ifName);
        addMember(dw, w);
        interfaceWindowCount++;
      }
      iface.lastDw = dw;
      iface.lastW = w;
    }
    if (w.ifName !== iface.ifName) w.ifName = iface.ifName;
    if (!dw.dirty) {
      touched.push(dw);
      touchedDevices.push(dev);
    }
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
  function apportionValues(dev: DeviceState, iface: InterfaceState, t0: number, t1: number, speed: number, bigLoaded: boolean): void {
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
    if (ctxLate !== null) event('late', dev, iface.ifIndex, t1, ctxLate);
  }

  function ingestCounterSample(s: CounterSample, dev: DeviceState): void {
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
        interfaceCount++;
      } else if (iface.ifName !== ic.name) {
        iface.ifName = ic.name;
      }
      const base = iface.prev;
      if (base === null) {
        iface.prev = new Baseline(withCounters(ic));
        event('first', dev, ic.ifIndex, cur.ts);
        if (cur.ts < completeTs) completeTs = cur.ts;
        continue;
      }
      let r = intervalCheck(base, cur, deltaOpts);
      if (r === null && loadSafeDeltas(base, ic)) {
        // The common case in doubles (same deltas as computeDelta, see safeDeltas): no bigint made.
        const why = implausibleReason(nums[0], nums[1], nums[2], nums[3], maxOctets(base.speed, cur.speed, cur.ts - base.ts, deltaOpts.maxRateFactor));
        if (why === null) apportionValues(dev, iface, base.ts, cur.ts, cur.speed, false);
        else event('implausible', dev, ic.ifIndex, cur.ts, why);
        base.adoptSafe(cur, curNums, curPresent);
      } else {
        withCounters(ic);
        r ??= computeDelta(base.readInto(prevObs), cur, deltaOpts);
        if (r.kind === 'delta') {
          const d = r.deltas;
          load(0, d.inOctets);
          load(1, d.outOctets);
          load(2, d.inPackets);
          load(3, d.outPackets);
          load(4, d.inErrors);
          load(5, d.outErrors);
          load(6, d.inDiscards);
          load(7, d.outDiscards);
          apportionValues(dev, iface, r.t0, r.t1, cur.speed, true);
          base.adopt(cur);
        } else if (r.kind === 'reset' || r.kind === 'implausible') {
          event(r.kind, dev, ic.ifIndex, cur.ts, r.reason);
          base.adopt(cur);
        } else {
          event(r.kind, dev, ic.ifIndex, cur.ts);
          // A gap starts a new baseline; an out-of-order observation is already covered by prev.
          if (r.kind === 'gap') base.adopt(cur);
        }
      }
      if (base.ts < completeTs) completeTs = base.ts;
    }
    // A sample without interfaces says nothing about completeness (it would vacuously close all).
    if (s.interfaces.length === 0) return;
    for (const dw of dev.windows.values()) {
      if (dw.start + W <= completeTs) closeWindow(dev, dw);
    }
  }

  function ingestTrafficDelta(d: TrafficDelta, dev: DeviceState): void {
    let iface = dev.ifaces.get(d.ifIndex);
    if (iface === undefined) {
      iface = newInterfaceState(d.ifIndex, d.ifName);
      dev.ifaces.set(d.ifIndex, iface);
      interfaceCount++;
    }
    if (iface.ifName !== d.ifName) iface.ifName = d.ifName;
    load(0, d.inOctets);
    load(1, d.outOctets);
    load(2, d.inPackets);
    load(3, d.outPackets);
    for (let i = 4; i < 8; i++) load(i, 0n);
    apportionValues(dev, iface, d.start, d.end, 0, true);
  }

  function event(kind: EngineEventKind, dev: DeviceState, ifIndex: number, ts: number, reason?: EngineEvent['reason']): void {
    out.events.push(reason === undefined ? { kind, deviceId: dev.deviceId, ifIndex, ts } : { kind, deviceId: dev.deviceId, ifIndex, reason, ts });
  }

  function deviceFor(deviceId: string, part: PartitionState, offset: number | undefined): DeviceState {
    let dev = devices.get(deviceId);
    if (dev === undefined) {
      dev = newDeviceState(deviceId, part);
      // Seen in a replay: it may have had records before the replay start, so its windows before
      // the floor are partial here and final (and written) in truth.
      if (offset !== undefined && offset < part.replayUpto) dev.floored = true;
      devices.set(deviceId, dev);
      part.devices.add(dev);
    } else if (dev.part !== part) {
      // Only after a repartition: its open windows follow it to the new partition's buckets.
      const open = [...dev.windows.values()];
      for (const dw of open) leaveBucket(dev, dw.start);
      dev.part.devices.delete(dev);
      dev.part = part;
      part.devices.add(dev);
      for (const dw of open) joinBucket(dev, dw.start, W, lateness);
    }
    return dev;
  }

  function openWindow(dev: DeviceState, start: number): DeviceWindow {
    const dw = newDeviceWindow(start, dev.spareMembers ?? []);
    dev.spareMembers = null;
    dev.windows.set(start, dw);
    deviceWindowCount++;
    joinBucket(dev, start, W, lateness);
    return dw;
  }

  function emitWindow(dev: DeviceState, dw: DeviceWindow): void {
    for (let m = 0; m < dw.memberCount; m++) {
      const w = dw.members[m];
      if (!w.dirty) continue;
      w.revision++;
      w.dirty = false;
      out.windows.push(interfaceResult(dev.deviceId, dw.start, W, w));
    }
    dw.revision++;
    dw.dirty = false;
    out.windows.push(deviceResult(dev.deviceId, dw, W));
  }

  /** Emits what is not yet emitted, then drops the window for good. */
  function closeWindow(dev: DeviceState, dw: DeviceWindow): void {
    if (dw.dirty) emitWindow(dev, dw);
    dw.closed = true;
    dev.windows.delete(dw.start);
    deviceWindowCount--;
    interfaceWindowCount -= dw.memberCount;
    for (let m = 0; m < dw.memberCount && spare.length < SPARE_MAX; m++) spare.push(dw.members[m]);
    // The next window of this device takes over the array (it has the right capacity already).
    dev.spareMembers = dw.members;
    dw.members = [];
    dw.memberCount = 0;
    if (dw.start + W > dev.closedThrough) dev.closedThrough = dw.start + W;
    leaveBucket(dev, dw.start);
  }

  /** Emits touched windows the watermark has already passed (revisions, or windows opened late). */
  function flushTouched(): void {
    for (let i = 0; i < touched.length; i++) {
      const dw = touched[i];
      const dev = touchedDevices[i];
      if (!dw.closed && dw.dirty && dw.start + W <= dev.part.watermark) emitWindow(dev, dw);
    }
    touched.length = 0;
    touchedDevices.length = 0;
  }

  /** Emits windows the watermark passed and drops those past the allowed lateness. */
  function scan(part: PartitionState): void {
    const wm = part.watermark;
    let next = Infinity;
    for (const [start, bucket] of part.buckets) {
      const end = start + W;
      if (end + lateness <= wm) {
        for (const dev of bucket.devices) {
          const dw = dev.windows.get(start);
          if (dw !== undefined) closeWindow(dev, dw);
        }
        part.buckets.delete(start);
        continue;
      }
      if (!bucket.due && end <= wm) {
        bucket.due = true;
        for (const dev of bucket.devices) {
          const dw = dev.windows.get(start);
          if (dw !== undefined && dw.dirty) emitWindow(dev, dw);
        }
      }
      const check = bucket.due ? end + lateness : end;
      if (check < next) next = check;
    }
    part.nextCheck = next;
  }

  function begin(): void {
    out = { windows: [], events: [] };
  }

  function finish(): EngineOutput {
    sortResults(out.windows);
    return out;
  }

  /** Remembers where the record sits, for checkpoints. */
  function track(dev: DeviceState, record: SampleRecord, offset: number): void {
    if (record.kind === 'traffic-delta') {
      logPush(dev.deltaRecs, offset, record.end);
      return;
    }
    let pos = record.ts;
    for (const ic of record.interfaces) if (ic.ts !== undefined && ic.ts > pos) pos = ic.ts;
    logPush(dev.counterRecs, offset, pos);
  }

  /**
   * The earliest window start the device can still take data into: nothing before it is open or
   * acceptable (floor, closed, past the lateness), and counter deltas start at the baselines.
   */
  function acceptFrom(dev: DeviceState): number {
    const part = dev.part;
    const staleBefore = part.watermark - o.maxGapMs;
    let pcapIface = false;
    let minPrev = Infinity;
    for (const iface of dev.ifaces.values()) {
      if (iface.prev === null) pcapIface = true;
      // A baseline older than the maximum gap makes no spread delta: its next sample starts afresh.
      else if (iface.prev.ts >= staleBefore) minPrev = Math.min(minPrev, windowStartOf(iface.prev.ts, W));
    }
    // Only counters, all quiet: nothing more can reach back into a window.
    if (!pcapIface && minPrev === Infinity) return Infinity;
    const from = Math.max(part.floor, dev.closedThrough, part.watermark === -Infinity ? -Infinity : windowStartOf(part.watermark - lateness, W));
    // A pcap interface takes buckets for any acceptable window; counter deltas start at the baselines.
    return pcapIface ? from : Math.max(from, minPrev);
  }

  /**
   * The first offset of the device's records a replay needs for windows from `floor` on: for
   * counters the newest sample at or before the floor (every interface's baseline), for deltas
   * the oldest bucket ending after it. Prunes what is older.
   */
  function replayStart(dev: DeviceState, floor: number): number {
    let start = Infinity;
    const c = dev.counterRecs;
    if (c.offsets.length > c.head) {
      const stale = dev.windows.size === 0 && allBaselinesStale(dev);
      if (stale) {
        logClear(c);
      } else {
        let k = c.head;
        for (let i = c.head; i < c.offsets.length && c.positions[i] <= floor; i++) k = i;
        if (k > c.head) logDropBefore(c, k);
        start = c.offsets[c.head];
      }
    }
    const d = dev.deltaRecs;
    let h = d.head;
    while (h < d.offsets.length && d.positions[h] <= floor) h++;
    if (h === d.offsets.length) logClear(d);
    else {
      if (h > d.head) logDropBefore(d, h);
      if (d.offsets[d.head] < start) start = d.offsets[d.head];
    }
    return start;
  }

  /** No counter baseline can make another spread delta: every one is older than the maximum gap before the watermark. */
  function allBaselinesStale(dev: DeviceState): boolean {
    const limit = dev.part.watermark - o.maxGapMs;
    for (const iface of dev.ifaces.values()) if (iface.prev !== null && iface.prev.ts >= limit) return false;
    return true;
  }

  function closeAll(dev: DeviceState): void {
    for (const dw of dev.windows.values()) closeWindow(dev, dw);
  }

  return {
    ingest(record, partition, processingTimeMs, offset) {
      begin();
      let part = partitions.get(partition);
      if (part === undefined) partitions.set(partition, (part = newPartitionState(partition, processingTimeMs)));
      const dev = deviceFor(record.deviceId, part, offset);
      ctxWatermark = part.watermark;
      let eventTs: number;
      if (record.kind === 'counter-sample') {
        ingestCounterSample(record, dev);
        eventTs = record.ts;
      } else {
        ingestTrafficDelta(record, dev);
        eventTs = record.end;
      }
      ctxDevice = ctxIface = ctxWindow = null;
      if (offset !== undefined) track(dev, record, offset);
      if (eventTs > part.maxEventTs) {
        part.maxEventTs = eventTs;
        if (offset !== undefined) logPush(part.maxLog, offset, eventTs);
      }
      if (part.maxEventTs - o.outOfOrdernessMs > part.watermark) part.watermark = part.maxEventTs - o.outOfOrdernessMs;
      if (processingTimeMs > part.lastActivityMs) part.lastActivityMs = processingTimeMs;
      flushTouched();
      if (part.watermark >= part.nextCheck) scan(part);
      if (record.kind === 'traffic-delta' && record.final) closeAll(dev);
      return finish();
    },

    tick(processingTimeMs) {
      begin();
      for (const part of partitions.values()) {
        const idleFor = processingTimeMs - part.lastActivityMs;
        if (idleFor < o.idleTimeoutMs || part.maxEventTs === -Infinity) continue;
        // Event time is taken to have moved on with processing time since the last record.
        const wm = part.maxEventTs + idleFor - o.outOfOrdernessMs;
        if (wm > part.watermark) part.watermark = wm;
        if (part.watermark >= part.nextCheck) scan(part);
      }
      return finish();
    },

    finishSource(deviceId) {
      begin();
      const dev = devices.get(deviceId);
      if (dev !== undefined) closeAll(dev);
      return finish();
    },

    revokePartition(partition) {
      const part = partitions.get(partition);
      if (part === undefined) return;
      for (const dev of part.devices) {
        devices.delete(dev.deviceId);
        interfaceCount -= dev.ifaces.size;
        for (const dw of dev.windows.values()) {
          deviceWindowCount--;
          interfaceWindowCount -= dw.memberCount;
        }
      }
      partitions.delete(partition);
    },

    checkpoint(partition, nextOffset) {
      const part = partitions.get(partition);
      if (part === undefined) return { offset: nextOffset, floor: -Infinity, maxEventTsBefore: -Infinity };
      let floor = Infinity;
      for (const dev of part.devices) {
        const a = acceptFrom(dev);
        if (a < floor) floor = a;
      }
      if (floor !== Infinity && floor > part.floor) part.floor = floor;
      let offset = nextOffset;
      for (const dev of part.devices) {
        const s = replayStart(dev, part.floor);
        if (s < offset) offset = s;
      }
      // The newest event time before `offset`: the last rise of maxEventTs before it.
      const m = part.maxLog;
      let k = -1;
      for (let i = m.head; i < m.offsets.length && m.offsets[i] < offset; i++) k = i;
      let maxBefore = -Infinity;
      if (k >= 0) {
        maxBefore = m.positions[k];
        logDropBefore(m, k);
      } else if (m.offsets.length > m.head && m.offsets[m.head] < 0) {
        maxBefore = m.positions[m.head];
      }
      return { offset, floor: part.floor, maxEventTsBefore: maxBefore };
    },

    restorePartition(partition, from, processingTimeMs) {
      this.revokePartition(partition);
      const part = newPartitionState(partition, processingTimeMs);
      part.floor = from.floor;
      part.replayUpto = from.upto;
      if (Number.isFinite(from.maxEventTsBefore)) {
        part.maxEventTs = from.maxEventTsBefore;
        part.watermark = from.maxEventTsBefore - o.outOfOrdernessMs;
        // Offset -1: before any record of the replay.
        logPush(part.maxLog, -1, from.maxEventTsBefore);
      }
      partitions.set(partition, part);
    },

    partitionInfo(partition) {
      const part = partitions.get(partition);
      if (part === undefined) return undefined;
      return { watermark: part.watermark, maxEventTs: part.maxEventTs, oldestOpenWindowStart: oldestBucket(part) };
    },

    snapshotSize() {
      return { partitions: partitions.size, devices: devices.size, interfaces: interfaceCount, deviceWindows: deviceWindowCount, interfaceWindows: interfaceWindowCount };
    },
  };
}
