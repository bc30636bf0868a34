// Tests of the live hub's rules with recording fake sockets: origin policy, hello then batched
// windows, status and alert relay, the slow-client resync drop, and the heartbeat. The real WebSocket path is in server.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { createMemoryFeed } from './feed/window-feed.js';
import { CLOSE_POLICY, CLOSE_RESYNC, admitDecision, createLiveHub, LIVE_WINDOW_FIELDS, originAllowed, parseViewMessage, parseViewQuery, sendDecision, topInterfaces, windowRow, type LiveRow, type LiveView } from './live-hub.js';
import { rowObject, sampleWindow } from './dashboard.fixture.js';
import type { DeviceStatus } from '../common/contracts/device-status.js';
import type { WindowResult } from '../common/contracts/window-result.js';
import type { AlertEvent } from '../common/contracts/alert-event.js';

/** Caps no test of the hub's other rules reaches. */
const CAPS = { helloWindows: 100_000, maxPerClient: 1000, maxTotal: 1000 };

function sampleStatus(over: Partial<DeviceStatus> = {}): DeviceStatus {
  return { v: 1, kind: 'device-status', deviceId: 'r1', state: 'up', lastError: null, lastPollAt: 1_700_000_100_000, lastSuccessAt: 1_700_000_100_000, lastPollDurationMs: 12, interfaces: 4, ...over };
}

function sampleAlert(over: Partial<AlertEvent> = {}): AlertEvent {
  return { v: 1, kind: 'alert-event', ruleId: 'util-high', deviceId: 'r1', ifIndex: 1, state: 'firing', severity: 'warning', metric: 'inUtilization', value: 91, threshold: 90, windowStart: 1_700_000_040_000, ts: 1_700_000_101_000, message: 'in utilization 91 % > 90 %', ...over };
}

class FakeSocket extends EventEmitter {
  readyState = 1; // OPEN
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closedWith: { code: number; reason: string } | null = null;
  terminated = false;
  pings = 0;
  send(msg: string | Buffer, opts?: { binary?: boolean }) {
    // Frames go out as UTF-8 bytes sent as text (binary: false); hello and resync as strings.
    if (Buffer.isBuffer(msg) && opts?.binary !== false) throw new Error('a Buffer must be sent as a text frame');
    this.sent.push(msg.toString());
  }
  close(code: number, reason: string) {
    this.closedWith = { code, reason };
    this.readyState = 2; // CLOSING
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
  }
  ping() {
    this.pings++;
  }
  asWs(): WebSocket {
    return this as unknown as WebSocket;
  }
}

const types = (s: FakeSocket) => s.sent.map((m) => (JSON.parse(m) as { type: string }).type);

void test('originAllowed', async (t) => {
  const cases: Array<{ name: string; origin: string | undefined; host: string | undefined; want: boolean }> = [
    { name: 'no origin (curl, scripts)', origin: undefined, host: '127.0.0.1:8080', want: true },
    { name: 'same host and port', origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080', want: true },
    { name: 'https page, same host', origin: 'https://netmon.example:8443', host: 'netmon.example:8443', want: true },
    { name: 'host case differs', origin: 'http://NetMon.example', host: 'netmon.example', want: true },
    { name: 'other port', origin: 'http://127.0.0.1:9999', host: '127.0.0.1:8080', want: false },
    { name: 'other site', origin: 'http://evil.example', host: '127.0.0.1:8080', want: false },
    { name: 'opaque origin', origin: 'null', host: '127.0.0.1:8080', want: false },
    { name: 'file page', origin: 'file://', host: '127.0.0.1:8080', want: false },
    { name: 'origin but no host header', origin: 'http://127.0.0.1:8080', host: undefined, want: false },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(originAllowed(c.origin, c.host), c.want));
});

void test('live hub: hello with the recent windows, status and alerts, then batched windows; foreign origins refused', () => {
  const feed = createMemoryFeed();
  feed.push(sampleWindow({ revision: 0 }));
  feed.pushStatus(sampleStatus());
  const hub = createLiveHub(silentLogger, { feed, registry: createRegistry({ defaultMetrics: false }), now: () => 42 }, { ...CAPS, maxBufferedBytes: 1024, heartbeatMs: 60_000 });
  hub.start();
  const good = new FakeSocket();
  const foreign = new FakeSocket();
  hub.accept(good.asWs(), { host: '127.0.0.1:1' });
  hub.accept(foreign.asWs(), { origin: 'http://evil.example', host: '127.0.0.1:1' });
  assert.deepEqual(foreign.closedWith, { code: CLOSE_POLICY, reason: 'origin not allowed' });
  assert.deepEqual(foreign.sent, []);

  // Two windows in one turn of the event loop go out as one frame, once flushed.
  feed.push(sampleWindow({ revision: 1 }));
  feed.push(sampleWindow({ ifIndex: 2, revision: 0 }));
  assert.deepEqual(types(good), ['hello'], 'windows wait for the end of the turn');
  hub.flush();
  assert.deepEqual(types(good), ['hello', 'windows']);
  const hello = JSON.parse(good.sent[0]) as { fields: string[]; windows: LiveRow[]; status: Array<{ deviceId: string; state: string }>; alerts: unknown[] };
  assert.deepEqual(hello.fields, [...LIVE_WINDOW_FIELDS]);
  assert.equal(hello.windows.length, 1);
  const w0 = rowObject(hello.fields, hello.windows[0]);
  assert.equal(w0.deviceId, 'r1');
  assert.equal(w0.inBps, 1_200_000);
  assert.equal(w0.revision, 0);
  assert.deepEqual(hello.status.map((x) => `${x.deviceId}:${x.state}`), ['r1:up']);
  assert.deepEqual(hello.alerts, []);
  const frame = JSON.parse(good.sent[1]) as { sentAt: number; rows: LiveRow[] };
  assert.equal(frame.sentAt, 42);
  assert.deepEqual(frame.rows.map((r) => `${rowObject(LIVE_WINDOW_FIELDS, r).ifIndex}r${rowObject(LIVE_WINDOW_FIELDS, r).revision}`), ['1r1', '2r0']);
  assert.equal(hub.clientCount(), 1);

  // Status and alerts are relayed as they come, after the windows queued before them.
  feed.push(sampleWindow({ ifIndex: 3 }));
  feed.pushStatus(sampleStatus({ state: 'unreachable', lastPollAt: 1_700_000_200_000, lastError: 'timeout' }));
  feed.pushAlert(sampleAlert());
  assert.deepEqual(types(good), ['hello', 'windows', 'windows', 'status', 'alert']);
  assert.equal((JSON.parse(good.sent[3]) as { status: { state: string } }).status.state, 'unreachable');
  assert.equal((JSON.parse(good.sent[4]) as { alert: { ruleId: string } }).alert.ruleId, 'util-high');

  hub.stop();
  assert.equal(good.closedWith?.code, 1001);
  feed.push(sampleWindow({ revision: 5 }));
  hub.flush();
  assert.equal(good.sent.length, 5, 'no broadcast after stop');
});

void test('sendDecision: send within the bound, resync beyond it', async (t) => {
  const cases = [
    { name: 'empty buffer', buffered: 0, max: 1024, want: 'send' },
    { name: 'at the bound', buffered: 1024, max: 1024, want: 'send' },
    { name: 'one byte over', buffered: 1025, max: 1024, want: 'resync' },
    { name: 'far over', buffered: 10 * 1024 * 1024, max: 1024, want: 'resync' },
  ] as const;
  for (const c of cases) await t.test(c.name, () => assert.equal(sendDecision(c.buffered, c.max), c.want));
});

void test('live hub: a slow client gets a resync message and a 4000 close; the others keep receiving', () => {
  const feed = createMemoryFeed();
  const registry = createRegistry({ defaultMetrics: false });
  const hub = createLiveHub(silentLogger, { feed, registry }, { ...CAPS, maxBufferedBytes: 4 * 1024 * 1024, heartbeatMs: 60_000 });
  hub.start();
  const slow = new FakeSocket();
  const fast = new FakeSocket();
  hub.accept(slow.asWs(), {});
  hub.accept(fast.asWs(), {});
  slow.bufferedAmount = 5 * 1024 * 1024;
  feed.push(sampleWindow({ windowStart: 0, windowEnd: 60_000 }));
  hub.flush();
  feed.push(sampleWindow({ windowStart: 60_000, windowEnd: 120_000 }));
  hub.flush();
  assert.deepEqual(slow.closedWith, { code: CLOSE_RESYNC, reason: 'resync' });
  assert.deepEqual(types(slow), ['hello', 'resync'], 'nothing but the resync after the bound');
  assert.deepEqual(types(fast), ['hello', 'windows', 'windows']);
  assert.equal(hub.clientCount(), 1);
  hub.stop();
});

void test('live hub: a client that stops answering pings is terminated', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const hub = createLiveHub(silentLogger, { feed: createMemoryFeed(), registry: createRegistry({ defaultMetrics: false }) }, { ...CAPS, maxBufferedBytes: 1024, heartbeatMs: 1000 });
  hub.start();
  const silent = new FakeSocket();
  const answering = new FakeSocket();
  answering.ping = () => answering.emit('pong');
  hub.accept(silent.asWs(), {});
  hub.accept(answering.asWs(), {});
  t.mock.timers.tick(1000);
  assert.equal(silent.pings, 1);
  assert.equal(silent.terminated, false);
  t.mock.timers.tick(1000);
  assert.equal(silent.terminated, true);
  assert.equal(answering.terminated, false);
  assert.equal(hub.clientCount(), 1);
  hub.stop();
});

void test('parseViewMessage', async (t) => {
  const cases: Array<{ name: string; text: string; want: LiveView | null }> = [
    { name: 'all', text: '{"type":"view","view":"all"}', want: { kind: 'all' } },
    { name: 'overview', text: '{"type":"view","view":"overview"}', want: { kind: 'overview' } },
    { name: 'device', text: '{"type":"view","view":"device","device":"r1"}', want: { kind: 'device', deviceId: 'r1' } },
    { name: 'device without id', text: '{"type":"view","view":"device"}', want: null },
    { name: 'unknown view', text: '{"type":"view","view":"map"}', want: null },
    { name: 'other type', text: '{"type":"hello"}', want: null },
    { name: 'not JSON', text: 'view overview', want: null },
    { name: 'JSON null', text: 'null', want: null },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(parseViewMessage(c.text), c.want));
});

void test('topInterfaces: by utilization (unknown speed left out) and by bit/s; device totals never listed', () => {
  const ws = [
    sampleWindow({ ifIndex: 1, inUtilization: 5, outUtilization: 60, inBps: 10, outBps: 10 }),
    sampleWindow({ ifIndex: 2, inUtilization: 30, outUtilization: 1, inBps: 5000, outBps: 0 }),
    sampleWindow({ ifIndex: 3, inUtilization: null, outUtilization: null, inBps: 9e9, outBps: 0 }),
    sampleWindow({ ifIndex: null, inBps: 1e12 }),
  ];
  const top = topInterfaces(ws, 2);
  assert.deepEqual(top.utilization.map((w) => w.ifIndex), [1, 2]);
  assert.deepEqual(top.bps.map((w) => w.ifIndex), [3, 2]);
});

void test('topInterfaces keeps the n best in one pass: the same lists, in the same order, as sorting everything (ties by device, then ifIndex)', () => {
  // The definition it replaced: every interface sorted, then the first n.
  const score = (w: WindowResult) => (w.inUtilization === null && w.outUtilization === null ? null : Math.max(w.inUtilization ?? 0, w.outUtilization ?? 0));
  const byKey = (a: WindowResult, b: WindowResult) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : (a.ifIndex ?? 0) - (b.ifIndex ?? 0));
  const sorted = (ws: WindowResult[], n: number) => {
    const ifaces = ws.filter((w) => w.ifIndex !== null);
    return {
      utilization: ifaces.filter((w) => score(w) !== null).sort((a, b) => (score(b) ?? 0) - (score(a) ?? 0) || byKey(a, b)).slice(0, n),
      bps: [...ifaces].sort((a, b) => b.outBps + b.inBps - (a.outBps + a.inBps) || byKey(a, b)).slice(0, n),
    };
  };
  let seed = 7;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % k;
  };
  for (let round = 0; round < 40; round++) {
    const ws: WindowResult[] = [];
    const count = rnd(60);
    for (let i = 0; i < count; i++) {
      // Few distinct values, so ties are common; some unknown speeds and device totals.
      const util = rnd(5) === 0 ? null : rnd(4) * 10;
      ws.push(sampleWindow({ deviceId: `d${rnd(4)}`, ifIndex: rnd(8) === 0 ? null : 1 + rnd(50), inUtilization: util, outUtilization: util === null ? null : rnd(3) * 10, inBps: rnd(3) * 1000, outBps: rnd(2) * 500 }));
    }
    for (const n of [0, 1, 3, 10, 100]) {
      const got = topInterfaces(ws, n);
      const want = sorted(ws, n);
      assert.deepEqual(got.utilization, want.utilization, `utilization, round ${round}, n ${n}`);
      assert.deepEqual(got.bps, want.bps, `bps, round ${round}, n ${n}`);
    }
  }
});

void test('live hub views: all, overview (device totals + top lists), device; status to every view; bad messages ignored', () => {
  const feed = createMemoryFeed();
  const registry = createRegistry({ defaultMetrics: false });
  const hub = createLiveHub(silentLogger, { feed, registry }, { ...CAPS, maxBufferedBytes: 1 << 20, heartbeatMs: 60_000 });
  hub.start();
  const all = new FakeSocket();
  const overview = new FakeSocket();
  const device = new FakeSocket();
  for (const s of [all, overview, device]) hub.accept(s.asWs(), {});
  overview.emit('message', Buffer.from('{"type":"view","view":"overview"}'));
  device.emit('message', Buffer.from('{"type":"view","view":"device","device":"r2"}'));
  all.emit('message', Buffer.from('not a view'));

  feed.push(sampleWindow({ deviceId: 'r1', ifIndex: 1, inBps: 100, inUtilization: 50 }));
  feed.push(sampleWindow({ deviceId: 'r1', ifIndex: null, inBps: 100 }));
  feed.push(sampleWindow({ deviceId: 'r2', ifIndex: 7, inBps: 900, inUtilization: 10 }));
  hub.flush();
  type Frame = { rows: LiveRow[]; top?: { utilization: LiveRow[]; bps: LiveRow[] } };
  const last = (s: FakeSocket) => JSON.parse(s.sent[s.sent.length - 1]) as Frame;
  const keys = (rows: LiveRow[]) => rows.map((r) => `${r[0]}/${r[1] ?? '-'}`);
  assert.deepEqual(keys(last(all).rows), ['r1/1', 'r1/-', 'r2/7']);
  assert.deepEqual(keys(last(overview).rows), ['r1/-'], 'the overview gets the device totals');
  assert.deepEqual(keys(last(overview).top?.utilization ?? []), ['r1/1', 'r2/7']);
  assert.deepEqual(keys(last(overview).top?.bps ?? []), ['r2/7', 'r1/1']);
  assert.deepEqual(keys(last(device).rows), ['r2/7']);

  // A batch with nothing for r2: the device view gets no frame; the others do.
  feed.push(sampleWindow({ deviceId: 'r1', ifIndex: 1, windowStart: 1_700_000_100_000, windowEnd: 1_700_000_160_000, inBps: 1, inUtilization: 1 }));
  hub.flush();
  assert.deepEqual(types(device), ['hello', 'windows']);
  assert.deepEqual(types(overview), ['hello', 'windows', 'windows']);
  assert.deepEqual(keys(last(overview).top?.utilization ?? []), ['r2/7', 'r1/1'], 'the top lists follow the latest window of each interface');

  feed.pushStatus({ v: 1, kind: 'device-status', deviceId: 'r1', state: 'up', lastError: null, lastPollAt: 1, lastSuccessAt: 1, lastPollDurationMs: 1, interfaces: 1 });
  for (const s of [all, overview, device]) assert.equal(types(s).at(-1), 'status');
  hub.stop();
});

void test('windowRow: the LIVE_WINDOW_FIELDS values in that order (spelled out in the hub, checked here against the list)', () => {
  const w = sampleWindow({ deviceId: 'r"1\u00e9', ifIndex: 3, ifName: 'ge-0/0/3 \u2603', inBps: 1 / 3, inUtilization: null, speed: null, revision: 4 });
  assert.deepEqual(windowRow(w), LIVE_WINDOW_FIELDS.map((f) => w[f]));
  assert.equal(JSON.stringify(windowRow(w)), JSON.stringify(LIVE_WINDOW_FIELDS.map((f) => w[f])));
});

void test('live hub: the frame and counters per flush; a forgotten device leaves the top lists', async () => {
  const feed = createMemoryFeed();
  const registry = createRegistry({ defaultMetrics: false });
  const hub = createLiveHub(silentLogger, { feed, registry }, { ...CAPS, maxBufferedBytes: 1 << 20, heartbeatMs: 60_000 });
  hub.start();
  const a = new FakeSocket();
  const b = new FakeSocket();
  const overview = new FakeSocket();
  hub.accept(a.asWs(), {});
  hub.accept(b.asWs(), {});
  hub.accept(overview.asWs(), { view: { kind: 'overview' } });
  feed.push(sampleWindow({ deviceId: 'r1', ifIndex: 1, inBps: 100, inUtilization: 50 }));
  feed.push(sampleWindow({ deviceId: 'r2', ifIndex: 7, inBps: 900, inUtilization: 10 }));
  hub.flush();
  // Every "all" client gets the same bytes; the counters add up every client's frame and rows.
  assert.equal(a.sent[1], b.sent[1]);
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await registry.getSingleMetricAsString(name))?.[1]);
  assert.equal(await metric('netmon_dashboard_ws_frames_total'), 3);
  assert.equal(await metric('netmon_dashboard_ws_windows_sent_total'), 2 + 2 + 4, 'two rows to each "all" client, two in each top list to the overview');
  feed.forgetDevice('r2');
  feed.push(sampleWindow({ deviceId: 'r1', ifIndex: 2, inBps: 5, inUtilization: 1 }));
  hub.flush();
  const top = (JSON.parse(overview.sent.at(-1) ?? '{}') as { top: { bps: LiveRow[] } }).top.bps.map((r) => `${r[0]}/${r[1]}`);
  assert.deepEqual(top, ['r1/1', 'r1/2'], 'r2 left the top lists with the device');
  hub.stop();
});

void test('parseViewQuery and the hello of each view', () => {
  assert.deepEqual(parseViewQuery({ view: 'overview' }), { kind: 'overview' });
  assert.deepEqual(parseViewQuery({ view: 'device', device: 'r2' }), { kind: 'device', deviceId: 'r2' });
  assert.deepEqual(parseViewQuery({ view: 'device' }), { kind: 'all' });
  assert.deepEqual(parseViewQuery({}), { kind: 'all' });
  assert.deepEqual(parseViewQuery(undefined), { kind: 'all' });

  const feed = createMemoryFeed();
  feed.push(sampleWindow({ deviceId: 'r1', ifIndex: 1, inUtilization: 50 }));
  feed.push(sampleWindow({ deviceId: 'r1', ifIndex: null }));
  feed.push(sampleWindow({ deviceId: 'r2', ifIndex: 7, inUtilization: 10 }));
  const hub = createLiveHub(silentLogger, { feed, registry: createRegistry({ defaultMetrics: false }) }, { ...CAPS, maxBufferedBytes: 1 << 20, heartbeatMs: 60_000 });
  hub.start();
  const sockets = { all: new FakeSocket(), overview: new FakeSocket(), device: new FakeSocket() };
  hub.accept(sockets.all.asWs(), {});
  hub.accept(sockets.overview.asWs(), { view: { kind: 'overview' } });
  hub.accept(sockets.device.asWs(), { view: { kind: 'device', deviceId: 'r2' } });
  type Hello = { windows: LiveRow[]; top?: { utilization: LiveRow[] } };
  const hello = (s: FakeSocket) => JSON.parse(s.sent[0]) as Hello;
  const keys = (rows: LiveRow[]) => rows.map((r) => `${r[0]}/${r[1] ?? '-'}`);
  // The hello's order is /api/recent's: newest first, then device, the device total before its interfaces.
  assert.deepEqual(keys(hello(sockets.all).windows), ['r1/-', 'r1/1', 'r2/7']);
  assert.equal(hello(sockets.all).top, undefined);
  assert.deepEqual(keys(hello(sockets.overview).windows), ['r1/-'], 'the overview hello: device totals');
  assert.deepEqual(keys(hello(sockets.overview).top?.utilization ?? []), ['r1/1', 'r2/7'], 'and the top lists, from windows taken before the hub started');
  assert.deepEqual(keys(hello(sockets.device).windows), ['r2/7']);
  hub.stop();
});

void test('the hello is bounded: the newest windows and the cursor of the rest; connections capped per address and in total', () => {
  const feed = createMemoryFeed();
  for (let k = 0; k < 5; k++) feed.push(sampleWindow({ deviceId: 'r1', ifIndex: 1, windowStart: k * 60_000, windowEnd: (k + 1) * 60_000 }));
  const registry = createRegistry({ defaultMetrics: false });
  const hub = createLiveHub(silentLogger, { feed, registry }, { maxBufferedBytes: 1 << 20, heartbeatMs: 60_000, helloWindows: 2, maxPerClient: 2, maxTotal: 3 });
  hub.start();
  const a = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  for (const s of a) hub.accept(s.asWs(), { address: '10.0.0.1' });
  const hello = JSON.parse(a[0].sent[0]) as { windows: LiveRow[]; next: string | null };
  assert.deepEqual(hello.windows.map((r) => r[3]), [240_000, 180_000], 'the two newest');
  assert.equal(typeof hello.next, 'string', 'the cursor of the rest');
  assert.deepEqual(a[2].closedWith, { code: 1013, reason: 'too many connections from this address' });
  assert.equal(hub.clientCount(), 2);
  assert.deepEqual(hub.admit('10.0.0.1'), { ok: false, reason: 'per_client', message: 'this address has 2 live connections open already (dashboard.limits.wsPerClient)' });
  assert.equal(hub.admit('10.0.0.2').ok, true);
  const b = new FakeSocket();
  hub.accept(b.asWs(), { address: '10.0.0.2' });
  assert.equal(hub.admit('10.0.0.3').ok, false, 'three open: the total cap');
  // A closed connection frees its place.
  a[0].emit('close');
  assert.equal(hub.admit('10.0.0.1').ok, true);
  hub.stop();
});

void test('admitDecision', () => {
  const limits = { maxPerClient: 2, maxTotal: 10 };
  assert.equal(admitDecision({ total: 0, fromClient: 0 }, limits).ok, true);
  assert.equal(admitDecision({ total: 9, fromClient: 1 }, limits).ok, true);
  assert.deepEqual(admitDecision({ total: 5, fromClient: 2 }, limits), { ok: false, reason: 'per_client', message: 'this address has 2 live connections open already (dashboard.limits.wsPerClient)' });
  assert.equal((admitDecision({ total: 10, fromClient: 0 }, limits) as { reason: string }).reason, 'total');
});
