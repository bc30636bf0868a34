// The live hub: the browsers connected to WebSocket /live and what is broadcast to them.
// Protocol (server -> client only, JSON text frames, docs/dashboard.md):
//   {"type":"hello","fields":[...],"windows":[[...],...],"status":[...],"alerts":[...]} on connect;
//   {"type":"windows","sentAt":ms,"rows":[[...],...]} for the windows accepted since the last frame;
//   {"type":"status","status":{DeviceStatus}} and {"type":"alert","alert":{AlertEvent}} as they come;
//   {"type":"resync"} then close 4000 "resync" for a client that fell behind.
// Client -> server, optional: {"type":"view","view":"all"|"overview"} or
// {"type":"view","view":"device","device":ID} narrows the windows frames to what that page shows:
// "all" (the default) every window; "overview" the device totals plus "top" (the top interfaces
// by utilization and by bit/s over the latest window of every interface); "device" that device's
// windows. The same views can be asked for in the URL (/live?view=overview,
// /live?view=device&device=ID), which also fits the hello to the view (the overview's hello: the
// device totals and the top lists, not every interface's windows). Status and alerts go to every view.
// A window travels as a row: its values in the order of `fields` (LIVE_WINDOW_FIELDS), the rates
// the page shows without the exact counters (those come from REST), which keeps a frame ~5x smaller
// than the WindowResult wire form. Rows carry (deviceId, ifIndex, windowStart, revision), so the
// client keeps the highest revision and drops duplicates.
// Rules: browsers from another origin are refused (close 1008) so a foreign page cannot read the
// traffic data; windows accepted in one turn of the event loop go out as one text frame, serialized
// and UTF-8 encoded once for all clients; a client whose send buffer (ws bufferedAmount) passes the
// bound gets nothing more but a "resync" message and a 4000 close (it reconnects and reloads from
// REST), so a slow client costs bounded memory and never delays the others; peers that stop
// answering pings are terminated. Bounded: the hello holds at most `helloWindows` windows (the
// newest, in /api/recent's paging order, with the cursor of the rest as "next"); connections are
// capped per client address and in total (admit(): server.ts answers 429/503 before the upgrade;
// accept() closes 1013 if a race got past it).
import { WebSocket } from 'ws';
import { encodeAlertEvent, type AlertEvent } from '../common/contracts/alert-event.js';
import { encodeDeviceStatus, type DeviceStatus } from '../common/contracts/device-status.js';
import type { WindowResult } from '../common/contracts/window-result.js';
import type { Logger } from '../common/log.js';
import { Counter, Gauge, type Registry } from '../common/metrics.js';
import type { FeedEvent, WindowFeed } from './feed/window-feed.js';
import { pageWindows } from './recent-page.js';

export const CLOSE_POLICY = 1008;
export const CLOSE_RESYNC = 4000;
export const CLOSE_GOING_AWAY = 1001;
/** "Try again later": the connection caps were reached. */
export const CLOSE_TRY_AGAIN = 1013;

export interface LiveHubOptions {
  /** Send-buffer bound per client, bytes. */
  maxBufferedBytes: number;
  /** Ping interval; a client that has not answered the previous ping is terminated. */
  heartbeatMs: number;
  /** Windows in a hello, at most (dashboard.limits.helloWindows). */
  helloWindows: number;
  /** Open connections per client address (dashboard.limits.wsPerClient). */
  maxPerClient: number;
  /** Open connections in total (dashboard.limits.wsTotal). */
  maxTotal: number;
}

/** Whether one more connection from a client fits the caps (pure). */
export type AdmitDecision = { ok: true } | { ok: false; reason: 'per_client' | 'total'; message: string };

export function admitDecision(open: { total: number; fromClient: number }, limits: { maxPerClient: number; maxTotal: number }): AdmitDecision {
  if (open.total >= limits.maxTotal) return { ok: false, reason: 'total', message: `the dashboard serves ${limits.maxTotal} live connections already (dashboard.limits.wsTotal); try again later` };
  if (open.fromClient >= limits.maxPerClient) return { ok: false, reason: 'per_client', message: `this address has ${limits.maxPerClient} live connections open already (dashboard.limits.wsPerClient)` };
  return { ok: true };
}

export interface LiveHub {
  /** Whether a client address may open one more connection now (the caps). */
  admit(address: string): AdmitDecision;
  /** Takes a freshly upgraded socket: checks its origin and the caps, sends the hello of its view, adds it to the broadcast. */
  accept(socket: WebSocket, headers: { origin?: string; host?: string; view?: LiveView; address?: string }): void;
  /** Subscribes to the feed and starts the heartbeat. */
  start(): void;
  /** Unsubscribes and closes every client (1001 going away). */
  stop(): void;
  clientCount(): number;
  /** Sends the windows queued so far now instead of at the end of this event-loop turn. */
  flush(): void;
}

/** The WindowResult fields a live row carries, in row order. */
export const LIVE_WINDOW_FIELDS = [
  'deviceId', 'ifIndex', 'ifName', 'windowStart', 'windowEnd', 'inBps', 'outBps', 'inPps', 'outPps',
  'inAvgPacketSize', 'outAvgPacketSize', 'speed', 'inUtilization', 'outUtilization', 'peakInBps', 'peakOutBps',
  'coverage', 'sampleCount', 'revision',
] as const satisfies ReadonlyArray<keyof WindowResult>;

export type LiveRow = Array<string | number | null>;

/**
 * A window's row: its LIVE_WINDOW_FIELDS values in that order. Spelled out: an array literal is
 * cheaper than mapping the field names, and a frame stringifies one row per window.
 */
export function windowRow(w: WindowResult): LiveRow {
  return [w.deviceId, w.ifIndex, w.ifName, w.windowStart, w.windowEnd, w.inBps, w.outBps, w.inPps, w.outPps, w.inAvgPacketSize, w.outAvgPacketSize, w.speed, w.inUtilization, w.outUtilization, w.peakInBps, w.peakOutBps, w.coverage, w.sampleCount, w.revision];
}

/**
 * Windows as the JSON array of their rows. One JSON.stringify of the whole array: measured faster
 * than stringifying each row and joining them, and than writing the rows with templates.
 */
export function rowsJson(windows: readonly WindowResult[]): string {
  return JSON.stringify(windows.map(windowRow));
}

/**
 * Browsers always send Origin on a WebSocket handshake; other clients (curl, scripts) may not.
 * An absent Origin is allowed; a present one must name the host:port the page was served from.
 */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.host.toLowerCase() === host.toLowerCase();
}

export function windowsMessage(windows: readonly WindowResult[], sentAt: number): string {
  return `{"type":"windows","sentAt":${sentAt},"rows":${rowsJson(windows)}}`;
}

/** `next`: the /api/recent cursor of the windows the hello left out (null: it holds them all). */
export function helloMessage(recent: readonly WindowResult[], status: readonly DeviceStatus[] = [], alerts: readonly AlertEvent[] = [], top?: { utilization: WindowResult[]; bps: WindowResult[] }, next: string | null = null): string {
  const topPart = top ? `,"top":{"utilization":${rowsJson(top.utilization)},"bps":${rowsJson(top.bps)}}` : '';
  return `{"type":"hello","fields":${JSON.stringify(LIVE_WINDOW_FIELDS)},"windows":${rowsJson(recent)},"next":${JSON.stringify(next)},"status":[${status.map(encodeDeviceStatus).join(',')}],"alerts":[${alerts.map(encodeAlertEvent).join(',')}]${topPart}}`;
}

export function eventMessage(e: FeedEvent): string {
  return e.type === 'status' ? `{"type":"status","status":${encodeDeviceStatus(e.status)}}` : `{"type":"alert","alert":${encodeAlertEvent(e.alert)}}`;
}

export const RESYNC_MESSAGE = '{"type":"resync"}';

/** ws's public send options for a prebuilt UTF-8 Buffer sent as a text frame, uncompressed (one object, not one per send). */
const SEND_TEXT = { binary: false, compress: false } as const;

/** What a client asked to receive (see the protocol above). */
export type LiveView = { kind: 'all' } | { kind: 'overview' } | { kind: 'device'; deviceId: string };

/** How many interfaces each top list of an overview frame holds. */
export const OVERVIEW_TOP_N = 10;

/** A client's view message, or null when the text is not one (it is then ignored and counted). */
export function parseViewMessage(text: string): LiveView | null {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null) return null;
  const o = m as Record<string, unknown>;
  if (o.type !== 'view') return null;
  if (o.view === 'all') return { kind: 'all' };
  if (o.view === 'overview') return { kind: 'overview' };
  if (o.view === 'device' && typeof o.device === 'string' && o.device.length > 0 && o.device.length <= 128) return { kind: 'device', deviceId: o.device };
  return null;
}

/**
 * The view asked for in the /live URL (`?view=overview`, `?view=device&device=ID`), so the hello
 * already fits it; anything else (or nothing) is the "all" view.
 */
export function parseViewQuery(query: unknown): LiveView {
  const q = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  if (q.view === 'overview') return { kind: 'overview' };
  if (q.view === 'device' && typeof q.device === 'string' && q.device.length > 0 && q.device.length <= 128) return { kind: 'device', deviceId: q.device };
  return { kind: 'all' };
}

const viewKey = (v: LiveView) => (v.kind === 'device' ? `device:${v.deviceId}` : v.kind);

const utilizationScore = (w: WindowResult) => (w.inUtilization === null && w.outUtilization === null ? null : Math.max(w.inUtilization ?? 0, w.outUtilization ?? 0));

const byKey = (a: WindowResult, b: WindowResult) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : (a.ifIndex ?? 0) - (b.ifIndex ?? 0));
const byUtilization = (a: WindowResult, b: WindowResult) => (utilizationScore(b) ?? 0) - (utilizationScore(a) ?? 0) || byKey(a, b);
const byBps = (a: WindowResult, b: WindowResult) => b.outBps + b.inBps - (a.outBps + a.inBps) || byKey(a, b);

/**
 * Keeps the n first of `best` (sorted by `cmp`) with `w` among them: an insertion from the end, after
 * any equal ones, so the result is what a stable sort of everything then slice(0, n) gives.
 */
function keepTop(best: WindowResult[], w: WindowResult, n: number, cmp: (a: WindowResult, b: WindowResult) => number): void {
  if (best.length === n && cmp(w, best[n - 1]) >= 0) return;
  let i = best.length < n ? best.length : n - 1;
  while (i > 0 && cmp(w, best[i - 1]) < 0) {
    best[i] = best[i - 1];
    i--;
  }
  best[i] = w;
}

/**
 * The n interfaces with the highest utilization (unknown speed left out) and the highest in + out
 * bit/s, ties by deviceId then ifIndex: what the overview's top lists mean. The feed answers them
 * from its compact store (series-store.ts top(), tested against this); this one pass that keeps the
 * n best of each, not a sort of every interface, serves the windows of a batch in the benchmarks.
 */
export function topInterfaces(latest: Iterable<WindowResult>, n: number): { utilization: WindowResult[]; bps: WindowResult[] } {
  const utilization: WindowResult[] = [];
  const bps: WindowResult[] = [];
  if (n <= 0) return { utilization, bps };
  for (const w of latest) {
    if (w.ifIndex === null) continue;
    if (utilizationScore(w) !== null) keepTop(utilization, w, n, byUtilization);
    keepTop(bps, w, n, byBps);
  }
  return { utilization, bps };
}

/**
 * The windows frame for one view of a batch, or null when the view has nothing in it. `top` is
 * asked only for overview frames (it looks at every interface's latest window).
 */
export function viewFrame(view: LiveView, batch: readonly WindowResult[], top: () => { utilization: WindowResult[]; bps: WindowResult[] }, sentAt: number): { msg: string; rows: number } | null {
  if (view.kind === 'all') return { msg: windowsMessage(batch, sentAt), rows: batch.length };
  if (view.kind === 'device') {
    const mine = batch.filter((w) => w.deviceId === view.deviceId);
    return mine.length === 0 ? null : { msg: windowsMessage(mine, sentAt), rows: mine.length };
  }
  const totals = batch.filter((w) => w.ifIndex === null);
  const t = top();
  return { msg: `{"type":"windows","sentAt":${sentAt},"rows":${rowsJson(totals)},"top":{"utilization":${rowsJson(t.utilization)},"bps":${rowsJson(t.bps)}}}`, rows: totals.length + t.utilization.length + t.bps.length };
}

/**
 * The slow-client policy: send while the client's unsent bytes are within the bound, else drop it
 * for resync. Checked before each send, so one frame may take a client past the bound once.
 */
export function sendDecision(bufferedAmount: number, maxBufferedBytes: number): 'send' | 'resync' {
  return bufferedAmount > maxBufferedBytes ? 'resync' : 'send';
}

export function createLiveHub(
  log: Logger,
  deps: { feed: WindowFeed; registry: Registry; now?: () => number; originAllowed?: (origin: string | undefined, host: string | undefined) => boolean },
  opts: LiveHubOptions,
): LiveHub {
  const now = deps.now ?? Date.now;
  // The dashboard's policy (its Host allow-list, server.ts); alone, the page's own origin only.
  const originOk = deps.originAllowed ?? originAllowed;
  const clients = new Map<WebSocket, { alive: boolean; view: LiveView; address: string }>();
  /** Open connections per client address. */
  const perClient = new Map<string, number>();
  // The feed keeps every interface's newest window and answers the top lists from its compact store
  // (series-store.ts), so the hub keeps no window alive for them.
  const currentTop = () => deps.feed.top(OVERVIEW_TOP_N);
  const connections = new Counter({ name: 'netmon_dashboard_ws_connections_total', help: 'WebSocket clients accepted', registers: [deps.registry] });
  const rejected = new Counter({ name: 'netmon_dashboard_ws_rejected_total', help: 'WebSocket clients refused, by reason: origin, per_client (cap per address), total (cap of all)', labelNames: ['reason'], registers: [deps.registry] });
  const dropped = new Counter({ name: 'netmon_dashboard_ws_slow_dropped_total', help: 'WebSocket clients closed for resync because their send buffer was full', registers: [deps.registry] });
  const timedOut = new Counter({ name: 'netmon_dashboard_ws_timeouts_total', help: 'WebSocket clients terminated for not answering pings', registers: [deps.registry] });
  const sent = new Counter({ name: 'netmon_dashboard_ws_windows_sent_total', help: 'Window rows sent to WebSocket clients', registers: [deps.registry] });
  const frames = new Counter({ name: 'netmon_dashboard_ws_frames_total', help: 'Frames (windows batches, status, alerts) sent to WebSocket clients', registers: [deps.registry] });
  const badMessages = new Counter({ name: 'netmon_dashboard_ws_bad_messages_total', help: 'Client messages that are not a view message (ignored)', registers: [deps.registry] });
  new Gauge({ name: 'netmon_dashboard_ws_clients', help: 'Connected WebSocket clients', registers: [deps.registry], collect() { this.set(clients.size); } });

  const unsubscribe: Array<() => void> = [];
  let heartbeat: NodeJS.Timeout | null = null;
  let pending: WindowResult[] = [];
  let flushScheduled: NodeJS.Immediate | null = null;

  /**
   * Sends each client the frame of its view (null = nothing for it) while within its bound; drops
   * the others for resync. Each distinct view's frame is serialized and UTF-8 encoded once (ws would
   * otherwise encode the string again for every client), and what is done per client is what a bare
   * ws server does (the bound check, send of the shared Buffer): the counters are added up once after
   * the loop, not per client.
   */
  function sendAll(frameOf: (view: LiveView) => { msg: string; rows: number } | null): void {
    const cache = new Map<string, { bytes: Buffer; rows: number } | null>();
    let framesSent = 0;
    let rowsSent = 0;
    for (const [socket, state] of clients) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      const key = viewKey(state.view);
      let frame = cache.get(key);
      if (frame === undefined) {
        const f = frameOf(state.view);
        frame = f === null ? null : { bytes: Buffer.from(f.msg, 'utf8'), rows: f.rows };
        cache.set(key, frame);
      }
      if (frame === null) continue;
      const { bytes, rows } = frame;
      if (sendDecision(socket.bufferedAmount, opts.maxBufferedBytes) === 'resync') {
        // Both queue behind the backlog; ws destroys the socket if the peer never answers the close.
        forget(socket);
        dropped.inc();
        log.warn({ bufferedBytes: socket.bufferedAmount }, 'slow WebSocket client dropped for resync');
        socket.send(RESYNC_MESSAGE);
        socket.close(CLOSE_RESYNC, 'resync');
        continue;
      }
      socket.send(bytes, SEND_TEXT);
      framesSent++;
      rowsSent += rows;
    }
    if (framesSent > 0) frames.inc(framesSent);
    if (rowsSent > 0) sent.inc(rowsSent);
  }

  function flush(): void {
    if (flushScheduled) clearImmediate(flushScheduled);
    flushScheduled = null;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    if (clients.size === 0) return;
    const sentAt = now();
    let top: { utilization: WindowResult[]; bps: WindowResult[] } | null = null;
    sendAll((view) => viewFrame(view, batch, () => (top ??= currentTop()), sentAt));
  }

  function onWindow(w: WindowResult): void {
    pending.push(w);
    // Everything accepted in this turn of the event loop (a Kafka batch, a processor flush) goes as one frame.
    flushScheduled ??= setImmediate(flush);
  }

  function onEvent(e: FeedEvent): void {
    flush(); // keep the order the feed saw
    if (clients.size > 0) {
      const msg = eventMessage(e);
      sendAll(() => ({ msg, rows: 0 }));
    }
  }

  /** The hello of a view: the recent windows it shows (the overview: device totals and the top lists). */
  function hello(view: LiveView): string {
    const status = deps.feed.statuses?.() ?? [];
    const alerts = deps.feed.alerts?.() ?? [];
    const recent = deps.feed.recent();
    const bounded = (ws: readonly WindowResult[], device?: string) => pageWindows(ws, { limit: opts.helloWindows, device });
    if (view.kind === 'all') {
      const p = bounded(recent);
      return helloMessage(p.windows, status, alerts, undefined, p.next);
    }
    if (view.kind === 'device') {
      const p = bounded(recent, view.deviceId);
      return helloMessage(p.windows, status, alerts, undefined, p.next);
    }
    // The device totals only: one per device and window, bounded like the rest.
    const p = bounded(recent.filter((w) => w.ifIndex === null));
    return helloMessage(p.windows, status, alerts, currentTop(), p.next);
  }

  function forget(socket: WebSocket): void {
    const state = clients.get(socket);
    if (!state) return;
    clients.delete(socket);
    const n = (perClient.get(state.address) ?? 1) - 1;
    if (n <= 0) perClient.delete(state.address);
    else perClient.set(state.address, n);
  }

  function admit(address: string): AdmitDecision {
    return admitDecision({ total: clients.size, fromClient: perClient.get(address) ?? 0 }, opts);
  }

  function ping(): void {
    for (const [socket, state] of clients) {
      if (!state.alive) {
        forget(socket);
        timedOut.inc();
        socket.terminate();
        continue;
      }
      state.alive = false;
      socket.ping();
    }
  }

  return {
    admit(address) {
      const d = admit(address);
      if (!d.ok) rejected.inc({ reason: d.reason });
      return d;
    },
    accept(socket, headers) {
      if (!originOk(headers.origin, headers.host)) {
        rejected.inc({ reason: 'origin' });
        log.warn({ origin: headers.origin, host: headers.host }, 'WebSocket from a foreign origin refused');
        socket.close(CLOSE_POLICY, 'origin not allowed');
        return;
      }
      const address = headers.address ?? '';
      const admitted = admit(address);
      if (!admitted.ok) {
        rejected.inc({ reason: admitted.reason });
        socket.close(CLOSE_TRY_AGAIN, admitted.reason === 'total' ? 'too many connections' : 'too many connections from this address');
        return;
      }
      perClient.set(address, (perClient.get(address) ?? 0) + 1);
      const state: { alive: boolean; view: LiveView; address: string } = { alive: true, view: headers.view ?? { kind: 'all' }, address };
      // Queued windows go to the others first: the hello already holds them (they are in recent()).
      flush();
      // hello and the registration happen in one synchronous step, so no window falls in between.
      socket.send(hello(state.view));
      clients.set(socket, state);
      connections.inc();
      socket.on('pong', () => {
        state.alive = true;
      });
      socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
        const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
        const view = parseViewMessage(text);
        if (view) state.view = view;
        else badMessages.inc();
      });
      socket.on('close', () => forget(socket));
      socket.on('error', (err) => log.debug({ err: err.message }, 'WebSocket client error'));
    },
    start() {
      if (unsubscribe.length === 0) {
        unsubscribe.push(deps.feed.subscribe(onWindow));
        if (deps.feed.subscribeEvents) unsubscribe.push(deps.feed.subscribeEvents(onEvent));
      }
      heartbeat ??= setInterval(ping, opts.heartbeatMs);
    },
    stop() {
      for (const u of unsubscribe.splice(0)) u();
      if (flushScheduled) clearImmediate(flushScheduled);
      flushScheduled = null;
      pending = [];
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      for (const socket of clients.keys()) socket.close(CLOSE_GOING_AWAY, 'server stopping');
      clients.clear();
      perClient.clear();
    },
    clientCount: () => clients.size,
    flush,
  };
}
