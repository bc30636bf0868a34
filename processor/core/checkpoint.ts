// Replay bookkeeping: where a partition's replay must start so that a fresh engine rebuilds the
// same state (PartitionCheckpoint, the Kafka offset commit), and a partition's restart from one.
// Plain functions over the engine state; the engine calls them and holds no replay logic itself.
// Rules:
// - While ingesting with offsets, each device keeps (offset, event-time position) of the records a
//   replay may still need, and the partition where its max event time rose (trackRecord).
// - A checkpoint raises the partition's floor to the earliest window any of its devices, or a
//   device not seen yet, can still take data into (never past the watermark minus the allowed
//   lateness), then starts the replay at the oldest record needed for windows from the floor on
//   (counter baselines, pcap buckets), pruning older bookkeeping. The floor never falls.
// - A live hole (holes.ts) moves the replay start back to the record of its earlier end, and a
//   baseline within the hole reach of the watermark is kept (a hole may still open from it), so a
//   replay rebuilds the holes the live engine has or may open.
// - After restorePartition, records before `upto` are a replay (their output was written): a device
//   first seen in it drops data for windows before the floor, as the lost engine did (`floored`).
import type { SampleRecord } from '../../common/contracts/index.js';
import { windowStartOf } from './apportion.js';
import { holeLive, holeReachMs } from './holes.js';
import {
  forgetPartition,
  logClear,
  logDropBefore,
  logPush,
  newPartitionState,
  type DeviceState,
  type EngineState,
  type PartitionState,
} from './engine-state.js';
import type { PartitionCheckpoint, ResolvedOptions, RestorePoint } from './engine-types.js';

/**
 * Remembers where the record at `offset` sits, for checkpoints. `eventTs`: its event time; called
 * before the partition's maxEventTs takes it.
 */
export function trackRecord(part: PartitionState, dev: DeviceState, record: SampleRecord, eventTs: number, offset: number): void {
  if (record.kind === 'traffic-delta') {
    logPush(dev.deltaRecs, offset, record.end);
  } else {
    let pos = record.ts;
    for (const ic of record.interfaces) if (ic.ts !== undefined && ic.ts > pos) pos = ic.ts;
    logPush(dev.counterRecs, offset, pos);
  }
  if (eventTs > part.maxEventTs) logPush(part.maxLog, offset, eventTs);
}

/**
 * A device first seen at `offset` is seen in a replay: it may have had records before the replay
 * start, so its windows before the floor are partial here and final (and written) in truth.
 */
export function seenInReplay(part: PartitionState, offset: number | undefined): boolean {
  return offset !== undefined && offset < part.replayUpto;
}

/** See WindowEngine.checkpoint. */
export function checkpointPartition(state: EngineState, partition: number, nextOffset: number, o: ResolvedOptions): PartitionCheckpoint {
  const part = state.partitions.get(partition);
  if (part === undefined) return { offset: nextOffset, floor: -Infinity, maxEventTsBefore: -Infinity, maxEventTs: -Infinity };
  // A device not seen yet (a pcap import that starts now, a collector that catches up) may still
  // bring data for any window the lateness allows, and the live engine takes it; a replay that saw
  // it would floor it. So the floor never passes the earliest window still within the lateness.
  let floor = part.watermark === -Infinity ? Infinity : windowStartOf(part.watermark - o.allowedLatenessMs, o.windowMs);
  for (const dev of part.devices) {
    const a = acceptFrom(dev, o);
    if (a < floor) floor = a;
  }
  if (floor !== Infinity && floor > part.floor) part.floor = floor;
  let offset = nextOffset;
  for (const dev of part.devices) {
    const s = replayStart(dev, part.floor, o);
    if (s < offset) offset = s;
  }
  return { offset, floor: part.floor, maxEventTsBefore: maxEventTsBefore(part, offset), maxEventTs: part.maxEventTs };
}

/** See WindowEngine.restorePartition. */
export function restorePartition(state: EngineState, partition: number, from: RestorePoint, processingTimeMs: number, outOfOrdernessMs: number): void {
  forgetPartition(state, partition);
  const part = newPartitionState(partition, processingTimeMs);
  part.floor = from.floor;
  part.replayUpto = from.upto;
  part.replayMaxEventTs = from.maxEventTs ?? NaN;
  if (Number.isFinite(from.maxEventTsBefore)) {
    part.maxEventTs = from.maxEventTsBefore;
    part.watermark = from.maxEventTsBefore - outOfOrdernessMs;
    // Offset -1: before any record of the replay.
    logPush(part.maxLog, -1, from.maxEventTsBefore);
  }
  state.partitions.set(partition, part);
}

/**
 * The earliest window start the device can still take data into: nothing before it is open or
 * acceptable (floor, closed, past the lateness), and counter deltas start at the baselines.
 */
function acceptFrom(dev: DeviceState, o: ResolvedOptions): number {
  const W = o.windowMs;
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
  const from = Math.max(part.floor, dev.closedThrough, part.watermark === -Infinity ? -Infinity : windowStartOf(part.watermark - o.allowedLatenessMs, W));
  // A pcap interface takes buckets for any acceptable window; counter deltas start at the baselines.
  return pcapIface ? from : Math.max(from, minPrev);
}

/**
 * The first offset of the device's records a replay needs for windows from `floor` on: for
 * counters the newest sample at or before the floor (every interface's baseline), for deltas
 * the oldest bucket ending after it. Prunes what is older.
 */
function replayStart(dev: DeviceState, floor: number, o: ResolvedOptions): number {
  let start = Infinity;
  const c = dev.counterRecs;
  if (c.offsets.length > c.head) {
    const stale = dev.windows.size === 0 && allBaselinesStale(dev, o);
    if (stale) {
      logClear(c);
    } else {
      let k = c.head;
      for (let i = c.head; i < c.offsets.length && c.positions[i] <= floor; i++) k = i;
      if (k > c.head) logDropBefore(c, k);
      start = c.offsets[c.head];
    }
  }
  const holeStart = liveHolesStart(dev, o);
  if (holeStart < start) start = holeStart;
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

/**
 * No counter baseline can make another spread delta or open a hole (every one is older than the
 * maximum gap and the hole reach before the watermark), and no hole is live.
 */
function allBaselinesStale(dev: DeviceState, o: ResolvedOptions): boolean {
  const limit = dev.part.watermark - holeReachMs(o.maxGapMs, o.allowedLatenessMs);
  for (const iface of dev.ifaces.values()) if (iface.prev !== null && iface.prev.ts >= limit) return false;
  return liveHolesStart(dev, o) === Infinity;
}

/** The earliest record offset a live hole of the device needs replayed; Infinity when none. */
function liveHolesStart(dev: DeviceState, o: ResolvedOptions): number {
  let start = Infinity;
  for (const iface of dev.ifaces.values()) {
    if (iface.holes === null) continue;
    for (const h of iface.holes) if (h.fromOffset < start && holeLive(h, dev.part.watermark, o.windowMs, o.allowedLatenessMs)) start = h.fromOffset;
  }
  return start;
}

/** The newest event time before `offset`: the last rise of maxEventTs before it. Prunes older rises. */
function maxEventTsBefore(part: PartitionState, offset: number): number {
  const m = part.maxLog;
  let k = -1;
  for (let i = m.head; i < m.offsets.length && m.offsets[i] < offset; i++) k = i;
  if (k >= 0) {
    const maxBefore = m.positions[k];
    logDropBefore(m, k);
    return maxBefore;
  }
  if (m.offsets.length > m.head && m.offsets[m.head] < 0) return m.positions[m.head];
  return -Infinity;
}
