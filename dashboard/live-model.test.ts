// Tests of the page's pure model (dashboard/public/live-model.js, plain browser JS imported here as
// it is): SI unit scaling, live rows, revision dedup, gaps in live timelines, top-N, backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sampleWindow } from './dashboard.fixture.js';
import { LIVE_WINDOW_FIELDS, windowRow } from './live-hub.js';
import { findPackageRoot } from './static-assets.js';

interface W { deviceId: string; ifIndex: number | null; windowStart: number; windowEnd: number; revision: number; inBps: number; outBps: number; inUtilization: number | null; outUtilization: number | null; ifName?: string | null }
interface Model {
  formatBps(v: number | null): string;
  formatPercent(v: number | null): string;
  rowToWindow(fields: readonly string[], row: unknown[]): W;
  createWindowStore(perSeries: number): { add(w: W): boolean; windows(key: string): W[]; latest(key: string): W | null; keys(): string[] };
  timeline(ws: W[], maxSlots: number): { t: number[]; points: (W | null)[] };
  topN(ws: W[], score: (w: W) => number | null, n: number): W[];
  utilization(w: W): number | null;
  backoffDelay(attempt: number, random: number, minMs?: number, maxMs?: number): number;
}

const file = join(findPackageRoot(dirname(fileURLToPath(import.meta.url))), 'dashboard', 'public', 'live-model.js');
const m = (await import(pathToFileURL(file).href)) as Model;
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
