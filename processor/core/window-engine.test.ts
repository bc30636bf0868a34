import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Recorder, assertResult, at, engine, feed, iface, pcap, sample, steady } from './engine.fixture.js';
import { createWindowEngine } from './window-engine.js';

const traffic = { inOctets: 7_500, outOctets: 3_750, inPackets: 100, outPackets: 50 };

test('constant traffic: exact totals and rates per window, rollup after its interfaces', () => {
  const e = engine();
  const rec = new Recorder();
  for (const sec of [30, 90, 150, 210, 270]) feed(e, rec, [sample('r1', sec, [steady(1, sec, traffic)])]);

  // The first delta [30, 90) puts half its 60 s into window 0: coverage 0.5 and the same rate.
  assertResult(rec.one('r1', 1, 0), { inOctets: 225_000n, coverage: 0.5, inBps: 60_000, sampleCount: 1, revision: 0 });
  for (const start of [60, 120, 180]) {
    const full = {
      ifName: 'eth1',
      windowEnd: at(start + 60),
      inOctets: 450_000n,
      outOctets: 225_000n,
      inPackets: 6_000n,
      outPackets: 3_000n,
      inErrors: 0n,
      outDiscards: 0n,
      inBps: 60_000,
      outBps: 30_000,
      inPps: 100,
      outPps: 50,
      inAvgPacketSize: 75,
      outAvgPacketSize: 75,
      speed: 1e9,
      inUtilization: 0.006,
      outUtilization: 0.003,
      peakInBps: 60_000,
      peakOutBps: 30_000,
      coverage: 1,
      sampleCount: 2,
      revision: 0,
    };
    assertResult(rec.one('r1', 1, start), full);
    assertResult(rec.one('r1', null, start), { ...full, ifName: null });
  }
  // Window 240 has half its data and no observation at or after its end yet.
  assert.deepEqual(rec.find('r1', 1, 240), []);
  assert.deepEqual(
    rec.last.windows.map((w) => w.ifIndex),
    [1, null],
  );
  assert.deepEqual(e.snapshotSize(), { partitions: 1, devices: 1, interfaces: 1, deviceWindows: 1, interfaceWindows: 1 });
});

test('a delta spanning three windows is split exactly (10 s, 60 s, 50 s of 120 s)', () => {
  const e = engine();
  const rec = new Recorder();
  feed(e, rec, [
    sample('r1', 50, [iface(1, { inOctets: 0n, inPackets: 0n })]),
    sample('r1', 170, [iface(1, { inOctets: 1_200n, inPackets: 7n })]),
  ]);
  rec.take(e.finishSource('r1'));
  const parts = [0, 60, 120].map((s) => rec.one('r1', 1, s));
  assert.deepEqual(parts.map((p) => p.inOctets), [100n, 600n, 500n]);
  // 7 packets: floor(7*10/120) = 0, floor(7*70/120) = 4, remainder 3.
  assert.deepEqual(parts.map((p) => p.inPackets), [0n, 4n, 3n]);
  assert.deepEqual(parts.map((p) => p.coverage), [10 / 60, 1, 50 / 60]);
  assert.deepEqual(parts.map((p) => p.peakInBps), [80, 80, 80]);
  assert.equal(parts[0].inAvgPacketSize, null);
});

test('a complete window is emitted on the observation after its end, not on the watermark', () => {
  const e = engine({ outOfOrdernessMs: 3_600_000 });
  const rec = new Recorder();
  assert.equal(rec.take(e.ingest(sample('r1', 30, [steady(1, 30, traffic)]), 0, 0)).windows.length, 0);
  assert.deepEqual(
    rec.take(e.ingest(sample('r1', 90, [steady(1, 90, traffic)]), 0, 0)).windows.map((w) => [w.windowStart, w.ifIndex]),
    [
      [at(0), 1],
      [at(0), null],
    ],
  );
  assert.ok(e.partitionInfo(0)!.watermark < at(60), 'watermark is far behind');
});

test('watermark emission: window with a hole is emitted with its coverage when another device moves time on', () => {
  const e = engine({ outOfOrdernessMs: 30_000 });
  const rec = new Recorder();
  const rate = { inOctets: 1_000 };
  feed(e, rec, [sample('a', 10, [steady(1, 10, rate)]), sample('a', 50, [steady(1, 50, rate)])]);
  assert.equal(rec.windows.length, 0);
  feed(e, rec, [sample('b', 95, [steady(1, 95, rate)])]); // watermark 95 - 30 = 65 >= 60
  assertResult(rec.one('a', 1, 0), { inOctets: 40_000n, coverage: 40 / 60, inBps: 8_000, sampleCount: 1, revision: 0 });
  assertResult(rec.one('a', null, 0), { inOctets: 40_000n, coverage: 40 / 60, revision: 0 });
});

test('idle partition: tick() lets the watermark follow processing time after idleTimeoutMs', () => {
  const e = engine({ outOfOrdernessMs: 30_000, idleTimeoutMs: 10_000 });
  const rec = new Recorder();
  const rate = { inOctets: 1_000 };
  rec.take(e.ingest(sample('a', 10, [steady(1, 10, rate)]), 3, 1_000));
  rec.take(e.ingest(sample('a', 50, [steady(1, 50, rate)]), 3, 2_000));
  const cases: Array<{ name: string; now: number; emits: number }> = [
    { name: 'not idle yet', now: 2_000 + 9_999, emits: 0 },
    { name: 'idle, watermark 50 + 39.999 - 30 s short of 60', now: 2_000 + 39_999, emits: 0 },
    { name: 'idle, watermark reaches 60', now: 2_000 + 40_000, emits: 2 },
    { name: 'nothing twice', now: 2_000 + 50_000, emits: 0 },
  ];
  for (const c of cases) assert.equal(rec.take(e.tick(c.now)).windows.length, c.emits, c.name);
  assertResult(rec.one('a', 1, 0), { inOctets: 40_000n, coverage: 40 / 60, revision: 0 });
});

test('revision: data after the watermark emission re-emits full totals (completing poll)', () => {
  const e = engine({ outOfOrdernessMs: 30_000 });
  const rec = new Recorder();
  const rate = { inOctets: 1_000 };
  feed(e, rec, [sample('a', 10, [steady(1, 10, rate)]), sample('a', 50, [steady(1, 50, rate)]), sample('b', 95, [steady(1, 95, rate)])]);
  feed(e, rec, [sample('a', 70, [steady(1, 70, rate)])]); // [50, 70): 10 s more in window 0
  assert.deepEqual(
    rec.find('a', 1, 0).map((w) => [w.revision, w.inOctets, w.coverage]),
    [
      [0, 40_000n, 40 / 60],
      [1, 50_000n, 50 / 60],
    ],
  );
  assert.deepEqual(rec.find('a', null, 0).map((w) => w.revision), [0, 1]);
});

test('revision: a pcap bucket inside the allowed lateness re-emits at once', () => {
  const e = engine({ outOfOrdernessMs: 0 });
  const rec = new Recorder();
  feed(e, rec, [pcap('p', 1, 10, 11, 100n), pcap('q', 1, 70, 71, 1n)]);
  assertResult(rec.one('p', 1, 0), { inOctets: 100n, revision: 0 });
  feed(e, rec, [pcap('p', 1, 20, 21, 50n)]);
  assert.deepEqual(
    rec.last.windows.map((w) => [w.ifIndex, w.revision, w.inOctets, w.sampleCount]),
    [
      [1, 1, 150n, 2],
      [null, 1, 150n, 2],
    ],
  );
});

test('late: data beyond the allowed lateness, or for a closed window, is dropped with an event', () => {
  const e = engine({ outOfOrdernessMs: 0, allowedLatenessMs: 60_000 });
  const rec = new Recorder();
  feed(e, rec, [pcap('p', 1, 10, 11, 100n), pcap('q', 1, 200, 201, 1n)]); // watermark 201 > 60 + 60
  assert.equal(rec.find('p', 1, 0).length, 1);
  const cases = [
    { name: 'window 60 never held, watermark past 120 + 60', rec: pcap('p', 1, 80, 81, 5n), reason: 'past-allowed-lateness' },
    { name: 'window 0 emitted and dropped', rec: pcap('p', 1, 20, 21, 5n), reason: 'window-closed' },
  ];
  for (const c of cases) {
    const out = e.ingest(c.rec, 0, 0);
    assert.deepEqual(out, { windows: [], events: [{ kind: 'late', deviceId: 'p', ifIndex: 1, reason: c.reason, ts: c.rec.end }] }, c.name);
  }
  assert.equal(e.partitionInfo(0)!.oldestOpenWindowStart, at(180));
});

test('device rollup: sums, rate sum, known-speed utilization, min coverage, concurrent peak', () => {
  const e = engine();
  const rec = new Recorder();
  const r1 = { inOctets: 1_000, outOctets: 500, speed: 1e9 };
  const r2 = { inOctets: 3_000, speed: 1e8 };
  const r3 = { inOctets: 500, speed: 0 }; // appears at 30: covers half the window
  feed(e, rec, [
    sample('r', 0, [steady(1, 0, r1), steady(2, 0, r2)]),
    sample('r', 30, [steady(1, 30, r1), steady(2, 30, r2), steady(3, 30, r3)]),
    sample('r', 60, [steady(1, 60, r1), steady(2, 60, r2), steady(3, 60, r3)]),
  ]);
  assert.deepEqual(rec.last.windows.map((w) => w.ifIndex), [1, 2, 3, null]);
  assertResult(rec.one('r', 3, 0), { inOctets: 15_000n, inBps: 4_000, coverage: 0.5, speed: null, inUtilization: null });
  assertResult(rec.one('r', null, 0), {
    inOctets: 60_000n + 180_000n + 15_000n,
    outOctets: 30_000n,
    inBps: 8_000 + 24_000 + 4_000,
    outBps: 4_000,
    speed: 1.1e9,
    inUtilization: ((8_000 + 24_000) / 1.1e9) * 100,
    coverage: 0.5,
    sampleCount: 2,
    peakInBps: 36_000, // [30, 60): all three at once
    peakOutBps: 4_000,
    ifName: null,
  });
});

test('output is ordered by window, device, ifIndex with the rollup last', () => {
  const e = engine({ outOfOrdernessMs: 0 });
  const rec = new Recorder();
  feed(e, rec, [pcap('b', 1, 10, 11, 1n), pcap('a', 2, 20, 21, 1n), pcap('a', 1, 20, 21, 1n), pcap('b', 1, 70, 71, 1n), pcap('c', 1, 130, 131, 1n)]);
  assert.deepEqual(
    rec.windows.map((w) => `${(w.windowStart - at(0)) / 1000}:${w.deviceId}/${w.ifIndex ?? '-'}`),
    ['0:a/1', '0:a/2', '0:a/-', '0:b/1', '0:b/-', '60:b/1', '60:b/-'],
  );
});

test('memory stays bounded: completed windows are dropped, held ones expire', () => {
  const e = engine({ outOfOrdernessMs: 0, allowedLatenessMs: 60_000, idleTimeoutMs: 1_000 });
  for (let sec = 10; sec <= 6_010; sec += 20) e.ingest(sample('r', sec, [steady(1, sec, traffic), steady(2, sec, traffic)]), 0, sec * 1000);
  // Only the window the polls are in is held: [6000, 6060) with 10 s of data.
  assert.deepEqual(e.snapshotSize(), { partitions: 1, devices: 1, interfaces: 2, deviceWindows: 1, interfaceWindows: 2 });
  const out = e.tick(6_010_000 + 200_000); // idle: watermark passes 6060 + 60
  assert.deepEqual(out.windows.map((w) => [w.windowStart, w.ifIndex, w.coverage]), [
    [at(6_000), 1, 10 / 60],
    [at(6_000), 2, 10 / 60],
    [at(6_000), null, 10 / 60],
  ]);
  assert.deepEqual(e.snapshotSize(), { partitions: 1, devices: 1, interfaces: 2, deviceWindows: 0, interfaceWindows: 0 });
  e.revokePartition(0);
  assert.deepEqual(e.snapshotSize(), { partitions: 0, devices: 0, interfaces: 0, deviceWindows: 0, interfaceWindows: 0 });
});

const badOptions = [
  { name: 'zero window', opts: { windowMs: 0 } },
  { name: 'negative out-of-orderness', opts: { outOfOrdernessMs: -1 } },
  { name: 'NaN lateness', opts: { allowedLatenessMs: Number.NaN } },
  { name: 'zero gap', opts: { maxGapMs: 0 } },
];
for (const c of badOptions) {
  test(`options rejected: ${c.name}`, () => {
    assert.throws(() => createWindowEngine({ outOfOrdernessMs: 0, maxGapMs: 1, idleTimeoutMs: 0, ...c.opts }), RangeError);
  });
}
