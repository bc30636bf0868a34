// netmon dashboard, the page's pure model: unit and time formatting, live rows -> windows, the
// per-series window store (highest revision wins, duplicates dropped, bounded), the live state the
// views draw from (windows, device statuses, the device list, recent alerts, the server's top lists)
// and how each /live message changes it, timelines with gaps as null, top-N, and the reconnect
// backoff. Plain ES module with no DOM access and no clock of its own (the time is passed in), so
// Node's unit tests import it as it is (dashboard/live-model.test.ts) and the browser loads it from app.js.

/** SI steps (1000), as network rates are quoted. */
export const BPS_UNITS = ['b/s', 'kb/s', 'Mb/s', 'Gb/s', 'Tb/s'];

/** A value in the largest unit that keeps it >= 1, with 3 significant digits; '—' when unknown. */
export function scaled(value, units, step) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  let i = 0;
  let v = Math.abs(value);
  while (v >= step && i < units.length - 1) {
    v /= step;
    i++;
  }
  // 999.9996 kb/s would print as "1000 kb/s": move up a unit when rounding reaches the step.
  const digits = v >= 100 || (i === 0 && v >= 10) ? 0 : v >= 10 ? 1 : v === 0 ? 0 : 2;
  if (Number(v.toFixed(digits)) >= step && i < units.length - 1) {
    v /= step;
    i++;
    return `${value < 0 ? '-' : ''}${v.toFixed(2)} ${units[i]}`;
  }
  return `${value < 0 ? '-' : ''}${v.toFixed(digits)} ${units[i]}`;
}

export const formatBps = (v) => scaled(v, BPS_UNITS, 1000);
export const formatPps = (v) => scaled(v, ['pkt/s', 'kpkt/s', 'Mpkt/s'], 1000);
export const formatPercent = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(v >= 10 ? 0 : 1)} %`);

/** A time as the page shows it: hours and minutes, with the day when `long`. */
export function formatTime(ms, long) {
  const d = new Date(ms);
  return long ? d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** How long before `now` the time `ms` was: seconds up to two minutes, then minutes; "never" without a time. */
export function ago(ms, now) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

/** The series a window belongs to: "device" for the device total, "device/ifIndex" for an interface. */
export function seriesKey(w) {
  return w.ifIndex === null ? w.deviceId : `${w.deviceId}/${w.ifIndex}`;
}

/** A live row (values in the order of the hello's fields) as a window object. */
export function rowToWindow(fields, row) {
  const w = {};
  for (let i = 0; i < fields.length; i++) w[fields[i]] = row[i];
  return w;
}

/**
 * Windows per series, keyed by windowStart. A window replaces the kept one only with a higher
 * revision (equal = duplicate, lower = stale: both dropped); each series keeps the newest `perSeries`.
 */
export function createWindowStore(perSeries = 180) {
  const series = new Map();
  return {
    /** true when the window was kept (new, or a higher revision). */
    add(w) {
      if (!w || typeof w.deviceId !== 'string' || typeof w.windowStart !== 'number') return false;
      const key = seriesKey(w);
      let points = series.get(key);
      if (!points) {
        points = new Map();
        series.set(key, points);
      }
      const prev = points.get(w.windowStart);
      if (prev && prev.revision >= w.revision) return false;
      if (!prev && points.size >= perSeries) {
        const oldest = Math.min(...points.keys());
        if (w.windowStart < oldest) return false;
        points.delete(oldest);
      }
      points.set(w.windowStart, w);
      return true;
    },
    /** The windows of one series, oldest first. */
    windows(key) {
      const points = series.get(key);
      return points ? [...points.values()].sort((a, b) => a.windowStart - b.windowStart) : [];
    },
    latest(key) {
      const ws = this.windows(key);
      return ws.length ? ws[ws.length - 1] : null;
    },
    keys: () => [...series.keys()],
    clear: () => series.clear(),
  };
}

/**
 * What the dashboard page's views draw from, filled from REST and the live socket: the windows
 * (`perSeries` per series), deviceId -> DeviceStatus, deviceId -> device of /api/devices, the recent
 * alerts, the overview's top lists as the server last sent them ({utilization, bps} of windows, or
 * null), and the hello's field order for live rows.
 */
export function createLiveState(perSeries) {
  return { store: createWindowStore(perSeries), statuses: new Map(), devices: new Map(), alerts: [], top: null, fields: null };
}

/** Keeps a device status unless the one kept is of a later poll (REST and the socket can cross). */
export function applyStatus(state, s) {
  const prev = state.statuses.get(s.deviceId);
  if (prev && (prev.lastPollAt ?? -1) > (s.lastPollAt ?? -1)) return;
  state.statuses.set(s.deviceId, s);
}

const MAX_ALERTS = 100;

/** One /live message into the state: hello, windows, status and alert (anything else changes nothing). */
export function applyLiveMessage(state, msg) {
  const top = (t) => ({ utilization: t.utilization.map((r) => rowToWindow(state.fields, r)), bps: t.bps.map((r) => rowToWindow(state.fields, r)) });
  if (msg.type === 'hello') {
    state.fields = msg.fields;
    for (const row of msg.windows) state.store.add(rowToWindow(state.fields, row));
    for (const s of msg.status) applyStatus(state, s);
    if (msg.alerts.length) state.alerts = msg.alerts;
    if (msg.top) state.top = top(msg.top);
  } else if (msg.type === 'windows' && state.fields) {
    for (const row of msg.rows) state.store.add(rowToWindow(state.fields, row));
    if (msg.top) {
      state.top = top(msg.top);
      for (const w of [...state.top.utilization, ...state.top.bps]) state.store.add(w);
    }
  } else if (msg.type === 'status') {
    applyStatus(state, msg.status);
  } else if (msg.type === 'alert') {
    state.alerts.push(msg.alert);
    if (state.alerts.length > MAX_ALERTS) state.alerts.shift();
  }
}

/** Every device the page knows of (listed, with a status, or with windows), sorted. */
export function deviceIds(state) {
  const ids = new Set([...state.devices.keys(), ...state.statuses.keys()]);
  for (const k of state.store.keys()) ids.add(k.split('/')[0]);
  return [...ids].sort();
}

/** The interface series of a device, by ifIndex. */
export function interfaceKeys(store, id) {
  return store
    .keys()
    .filter((k) => k.startsWith(`${id}/`))
    .sort((a, b) => Number(a.split('/')[1]) - Number(b.split('/')[1]));
}

/**
 * Every slot from the oldest to the newest window, at most maxSlots; a slot with no window is null
 * (the chart draws a gap, never a zero). The step is the windows' own length.
 */
export function timeline(windows, maxSlots) {
  if (windows.length === 0) return { t: [], points: [] };
  const newest = windows[windows.length - 1];
  const step = newest.windowEnd - newest.windowStart || 60_000;
  const first = Math.max(windows[0].windowStart, newest.windowStart - (maxSlots - 1) * step);
  const byStart = new Map(windows.map((w) => [w.windowStart, w]));
  const t = [];
  const points = [];
  for (let s = first; s <= newest.windowStart; s += step) {
    t.push(s);
    points.push(byStart.get(s) ?? null);
  }
  return { t, points };
}

/** Utilization of a window: the larger of in and out, null when the speed is unknown. */
export function utilization(w) {
  const a = w.inUtilization;
  const b = w.outUtilization;
  if (a === null && b === null) return null;
  return Math.max(a ?? 0, b ?? 0);
}

/** The n windows with the highest score (null scores left out), highest first; ties by series key. */
export function topN(windows, score, n) {
  return windows
    .map((w) => ({ w, s: score(w) }))
    .filter((x) => x.s !== null && Number.isFinite(x.s))
    .sort((a, b) => b.s - a.s || (seriesKey(a.w) < seriesKey(b.w) ? -1 : 1))
    .slice(0, n)
    .map((x) => x.w);
}

/** Exponential backoff with +-25 % jitter: min * 2^attempt, capped at max. `random` is in [0, 1). */
export function backoffDelay(attempt, random, minMs = 500, maxMs = 10_000) {
  return Math.round(Math.min(maxMs, minMs * 2 ** attempt) * (0.75 + random * 0.5));
}
