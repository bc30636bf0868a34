// The window engine's emission: a call's output, opening and closing device windows, and the
// watermark decisions (emit when the watermark passes a window's end, drop past the lateness).
// Rules:
// - An emission carries every interface window changed since the last one, then the device
//   rollup (full totals, revision + 1); the call's output is sorted once at the end (finish).
// - A closed window is emitted if it has anything new, then dropped for good: its interface
//   windows and members array are pooled for the next windows (fewer survivors for the GC).
// - Windows touched by a record whose end the watermark already passed are emitted at once
//   (revisions, or windows opened late); the rest wait for a watermark scan.
import type { EngineEvent, EngineEventKind, EngineOutput } from './engine-types.js';
import { joinBucket, leaveBucket, type DeviceState, type PartitionState } from './engine-state.js';
import {
  addMember,
  deviceResult,
  interfaceResult,
  newDeviceWindow,
  newInterfaceWindow,
  recycleInterfaceWindow,
  sortResults,
  type DeviceWindow,
  type InterfaceWindow,
} from './window-state.js';

/** Most dropped interface windows kept for reuse. */
const SPARE_MAX = 4096;

export interface Emission {
  /** Starts a call's output. */
  begin(): void;
  /** The call's output, in output order. */
  finish(): EngineOutput;
  event(kind: EngineEventKind, dev: DeviceState, ifIndex: number, ts: number, reason?: EngineEvent['reason']): void;
  /** A new window of the device at `start`, registered with its partition's watermark bucket. */
  open(dev: DeviceState, start: number): DeviceWindow;
  /** A new (or recycled) interface window added to `dw`. */
  addInterface(dw: DeviceWindow, ifIndex: number, ifName: string): InterfaceWindow;
  /** Notes a window that is about to get data from the current record (call while it is not dirty). */
  touch(dev: DeviceState, dw: DeviceWindow): void;
  /** Emits touched windows the watermark has already passed. */
  flushTouched(): void;
  /** Emits windows the watermark passed and drops those past the allowed lateness. */
  scan(part: PartitionState): void;
  /** Emits what is not yet emitted, then drops the window for good. */
  close(dev: DeviceState, dw: DeviceWindow): void;
  closeAll(dev: DeviceState): void;
}

export function createEmission(windowMs: number, latenessMs: number): Emission {
  const W = windowMs;
  let out: EngineOutput = { windows: [], events: [] };
  // Windows that got data from the current record (deduplicated by their dirty flag).
  const touched: DeviceWindow[] = [];
  const touchedDevices: DeviceState[] = [];
  // Dropped interface windows, reused by the next ones opened (a device's poll closes about as
  // many as it opens, so this stays small).
  const spare: InterfaceWindow[] = [];

  function emit(dev: DeviceState, dw: DeviceWindow): void {
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

  function close(dev: DeviceState, dw: DeviceWindow): void {
    if (dw.dirty) emit(dev, dw);
    dw.closed = true;
    dev.windows.delete(dw.start);
    for (let m = 0; m < dw.memberCount && spare.length < SPARE_MAX; m++) spare.push(dw.members[m]);
    // The next window of this device takes over the array (it has the right capacity already).
    dev.spareMembers = dw.members;
    dw.members = [];
    dw.memberCount = 0;
    if (dw.start + W > dev.closedThrough) dev.closedThrough = dw.start + W;
    leaveBucket(dev, dw.start);
  }

  return {
    begin() {
      out = { windows: [], events: [] };
    },

    finish() {
      sortResults(out.windows);
      return out;
    },

    event(kind, dev, ifIndex, ts, reason) {
      out.events.push(reason === undefined ? { kind, deviceId: dev.deviceId, ifIndex, ts } : { kind, deviceId: dev.deviceId, ifIndex, reason, ts });
    },

    open(dev, start) {
      const dw = newDeviceWindow(start, dev.spareMembers ?? []);
      dev.spareMembers = null;
      dev.windows.set(start, dw);
      joinBucket(dev, start, W, latenessMs);
      return dw;
    },

    addInterface(dw, ifIndex, ifName) {
      const reused = spare.pop();
      const w = reused === undefined ? newInterfaceWindow(ifIndex, ifName) : recycleInterfaceWindow(reused, ifIndex, ifName);
      addMember(dw, w);
      return w;
    },

    touch(dev, dw) {
      touched.push(dw);
      touchedDevices.push(dev);
    },

    flushTouched() {
      for (let i = 0; i < touched.length; i++) {
        const dw = touched[i];
        const dev = touchedDevices[i];
        if (!dw.closed && dw.dirty && dw.start + W <= dev.part.watermark) emit(dev, dw);
      }
      touched.length = 0;
      touchedDevices.length = 0;
    },

    scan(part) {
      const wm = part.watermark;
      let next = Infinity;
      for (const [start, bucket] of part.buckets) {
        const end = start + W;
        if (end + latenessMs <= wm) {
          for (const dev of bucket.devices) {
            const dw = dev.windows.get(start);
            if (dw !== undefined) close(dev, dw);
          }
          part.buckets.delete(start);
          continue;
        }
        if (!bucket.due && end <= wm) {
          bucket.due = true;
          for (const dev of bucket.devices) {
            const dw = dev.windows.get(start);
            if (dw !== undefined && dw.dirty) emit(dev, dw);
          }
        }
        const check = bucket.due ? end + latenessMs : end;
        if (check < next) next = check;
      }
      part.nextCheck = next;
    },

    close,

    closeAll(dev) {
      for (const dw of dev.windows.values()) close(dev, dw);
    },
  };
}
