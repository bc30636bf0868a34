// Tests of the page's pure model (dashboard/public/live-model.js, plain browser JS imported here as
// it is): SI unit scaling, "ago", live rows, revision dedup, the live state and the /live messages
// that change it, gaps in live timelines, top-N, backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleWindow } from './dashboard.fixture.js';
import { LIVE_WINDOW_FIELDS, windowRow } from './live-hub.js';
import { importPublic } from './public.fixture.js';

interface W { deviceId: string; ifIndex: number | null; windowStart: number; windowEnd: number; revision: number; inBps: number; outBps: number; inUtilization: number | null; outUtilization: number | null; ifName?: string | null }
interface Status { deviceId: string; state: string; lastPollAt: number | null }
interface LiveState {
  store: { windows(key: string): W[]; keys(): string[]; add(w: W): boolean };
  statuses: Map<string, Status>;
  devices: Map<string, { id: string }>;
  alerts: unknown[];
  top: { utilization: W[]; bps: W[] } | null;
  fields: readonly string[] | null;
}
interface Model {
  ago(ms: number | null, now: number): string;
  createLiveState(perSeries: number): LiveState;
  applyStatus(state: LiveState, s: Status): void;
  applyLiveMessage(state: LiveState, msg: unknown): void;
  deviceIds(state: LiveState): string[];
  interfaceKeys(store: LiveState['store'], id: string): string[];
  formatBps(v: number | null): string;
  formatPercent(v: number | null): string;
  rowToWindow(fields: readonly string[], row: unknown[]): W;
  createWindowStore(perSeries: number): { add(w: W): boolean; windows(key: string): W[]; latest(key: string): W | null; keys(): string[] };
  timeline(ws: W[], maxSlots: number): { t: number[]; points: (W | null)[] };
  topN(ws: W[], score: (w: W) => number | null, n: number): W[];
  utilization(w: W): number | null;
  backoffDelay(attempt: number, random: number, minMs?: number, maxMs?: number): number;
}

const m = await importPublic<Model>('live-model.js');
const MIN = 60_000;
const w = (k: number, over: Partial<W> = {}): W => ({ deviceId: 'r1', ifIndex: 1, windowStart: k * MIN, windowEnd: (k + 1) * MIN, revision: 0, inBps: 1000, outBps: 10, inUtilization: 1, outUtilization: 0, ...over });

void test('formatBps: SI units (1000), 3 significant digits', async (t) => {
  const cases: Array<[number | null, string]> = [
    [0, '0 b/s'], [999, '999 b/s'], [1000, '1.00 kb/s'], [1500, '1.50 kb/s'], [12_345, '12.3 kb/s'], [999_999, '1.00 Mb/s'],
    [1_234_567.5, '1.23 Mb/s'], [2_500_000.25, '2.50 Mb/s'], [999_500_000, '1.00 Gb/s'], [10e9, '10.0 Gb/s'], [400e9, '400 Gb/s'], [2e12, '2.00 Tb/s'], [null, '—'], [Number.NaN, '—'],
  ];
  for (const [v, want] of cases) await t.test(`${v} -> ${want}`, () => assert.equal(m.formatBps(v), want));
});

void test('formatPercent', () => {
  assert.equal(m.formatPercent(12.345), '12 %');
  assert.equal(m.formatPercent(0.5), '0.5 %');
  assert.equal(m.formatPercent(null), '—');
});

void test('rowToWindow reads the hub rows', () => {
  const sw = sampleWindow({ ifIndex: 7, revision: 3 });
  const back = m.rowToWindow(LIVE_WINDOW_FIELDS, windowRow(sw));
  assert.equal(back.ifIndex, 7);
  assert.equal(back.revision, 3);
  assert.equal(back.inBps, sw.inBps);
  assert.equal(back.ifName, 'eth0');
});

void test('window store: the highest revision wins, duplicates and stale revisions dropped, bounded', async (t) => {
  const cases: Array<{ name: string; adds: W[]; accepted: boolean[]; want: string[] }> = [
    { name: 'new windows', adds: [w(1), w(2)], accepted: [true, true], want: ['1r0', '2r0'] },
    { name: 'duplicate dropped', adds: [w(1), w(1)], accepted: [true, false], want: ['1r0'] },
    { name: 'new revision replaces', adds: [w(1), w(1, { revision: 1, inBps: 5 })], accepted: [true, true], want: ['1r1'] },
    { name: 'lower revision after a higher one dropped', adds: [w(1, { revision: 2 }), w(1, { revision: 1 })], accepted: [true, false], want: ['1r2'] },
    { name: 'out of order kept in order', adds: [w(3), w(1), w(2)], accepted: [true, true, true], want: ['1r0', '2r0', '3r0'] },
    { name: 'bound: the oldest goes', adds: [w(1), w(2), w(3), w(4)], accepted: [true, true, true, true], want: ['2r0', '3r0', '4r0'] },
    { name: 'bound: older than all kept is refused', adds: [w(2), w(3), w(4), w(1)], accepted: [true, true, true, false], want: ['2r0', '3r0', '4r0'] },
    { name: 'not a window', adds: [{} as W], accepted: [false], want: [] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const s = m.createWindowStore(3);
      assert.deepEqual(c.adds.map((x) => s.add(x)), c.accepted);
      assert.deepEqual(s.windows('r1/1').map((x) => `${x.windowStart / MIN}r${x.revision}`), c.want);
    });
  }
  await t.test('series are separate (device total vs interface)', () => {
    const s = m.createWindowStore(3);
    s.add(w(1));
    s.add(w(1, { ifIndex: null }));
    assert.deepEqual(s.keys().sort(), ['r1', 'r1/1']);
    assert.equal(s.latest('r1')?.ifIndex, null);
  });
});

void test('timeline: missing windows are null slots, never zeros', () => {
  const { t, points } = m.timeline([w(1), w(2), w(5)], 100);
  assert.deepEqual(t, [1, 2, 3, 4, 5].map((k) => k * MIN));
  assert.deepEqual(points.map((p) => (p ? p.inBps : null)), [1000, 1000, null, null, 1000]);
  assert.deepEqual(m.timeline([w(1), w(2), w(5)], 2).t, [4 * MIN, 5 * MIN], 'at most maxSlots, the newest');
  assert.deepEqual(m.timeline([], 10).t, []);
});

void test('topN and utilization', () => {
  const ws = [w(1, { ifIndex: 1, inUtilization: 5, outUtilization: 50 }), w(1, { ifIndex: 2, inUtilization: 20, outUtilization: 1 }), w(1, { ifIndex: 3, inUtilization: null, outUtilization: null, inBps: 9e9 })];
  assert.deepEqual(m.topN(ws, (x) => m.utilization(x), 2).map((x) => x.ifIndex), [1, 2], 'unknown utilization left out');
  assert.deepEqual(m.topN(ws, (x) => x.inBps + x.outBps, 1).map((x) => x.ifIndex), [3]);
  assert.equal(m.utilization(ws[2]), null);
});

void test('backoffDelay: exponential, capped, jittered +-25 %', () => {
  assert.equal(m.backoffDelay(0, 0.5), 500);
  assert.equal(m.backoffDelay(3, 0.5), 4000);
  assert.equal(m.backoffDelay(10, 0.5), 10_000);
  assert.equal(m.backoffDelay(0, 0), 375);
  assert.equal(m.backoffDelay(10, 0.999_999), 12_500);
});

void test('ago: seconds up to two minutes, then minutes; never without a time', async (t) => {
  const now = 1_000_000_000;
  const cases: Array<[number | null, string]> = [[null, 'never'], [0, 'never'], [now, '0 s ago'], [now - 59_400, '59 s ago'], [now - 119_000, '119 s ago'], [now - 120_000, '2 min ago'], [now - 3_600_000, '60 min ago'], [now + 5000, '0 s ago']];
  for (const [ms, want] of cases) await t.test(`${ms} -> ${want}`, () => assert.equal(m.ago(ms, now), want));
});

void test('live state: /live messages change it as the page expects', async (t) => {
  const fields = LIVE_WINDOW_FIELDS;
  const row = (over: Parameters<typeof sampleWindow>[0]) => windowRow(sampleWindow(over));
  const status = (deviceId: string, lastPollAt: number | null, state = 'up'): Status => ({ deviceId, state, lastPollAt });

  await t.test('hello: fields, windows, statuses, alerts and top', () => {
    const s = m.createLiveState(10);
    m.applyLiveMessage(s, { type: 'hello', fields, windows: [row({ ifIndex: 1 }), row({ ifIndex: null, ifName: null })], status: [status('r1', 5)], alerts: [{ id: 'a' }], top: { utilization: [row({ ifIndex: 2 })], bps: [] } });
    assert.deepEqual(s.fields, fields);
    assert.deepEqual(s.store.keys().sort(), ['r1', 'r1/1']);
    assert.equal(s.statuses.get('r1')?.lastPollAt, 5);
    assert.deepEqual(s.alerts, [{ id: 'a' }]);
    assert.deepEqual(s.top?.utilization.map((w) => w.ifIndex), [2]);
    assert.deepEqual(s.store.windows('r1/2'), [], "the hello's top lists are not added to the windows");
  });
  await t.test('hello without alerts keeps the ones from REST', () => {
    const s = m.createLiveState(10);
    s.alerts = [{ id: 'rest' }];
    m.applyLiveMessage(s, { type: 'hello', fields, windows: [], status: [], alerts: [] });
    assert.deepEqual(s.alerts, [{ id: 'rest' }]);
    assert.equal(s.top, null);
  });
  await t.test('windows before a hello are ignored (no field order yet)', () => {
    const s = m.createLiveState(10);
    m.applyLiveMessage(s, { type: 'windows', rows: [row({})] });
    assert.deepEqual(s.store.keys(), []);
  });
  await t.test('windows: rows and the top lists go into the windows', () => {
    const s = m.createLiveState(10);
    m.applyLiveMessage(s, { type: 'hello', fields, windows: [], status: [], alerts: [] });
    m.applyLiveMessage(s, { type: 'windows', rows: [row({ ifIndex: 1 })], top: { utilization: [], bps: [row({ ifIndex: 4 })] } });
    assert.deepEqual(s.store.keys().sort(), ['r1/1', 'r1/4']);
    assert.deepEqual(s.top?.bps.map((w) => w.ifIndex), [4]);
  });
  await t.test('status: an older poll never replaces a newer one', () => {
    const s = m.createLiveState(10);
    m.applyLiveMessage(s, { type: 'status', status: status('r1', 10, 'up') });
    m.applyLiveMessage(s, { type: 'status', status: status('r1', 5, 'unreachable') });
    assert.equal(s.statuses.get('r1')?.state, 'up');
    m.applyStatus(s, status('r1', 11, 'unreachable'));
    assert.equal(s.statuses.get('r1')?.state, 'unreachable');
  });
  await t.test('alert: appended, the newest 100 kept', () => {
    const s = m.createLiveState(10);
    for (let i = 0; i < 105; i++) m.applyLiveMessage(s, { type: 'alert', alert: { i } });
    assert.equal(s.alerts.length, 100);
    assert.deepEqual(s.alerts[0], { i: 5 });
  });
  await t.test('unknown and resync messages change nothing', () => {
    const s = m.createLiveState(10);
    m.applyLiveMessage(s, { type: 'resync' });
    m.applyLiveMessage(s, { type: 'nonsense' });
    assert.deepEqual([s.store.keys(), s.statuses.size, s.alerts, s.top, s.fields], [[], 0, [], null, null]);
  });
});

void test('deviceIds and interfaceKeys', () => {
  const s = m.createLiveState(10);
  s.devices.set('listed', { id: 'listed' });
  m.applyStatus(s, { deviceId: 'polled', state: 'up', lastPollAt: 1 });
  s.store.add(w(1, { deviceId: 'r1', ifIndex: 10 }));
  s.store.add(w(1, { deviceId: 'r1', ifIndex: 2 }));
  s.store.add(w(1, { deviceId: 'r1', ifIndex: null }));
  s.store.add(w(1, { deviceId: 'r10', ifIndex: 1 }));
  assert.deepEqual(m.deviceIds(s), ['listed', 'polled', 'r1', 'r10']);
  assert.deepEqual(m.interfaceKeys(s.store, 'r1'), ['r1/2', 'r1/10'], 'by ifIndex as a number, the device total and r10 left out');
});
