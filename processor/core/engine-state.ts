// The window engine's state: per interface, per device and per partition, and the watermark
// buckets that index open windows by start. Plain data plus the bookkeeping that keeps the
// indexes consistent; the engine (window-engine.ts, emission.ts) decides what happens to windows,
// checkpoint.ts where a replay starts.
import type { Baseline } from './baseline.js';
import type { Hole } from './holes.js';
import type { DeviceWindow, InterfaceWindow } from './window-state.js';

export interface InterfaceState {
  readonly ifIndex: number;
  ifName: string;
  /** Baseline for the next counter delta; null for pcap-only interfaces. */
  prev: Baseline | null;
  /** Offset of the record `prev` came from (NaN without offsets): a hole opened from it is replayed from there. */
  prevOffset: number;
  /** Intervals not counted that a late older sample may still fill, oldest first; null when none (holes.ts). */
  holes: Hole[] | null;
  /** The window this interface's last piece went to: the next delta starts there (no lookups). */
  lastDw: DeviceWindow | null;
  lastW: InterfaceWindow | null;
  /** Latest window start this interface ever got a piece for. */
  maxStart: number;
  /** Newest event time of its observations or buckets (eviction after the state TTL). */
  lastSeen: number;
}

export interface DeviceState {
  readonly deviceId: string;
  part: PartitionState;
  readonly ifaces: Map<number, InterfaceState>;
  readonly windows: Map<number, DeviceWindow>;
  /** Windows ending at or before this are closed for good: data for them is late. */
  closedThrough: number;
  /** A dropped window's members array, for the next window opened. */
  spareMembers: InterfaceWindow[] | null;
  /** Data for windows before the partition floor is dropped: the device was seen in a replay (see checkpoint.ts). */
  floored: boolean;
  /** Offsets and positions (newest interface ts) of the device's counter samples a replay may need. */
  readonly counterRecs: OffsetLog;
  /** Offsets and positions (bucket end) of its traffic deltas a replay may need. */
  readonly deltaRecs: OffsetLog;
  /** Newest event time of its records (eviction after the state TTL). */
  lastSeen: number;
  /** Some interface may hold a pending hole (holes.ts): the next sample settles it first. */
  pendingHoles: boolean;
}

/** Parallel arrays of (offset, event-time position) in offset order; `head` skips pruned entries. */
export interface OffsetLog {
  offsets: number[];
  positions: number[];
  head: number;
}

/** The devices holding a window at one start, so a watermark step finds them without a scan of all. */
export interface Bucket {
  readonly devices: Set<DeviceState>;
  /** The watermark passed the end and its pending windows were emitted. */
  due: boolean;
}

export interface PartitionState {
  readonly id: number;
  maxEventTs: number;
  watermark: number;
  lastActivityMs: number;
  readonly buckets: Map<number, Bucket>;
  /** Lowest watermark at which some bucket needs attention (emit or expire); may be stale-low. */
  nextCheck: number;
  readonly devices: Set<DeviceState>;
  /** Windows starting before this are final for every device here (see PartitionCheckpoint). */
  floor: number;
  /** Records before this offset are a replay after restorePartition; -Infinity when none. */
  replayUpto: number;
  /** In that replay, records with a newer event time were rejected as 'future' (NaN: judge by the clock). */
  replayMaxEventTs: number;
  /** Processing time of the last eviction sweep. */
  lastSweepMs: number;
  /** Where maxEventTs rose: (offset, new max) in offset order, for maxEventTsBefore of a checkpoint. */
  readonly maxLog: OffsetLog;
  /** Devices that may hold a pending hole (holes.ts), and the lowest watermark at which one is due (may be stale-low). */
  readonly pending: Set<DeviceState>;
  pendingDue: number;
}

/** Everything the engine holds; a device belongs to exactly one partition (its `part`). */
export interface EngineState {
  readonly devices: Map<string, DeviceState>;
  readonly partitions: Map<number, PartitionState>;
}

export function newEngineState(): EngineState {
  return { devices: new Map(), partitions: new Map() };
}

/** Forgets one device (it has no open window: nothing is emitted, no bucket holds it). */
export function forgetDevice(state: EngineState, dev: DeviceState): void {
  state.devices.delete(dev.deviceId);
  dev.part.devices.delete(dev);
  dev.part.pending.delete(dev);
}

/** Forgets a partition with its devices and their windows (nothing is emitted). */
export function forgetPartition(state: EngineState, partition: number): void {
  const part = state.partitions.get(partition);
  if (part === undefined) return;
  for (const dev of part.devices) state.devices.delete(dev.deviceId);
  state.partitions.delete(partition);
}

export function newInterfaceState(ifIndex: number, ifName: string): InterfaceState {
  return { ifIndex, ifName, prev: null, prevOffset: NaN, holes: null, lastDw: null, lastW: null, maxStart: -Infinity, lastSeen: -Infinity };
}

export function newDeviceState(deviceId: string, part: PartitionState): DeviceState {
  return { deviceId, part, ifaces: new Map(), windows: new Map(), closedThrough: -Infinity, spareMembers: null, floored: false, counterRecs: newOffsetLog(), deltaRecs: newOffsetLog(), lastSeen: -Infinity, pendingHoles: false };
}

export function newOffsetLog(): OffsetLog {
  return { offsets: [], positions: [], head: 0 };
}

export function logPush(log: OffsetLog, offset: number, position: number): void {
  log.offsets.push(offset);
  log.positions.push(position);
}

/** Drops entries before index `i`, compacting the arrays once the dead part dominates. */
export function logDropBefore(log: OffsetLog, i: number): void {
  log.head = i;
  if (log.head > 32 && log.head * 2 > log.offsets.length) {
    log.offsets.splice(0, log.head);
    log.positions.splice(0, log.head);
    log.head = 0;
  }
}

export function logClear(log: OffsetLog): void {
  log.offsets.length = 0;
  log.positions.length = 0;
  log.head = 0;
}

export function newPartitionState(id: number, nowMs: number): PartitionState {
  return {
    id,
    maxEventTs: -Infinity,
    watermark: -Infinity,
    lastActivityMs: nowMs,
    buckets: new Map(),
    nextCheck: Infinity,
    devices: new Set(),
    floor: -Infinity,
    replayUpto: -Infinity,
    replayMaxEventTs: NaN,
    lastSweepMs: nowMs,
    maxLog: newOffsetLog(),
    pending: new Set(),
    pendingDue: Infinity,
  };
}

/** Registers the device's window at `start` with its partition's bucket. */
export function joinBucket(dev: DeviceState, start: number, windowMs: number, latenessMs: number): void {
  const part = dev.part;
  let bucket = part.buckets.get(start);
  if (bucket === undefined) {
    const end = start + windowMs;
    // Created after the watermark passed: its windows are emitted as they are touched, not by a scan.
    bucket = { devices: new Set(), due: end <= part.watermark };
    part.buckets.set(start, bucket);
    const check = bucket.due ? end + latenessMs : end;
    if (check < part.nextCheck) part.nextCheck = check;
  }
  bucket.devices.add(dev);
}

export function leaveBucket(dev: DeviceState, start: number): void {
  const bucket = dev.part.buckets.get(start);
  if (bucket === undefined) return;
  bucket.devices.delete(dev);
  if (bucket.devices.size === 0) dev.part.buckets.delete(start);
}
