// Counter streams through the whole engine: what resets, wraps, gaps and bad samples do to windows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Recorder, assertResult, at, engine, feed, iface, pcap, sample, steady } from './engine.fixture.js';

const traffic = { inOctets: 7_500, outOctets: 3_750, inPackets: 100, outPackets: 50 };

test('reset in the middle: no spike, the reset interval is excluded, coverage shows the hole', () => {
  const e = engine();
  const rec = new Recorder();
  const c = (inOctets: bigint) => [iface(1, { inOctets })];
  feed(e, rec, [
    sample('r', 5, c(5_000n)),
    sample('r', 25, c(25_000n)),
    sample('r', 45, c(10_000n), 1_000), // rebooted 10 s ago: sysUpTime 10 s, counters restarted
    sample('r', 65, c(30_000n), 3_000),
  ]);
  assert.deepEqual(rec.kinds(), ['first', 'reset:sysuptime-went-back']);
  // Windows from an interval not counted on wait for a late sample to fill it (holes): the watermark or the end of the source closes them.
  rec.take(e.finishSource('r'));
  // [5, 25) and 15 s of [45, 65); [25, 45) is unknown.
  assertResult(rec.one('r', 1, 0), { inOctets: 35_000n, coverage: 35 / 60, inBps: 8_000, peakInBps: 8_000, sampleCount: 2 });
});

test('32-bit wrap in a stream: exact totals, no event', () => {
  const e = engine();
  const rec = new Recorder();
  const r = { ...traffic, width: 32 as const, offset: (1n << 32n) - 300_000n };
  feed(e, rec, [30, 90, 150, 210].map((sec) => sample('r', sec, [steady(1, sec, r)])));
  assert.deepEqual(rec.kinds(), ['first']);
  for (const start of [60, 120]) assertResult(rec.one('r', 1, start), { inOctets: 450_000n, inBps: 60_000, coverage: 1 });
});

test('gap: a long silence is not spread, windows around it show partial coverage', () => {
  const e = engine({ maxGapMs: 120_000 });
  const rec = new Recorder();
  feed(e, rec, [30, 90, 400, 460, 520].map((sec) => sample('r', sec, [steady(1, sec, traffic)])));
  assert.deepEqual(rec.kinds(), ['first', 'gap']);
  // Windows from an interval not counted on wait for a late sample to fill it (holes): the watermark or the end of the source closes them.
  rec.take(e.finishSource('r'));
  assert.deepEqual(
    rec.windows.filter((w) => w.ifIndex === 1).map((w) => [(w.windowStart - at(0)) / 1000, w.coverage, w.inOctets]),
    [
      [0, 0.5, 225_000n],
      [60, 0.5, 225_000n],
      [360, 20 / 60, 150_000n],
      [420, 1, 450_000n],
      // The last window, partial, closed with the source.
      [480, 40 / 60, 300_000n],
    ],
  );
});

test('out-of-order and duplicate polls are dropped: the enclosing delta covers them', () => {
  const e = engine();
  const rec = new Recorder();
  feed(e, rec, [
    sample('r', 30, [steady(1, 30, traffic)]),
    sample('r', 90, [steady(1, 90, traffic)]),
    sample('r', 60, [steady(1, 60, traffic)]),
    sample('r', 90, [steady(1, 90, traffic)]),
    sample('r', 150, [steady(1, 150, traffic)]),
  ]);
  assert.deepEqual(rec.kinds(), ['first', 'out-of-order', 'out-of-order']);
  assertResult(rec.one('r', 1, 60), { inOctets: 450_000n, sampleCount: 2, coverage: 1 });
});

test('implausible rate: interval dropped whole (not clipped), next one measured from the new baseline', () => {
  const e = engine();
  const rec = new Recorder();
  const slow = { inOctets: 1_000, speed: 1e6 };
  feed(e, rec, [
    sample('r', 30, [steady(1, 30, slow)]),
    sample('r', 90, [iface(1, { speed: 1e6, inOctets: 10n ** 12n })]),
    sample('r', 150, [iface(1, { speed: 1e6, inOctets: 10n ** 12n + 60_000n })]),
  ]);
  assert.deepEqual(rec.kinds(), ['first', 'implausible:in-octets-above-speed']);
  // Windows from an interval not counted on wait for a late sample to fill it (holes): the watermark or the end of the source closes them.
  rec.take(e.finishSource('r'));
  assertResult(rec.one('r', 1, 60), { inOctets: 30_000n, coverage: 0.5, inBps: 8_000, peakInBps: 8_000, inUtilization: 0.8 });
});

test('width change mid-stream resets the baseline without a spike', () => {
  const e = engine();
  const rec = new Recorder();
  feed(e, rec, [
    sample('r', 30, [steady(1, 30, traffic)]),
    sample('r', 90, [steady(1, 90, { ...traffic, width: 32, offset: 7n })]),
    sample('r', 150, [steady(1, 150, { ...traffic, width: 32, offset: 7n })]),
  ]);
  assert.deepEqual(rec.kinds(), ['first', 'reset:width-changed']);
  // Windows from an interval not counted on wait for a late sample to fill it (holes): the watermark or the end of the source closes them.
  rec.take(e.finishSource('r'));
  assertResult(rec.one('r', 1, 60), { inOctets: 225_000n, coverage: 0.5, inBps: 60_000 });
});

test('pcap deltas: final=true closes the import windows at once, later data for them is late', () => {
  const e = engine({ outOfOrdernessMs: 3_600_000 });
  const rec = new Recorder();
  feed(e, rec, [pcap('cap', 1, 58, 59, 100n, 1n), pcap('cap', 1, 59, 60, 300n, 3n)]);
  assert.equal(rec.windows.length, 0);
  feed(e, rec, [pcap('cap', 1, 60, 61, 50n, 1n, true)]);
  assert.deepEqual(rec.last.windows.map((w) => [(w.windowStart - at(0)) / 1000, w.ifIndex]), [
    [0, 1],
    [0, null],
    [60, 1],
    [60, null],
  ]);
  assertResult(rec.one('cap', 1, 0), {
    ifName: 'cap1',
    inOctets: 400n,
    inPackets: 4n,
    coverage: 2 / 60,
    inBps: 1_600,
    peakInBps: 2_400,
    inAvgPacketSize: 100,
    speed: null,
    inUtilization: null,
    sampleCount: 2,
  });
  assertResult(rec.one('cap', 1, 60), { inOctets: 50n, coverage: 1 / 60, sampleCount: 1 });
  feed(e, rec, [pcap('cap', 1, 61, 62, 1n)]);
  assert.deepEqual(rec.last, { windows: [], events: [{ kind: 'late', deviceId: 'cap', ifIndex: 1, reason: 'window-closed', ts: at(62) }] });
});

test('finishSource on an unknown device emits nothing', () => {
  assert.deepEqual(engine().finishSource('nobody'), { windows: [], events: [] });
});

test('exact beyond 2^53: a huge delta at unknown speed and pcap sums crossing 2^53 stay exact', () => {
  const e = engine({ outOfOrdernessMs: 3_600_000 });
  const rec = new Recorder();
  const huge = 10n ** 16n + 7n; // > 2^53, allowed at unknown speed (1 Pbit/s x 2)
  feed(e, rec, [
    sample('r', 30, [iface(1, { speed: 0 })]),
    sample('r', 90, [iface(1, { speed: 0, inOctets: huge })]),
    pcap('p', 1, 10, 11, (1n << 52n) + 1n),
    pcap('p', 2, 10, 11, 1n),
    pcap('p', 1, 11, 12, (1n << 52n) + 1n, 1n, true),
  ]);
  rec.take(e.finishSource('r'));
  assert.deepEqual(rec.find('r', 1, 0).map((w) => w.inOctets), [huge / 2n]);
  assert.deepEqual(rec.find('r', null, 0).map((w) => w.inOctets), [huge / 2n]);
  assert.deepEqual(rec.find('r', 1, 60).map((w) => w.inOctets), [huge - huge / 2n]);
  assert.deepEqual(rec.find('p', 1, 0).map((w) => w.inOctets), [(1n << 53n) + 2n]);
  assert.deepEqual(rec.find('p', null, 0).map((w) => w.inOctets), [(1n << 53n) + 3n]);
});

test('pcap buckets out of order still land in one interface window each', () => {
  const e = engine({ outOfOrdernessMs: 3_600_000 });
  const rec = new Recorder();
  feed(e, rec, [pcap('p', 1, 70, 71, 1n), pcap('p', 1, 10, 11, 2n), pcap('p', 1, 80, 81, 4n), pcap('p', 1, 20, 21, 8n, 1n, true)]);
  assert.deepEqual(
    rec.windows.map((w) => [(w.windowStart - at(0)) / 1000, w.ifIndex, w.inOctets, w.sampleCount]),
    [
      [0, 1, 10n, 2],
      [0, null, 10n, 2],
      [60, 1, 5n, 2],
      [60, null, 5n, 2],
    ],
  );
});

test('a sample without interfaces completes nothing', () => {
  const e = engine({ outOfOrdernessMs: 3_600_000 });
  const rec = new Recorder();
  feed(e, rec, [sample('r', 30, [steady(1, 30, traffic)]), sample('r', 50, [steady(1, 50, traffic)]), sample('r', 200, [])]);
  assert.equal(rec.windows.length, 0);
  feed(e, rec, [sample('r', 70, [steady(1, 70, traffic)])]);
  assertResult(rec.one('r', 1, 0), { inOctets: 225_000n, coverage: 0.5 });
});
