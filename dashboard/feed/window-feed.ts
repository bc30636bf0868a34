// WindowFeed: the narrow port between where window results come from (the Kafka consumer of
// netmon.windows in every service mode; the memory feed in unit tests and benchmarks) and the
// dashboard that shows them. A feed keeps a bounded recent history per series, so a browser that
// (re)connects can draw its charts at once, and tells subscribers about every window that changed
// that history.
// Rules: a window replaces the one with the same windowStart only when its revision is higher
// (Kafka delivers at least once, so equal or lower revisions are replays and are ignored); each
// series keeps at most `perSeries` windows, the newest by windowStart.
// Device status (netmon.status) and alerts (netmon.alerts) travel the same way: the feed keeps the
// latest status per device (an older lastPollAt never replaces a newer one) and the last alerts, and
// tells event subscribers about each one it keeps. Alerts are relayed as they are, never evaluated here.
// Memory is bounded per device, not only per series: forgetDevice drops everything kept for a device
// (its series, its status) and tells forget subscribers (the live hub's own per-device state), which
// the Kafka feed does when a device leaves the configuration (its status is tombstoned); and at most
// `maxDevices` devices are kept: past that, the one updated least recently is forgotten, so ids that
// come and go (or never were configured) cannot grow the dashboard without bound.
import type { AlertEvent } from '../../common/contracts/alert-event.js';
import type { DeviceStatus } from '../../common/contracts/device-status.js';
import type { WindowResult } from '../../common/contracts/window-result.js';
import { createSeriesStore, type TopLists } from './series-store.js';

/** A device status or an alert, as the feed relays it. */
export type FeedEvent = { type: 'status'; status: DeviceStatus } | { type: 'alert'; alert: AlertEvent };

export interface WindowFeed {
  /** Calls `listener` for each accepted window; returns the unsubscribe function. */
  subscribe(listener: (w: WindowResult) => void): () => void;
  /** The retained windows, each series in windowStart order. */
  recent(): WindowResult[];
  /** Calls `listener` for each accepted status or alert (feeds without them may leave this out). */
  subscribeEvents?(listener: (e: FeedEvent) => void): () => void;
  /** The latest status of each device, by device id. */
  statuses?(): DeviceStatus[];
  /** The latest status of one device. */
  statusOf?(deviceId: string): DeviceStatus | undefined;
  /** The most recent alerts, oldest first. */
  alerts?(): AlertEvent[];
  /** Calls `listener` with the id of each device whose state the feed dropped; returns the unsubscribe function. */
  subscribeForget?(listener: (deviceId: string) => void): () => void;
  /**
   * The top n interfaces by utilization and by in + out bit/s over the newest window of every
   * interface the feed keeps: topInterfaces (live-hub.ts) of those windows, without making them.
   */
  top(n: number): TopLists;
}

/** Why a device's state was dropped. */
export type ForgetReason = 'removed' | 'evicted';

/** Latest status per device: a status replaces the kept one unless it is from an older poll. */
export function createStatusTable(): { add(s: DeviceStatus): boolean; get(deviceId: string): DeviceStatus | undefined; all(): DeviceStatus[]; delete(deviceId: string): boolean; size(): number } {
  const table = new Map<string, DeviceStatus>();
  return {
    delete: (deviceId) => table.delete(deviceId),
    size: () => table.size,
    add(s) {
      const prev = table.get(s.deviceId);
      if (prev && (prev.lastPollAt ?? -1) > (s.lastPollAt ?? -1)) return false;
      table.set(s.deviceId, s);
      return true;
    },
    get: (deviceId) => table.get(deviceId),
    all: () => [...table.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0)),
  };
}

export interface MemoryFeed extends WindowFeed {
  /**
   * Offers a window to the feed; subscribers hear of it only if the buffer accepted it. Every
   * subscriber is called even if one throws; the first error is then rethrown.
   */
  push(w: WindowResult): boolean;
  /** Offers a device status; event subscribers hear of it unless it is older than the kept one. */
  pushStatus(s: DeviceStatus): boolean;
  /** Relays an alert to event subscribers and keeps it among the last `alertsKept`. */
  pushAlert(a: AlertEvent): void;
  subscribeEvents(listener: (e: FeedEvent) => void): () => void;
  subscribeForget(listener: (deviceId: string) => void): () => void;
  /** Drops everything kept for the device (series, status); false when nothing was kept. */
  forgetDevice(deviceId: string, reason?: ForgetReason): boolean;
  /** What the feed holds: devices with state, series, windows, statuses. */
  stateSize(): { devices: number; series: number; windows: number; statuses: number };
  statuses(): DeviceStatus[];
  statusOf(deviceId: string): DeviceStatus | undefined;
  alerts(): AlertEvent[];
}

/** Calls every listener even if one throws; the first error is then rethrown. */
function fanOut<T>(listeners: Set<(x: T) => void>, x: T): void {
  let failure: { err: unknown } | null = null;
  for (const l of [...listeners]) {
    try {
      l(x);
    } catch (err) {
      failure ??= { err };
    }
  }
  if (failure) throw failure.err;
}

function subscriber<T>(listeners: Set<(x: T) => void>, listener: (x: T) => void): () => void {
  // A wrapper per subscription, so subscribing the same function twice gives two independent subscriptions.
  const entry = (x: T) => listener(x);
  listeners.add(entry);
  return () => {
    listeners.delete(entry);
  };
}

/** A feed fed by calling push(): the core of the Kafka feed, and the feed of unit tests and benchmarks. */
/** Devices a feed keeps state for, at most, by default (each up to perSeries windows per interface). */
export const DEFAULT_MAX_DEVICES = 10_000;

export function createMemoryFeed(opts: { perSeries?: number; alertsKept?: number; maxDevices?: number; onForget?: (deviceId: string, reason: ForgetReason) => void } = {}): MemoryFeed {
  const buffer = createSeriesStore(opts.perSeries ?? 60);
  const alertsKept = opts.alertsKept ?? 100;
  const maxDevices = opts.maxDevices ?? DEFAULT_MAX_DEVICES;
  if (!Number.isInteger(maxDevices) || maxDevices < 1) throw new RangeError(`maxDevices must be a positive integer (got ${maxDevices})`);
  const listeners = new Set<(w: WindowResult) => void>();
  const eventListeners = new Set<(e: FeedEvent) => void>();
  const forgetListeners = new Set<(deviceId: string) => void>();
  const statusTable = createStatusTable();
  const alertList: AlertEvent[] = [];
  /** Devices with state, least recently updated first (a Set keeps insertion order; a touch re-inserts). */
  const devices = new Set<string>();

  /** The device touched last (the newest in `devices`): windows come grouped by device, and touching it again changes nothing. */
  let lastTouched: string | null = null;

  function forget(deviceId: string, reason: ForgetReason): boolean {
    if (deviceId === lastTouched) lastTouched = null;
    const had = devices.delete(deviceId);
    buffer.forget(deviceId);
    statusTable.delete(deviceId);
    if (!had) return false;
    opts.onForget?.(deviceId, reason);
    fanOut(forgetListeners, deviceId);
    return true;
  }

  function touch(deviceId: string): void {
    if (deviceId === lastTouched) return;
    lastTouched = deviceId;
    devices.delete(deviceId);
    devices.add(deviceId);
    while (devices.size > maxDevices) forget(devices.values().next().value!, 'evicted');
  }

  return {
    subscribe: (listener) => subscriber(listeners, listener),
    subscribeEvents: (listener) => subscriber(eventListeners, listener),
    subscribeForget: (listener) => subscriber(forgetListeners, listener),
    recent: () => buffer.all(),
    top: (n) => buffer.top(n),
    statuses: () => statusTable.all(),
    statusOf: (deviceId) => statusTable.get(deviceId),
    alerts: () => [...alertList],
    forgetDevice: (deviceId, reason = 'removed') => forget(deviceId, reason),
    stateSize: () => ({ devices: devices.size, ...buffer.size(), statuses: statusTable.size() }),
    push(w) {
      if (!buffer.add(w)) return false;
      touch(w.deviceId);
      // One failing listener must not starve the others; the first error goes back to the caller.
      fanOut(listeners, w);
      return true;
    },
    pushStatus(s) {
      if (!statusTable.add(s)) return false;
      touch(s.deviceId);
      fanOut(eventListeners, { type: 'status', status: s });
      return true;
    },
    pushAlert(a) {
      alertList.push(a);
      if (alertList.length > alertsKept) alertList.shift();
      fanOut(eventListeners, { type: 'alert', alert: a });
    },
  };
}
