// Tests of the compact series store: the same windows come out as went in (nulls, counters past
// 2^53, names), the ring keeps the feed's rules under random arrival orders (against a plain model
// of the rules: sorted arrays of objects), and top() equals topInterfaces over the newest windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WindowResult } from '../../common/contracts/window-result.js';
import { sampleWindow } from '../dashboard.fixture.js';
import { topInterfaces } from '../live-hub.js';
import { chunkSlots, createSeriesStore } from './series-store.js';

const MIN = 60_000;

/** The feed's rules, plainly: per series a sorted array of the kept windows. */
function model(perSeries: number) {
  const series = new Map<string, WindowResult[]>();
  return {
    add(w: WindowResult): boolean {
      const key = `${w.deviceId}/${w.ifIndex}`;
      let list = series.get(key);
      if (!list) series.set(key, (list = []));
      const same = list.findIndex((x) => x.windowStart === w.windowStart);
      if (same >= 0) {
        if (w.revision <= list[same].revision) return false;
        list[same] = w;
        return true;
      }
      if (list.length >= perSeries && w.windowStart < list[0].windowStart) return false;
      list.push(w);
      list.sort((a, b) => a.windowStart - b.windowStart);
      if (list.length > perSeries) list.shift();
      return true;
    },
    all: () => [...series.values()].flat(),
    forget(deviceId: string) {
      for (const k of [...series.keys()]) if (k.startsWith(`${deviceId}/`)) series.delete(k);
    },
    newest: () => [...series.values()].map((l) => l.at(-1)!).filter(Boolean),
  };
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

void test('series store: a window comes back as it went in', async (t) => {
  const cases: Array<{ name: string; w: WindowResult }> = [
    { name: 'an interface, counters past 2^53', w: sampleWindow({ inOctets: 18_446_744_073_709_551_615n, outPackets: 9_007_199_254_740_993n }) },
    { name: 'unknown speed and no packets: nulls', w: sampleWindow({ speed: null, inUtilization: null, outUtilization: null, inAvgPacketSize: null, outAvgPacketSize: null }) },
    { name: 'the device total', w: sampleWindow({ ifIndex: null, ifName: null }) },
    { name: 'zeros', w: sampleWindow({ inBps: 0, outBps: 0, coverage: 0, sampleCount: 0, revision: 0, inOctets: 0n }) },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const s = createSeriesStore(3);
      assert.equal(s.add(c.w), true);
      assert.deepStrictEqual(s.all(), [c.w]);
      assert.deepEqual(Object.keys(s.all()[0]), Object.keys(c.w), 'the keys in the schema order');
    });
  }
});

void test('series store: the rules under random arrival orders, replays and forgets', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const r = rng(seed);
    const per = 1 + Math.floor(r() * 5);
    const s = createSeriesStore(per);
    const m = model(per);
    for (let step = 0; step < 3000; step++) {
      const deviceId = `d${Math.floor(r() * 4)}`;
      if (r() < 0.01) {
        s.forget(deviceId);
        m.forget(deviceId);
        continue;
      }
      const ifIndex = r() < 0.2 ? null : 1 + Math.floor(r() * 3);
      const k = Math.floor(r() * 12);
      const w = sampleWindow({ deviceId, ifIndex, windowStart: k * MIN, windowEnd: (k + 1) * MIN, revision: Math.floor(r() * 3), inBps: Math.floor(r() * 1000), ifName: `if${Math.floor(r() * 2)}` });
      assert.equal(s.add(w), m.add(w), `seed ${seed} step ${step}: accepted`);
    }
    const key = (w: WindowResult) => `${w.deviceId}/${w.ifIndex}@${w.windowStart}`;
    const sorted = (ws: WindowResult[]) => [...ws].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    assert.deepStrictEqual(sorted(s.all()), sorted(m.all()), `seed ${seed}: the kept windows`);
    assert.equal(s.size().windows, m.all().length, `seed ${seed}: the count`);
  }
});

void test('series store: series in the order first seen, each in windowStart order', () => {
  const s = createSeriesStore(2);
  const w = (deviceId: string, ifIndex: number | null, k: number) => sampleWindow({ deviceId, ifIndex, windowStart: k * MIN, windowEnd: (k + 1) * MIN });
  for (const x of [w('b', 1, 2), w('a', 1, 1), w('b', 1, 1), w('b', 2, 1), w('a', null, 1), w('b', 1, 3)]) s.add(x);
  assert.deepEqual(s.all().map((x) => `${x.deviceId}/${x.ifIndex}@${x.windowStart / MIN}`), ['b/1@2', 'b/1@3', 'a/1@1', 'b/2@1', 'a/null@1']);
  assert.equal(s.forget('b'), 2);
  s.add(w('b', 1, 5));
  assert.deepEqual(s.all().map((x) => `${x.deviceId}/${x.ifIndex}@${x.windowStart / MIN}`), ['a/1@1', 'a/null@1', 'b/1@5'], 'a forgotten series starts over at the end');
  assert.deepEqual(s.size(), { series: 3, windows: 3 });
});

void test('series store: top() is topInterfaces over the newest window of every interface, through forgets', () => {
  for (const seed of [7, 8, 9]) {
    const r = rng(seed);
    const s = createSeriesStore(3);
    const m = model(3);
    for (let step = 0; step < 2000; step++) {
      if (r() < 0.01) {
        // A forgotten device leaves the lists; its slots are reused by the series that come next.
        const gone = `d${Math.floor(r() * 6)}`;
        s.forget(gone);
        m.forget(gone);
      }
      const k = Math.floor(r() * 6);
      const speed = r() < 0.2 ? null : 1e9;
      // Few distinct values, so ties (broken by deviceId, then ifIndex) are common.
      const inBps = Math.floor(r() * 4) * 1e8;
      const w = sampleWindow({
        deviceId: `d${Math.floor(r() * 6)}`, ifIndex: r() < 0.1 ? null : 1 + Math.floor(r() * 8), windowStart: k * MIN, windowEnd: (k + 1) * MIN, revision: Math.floor(r() * 2),
        speed, inBps, outBps: Math.floor(r() * 3) * 1e8, inUtilization: speed === null ? null : inBps / 1e7, outUtilization: speed === null || r() < 0.3 ? null : Math.floor(r() * 3) * 10,
      });
      s.add(w);
      m.add(w);
      if (step % 97 === 0) {
        const n = 1 + Math.floor(r() * 12);
        assert.deepStrictEqual(s.top(n), topInterfaces(m.newest(), n), `seed ${seed} step ${step} n ${n}`);
      }
    }
    assert.deepStrictEqual(s.top(0), { utilization: [], bps: [] });
  }
});

void test('series store: rejects a non-positive bound', () => {
  assert.throws(() => createSeriesStore(0), RangeError);
});

void test('series store: long rings take small chunks, and series spread over many chunks keep their windows apart', () => {
  assert.equal(chunkSlots(60), 256, '256 rings of 60 windows fit the chunk budget');
  assert.equal(chunkSlots(10_000), 2, 'dashboard.recentWindows at its maximum: 2 rings a chunk, not 490 MB at the first window');
  assert.equal(chunkSlots(1_000_000), 1, 'never fewer than one ring a chunk');
  // 3,000 windows a ring: 7 rings a chunk, so 20 series span 3 chunks.
  const per = 3_000;
  assert.equal(chunkSlots(per), 7);
  const s = createSeriesStore(per);
  const m = model(per);
  for (let k = 0; k < 5; k++) {
    for (let d = 0; d < 20; d++) {
      const w = sampleWindow({ deviceId: `r${d}`, ifIndex: 1 + (d % 3), windowStart: k * MIN, windowEnd: (k + 1) * MIN, inOctets: BigInt(d * 1000 + k), inBps: d + k / 10 });
      assert.equal(s.add(w), m.add(w));
    }
  }
  const key = (x: WindowResult) => `${x.deviceId}/${x.ifIndex}@${x.windowStart}`;
  const sorted = (ws: WindowResult[]) => [...ws].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  assert.deepStrictEqual(sorted(s.all()), sorted(m.all()));
  assert.deepEqual(s.size(), { series: 20, windows: 100 });
});
