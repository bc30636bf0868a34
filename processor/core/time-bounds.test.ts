// Event-time sanity and idleness: records far ahead of the clock and TrafficDeltas longer than the
// maximum gap are rejected whole (no watermark, no baseline, no state), also in a replay after the
// clock moved on; the idle tick moves a watermark only for time the caller's predicate called idle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, engine, pcap, Recorder, sample, steady } from './engine.fixture.js';

const FUTURE_MS = 300_000;
const rate = { inOctets: 1_000 };

test('a record more than maxFutureMs ahead of processing time is rejected whole and moves nothing', () => {
  const e = engine({ outOfOrdernessMs: 20_000, maxFutureMs: FUTURE_MS });
  const rec = new Recorder();
  const now = at(100);
  rec.take(e.ingest(sample('a', 10, [steady(1, 10, rate)]), 0, now, 0));
  rec.take(e.ingest(sample('a', 50, [steady(1, 50, rate)]), 0, now, 1));
  const before = e.partitionInfo(0)!;
  const cases = [
    { name: 'ten years ahead', rec: sample('a', 10 * 365 * 86_400, [steady(1, 10 * 365 * 86_400, rate)]), future: true },
    { name: 'a second past the bound', rec: sample('b', 100 + 301, [steady(1, 401, rate)]), future: true },
    { name: 'an interface time past the bound', rec: { ...sample('c', 60, []), interfaces: [{ ...steady(1, 60, rate), ts: now + FUTURE_MS + 1 }] }, future: true },
    { name: 'a pcap bucket ending past the bound', rec: pcap('d', 1, 401, 402, 10n), future: true },
    { name: 'exactly at the bound (partition 1, not to move partition 0)', rec: sample('e', 400, [steady(1, 400, rate)]), future: false, partition: 1 },
  ];
  for (const c of cases) {
    const out = e.ingest(c.rec, c.partition ?? 0, now, 2);
    const kinds = out.events.map((x) => x.kind);
    assert.equal(kinds.includes('future'), c.future, `${c.name}: ${kinds.join(',')}`);
    if (c.future) {
      assert.deepEqual(out.windows, [], c.name);
      assert.deepEqual(e.partitionInfo(0), before, `${c.name}: watermark and max event time unchanged`);
      assert.ok(out.events[0].excessMs! > FUTURE_MS, c.name);
    }
  }
  // 'a' keeps its baseline: the next real poll is an ordinary delta, and no device state was made.
  const next = e.ingest(sample('a', 90, [steady(1, 90, rate)]), 0, now, 3);
  assert.deepEqual(next.events, []);
  assert.equal(e.snapshotSize().devices, 2, "'a' and 'e' (accepted at the bound)");
});

test('after a future record, later valid records of the partition are not late (the issue\'s measurement)', () => {
  const e = engine({ outOfOrdernessMs: 20_000, maxFutureMs: FUTURE_MS });
  const rec = new Recorder();
  e.ingest(sample('x', 5, [steady(1, 5, rate)]), 0, at(5), 0);
  rec.take(e.ingest(sample('clock-stepped', 10 * 365 * 86_400, [steady(1, 1, rate)]), 0, at(6), 1));
  for (let k = 1; k <= 16; k++) rec.take(e.ingest(sample('x', 5 + k * 10, [steady(1, 5 + k * 10, rate)]), 0, at(6 + k * 10), 1 + k));
  assert.deepEqual(rec.kinds(), ['future']);
  assert.ok(rec.windows.some((w) => w.deviceId === 'x'), 'windows of the valid device are emitted');
});

test('in a replay, a record rejected as future stays rejected after the clock moved on, and one accepted stays accepted', () => {
  const live = engine({ outOfOrdernessMs: 20_000, maxFutureMs: FUTURE_MS });
  live.ingest(sample('a', 10, [steady(1, 10, rate)]), 0, at(10), 0);
  const ahead = sample('a', 400, [steady(1, 400, rate)]); // 390 s ahead at processing time 10 s
  assert.equal(live.ingest(ahead, 0, at(10), 1).events[0].kind, 'future');
  live.ingest(sample('a', 20, [steady(1, 20, rate)]), 0, at(20), 2);
  const cp = live.checkpoint(0, 3);
  assert.equal(cp.maxEventTs, at(20));
  // Restored an hour later: by the clock the record would be fine now; the checkpoint still rejects it.
  const r = engine({ outOfOrdernessMs: 20_000, maxFutureMs: FUTURE_MS });
  r.restorePartition(0, { floor: cp.floor, maxEventTsBefore: cp.maxEventTsBefore, upto: 3, maxEventTs: cp.maxEventTs }, at(3600));
  const later = at(3600);
  assert.deepEqual(r.ingest(sample('a', 10, [steady(1, 10, rate)]), 0, later, 0).events.map((x) => x.kind), ['first']);
  assert.deepEqual(r.ingest(ahead, 0, later, 1).events.map((x) => x.kind), ['future']);
  assert.deepEqual(r.ingest(sample('a', 20, [steady(1, 20, rate)]), 0, later, 2).events, []);
  // Past `upto`, the clock decides again.
  assert.deepEqual(r.ingest(sample('a', 400, [steady(1, 400, rate)]), 0, later, 3).events.map((x) => x.kind), ['gap']);
});

test('a TrafficDelta longer than the maximum gap is rejected, not apportioned over its span', () => {
  const e = engine({ maxGapMs: 300_000, maxFutureMs: FUTURE_MS });
  const now = at(1000);
  const cases = [
    { name: 'the issue\'s 0 to 8.64e15 ms', rec: { ...pcap('p', 1, 0, 1, 1n), start: 0, end: 8.64e15 }, kind: 'span-too-long' },
    { name: 'one ms over the gap', rec: { ...pcap('p', 1, 0, 1, 1n), start: at(0), end: at(300) + 1 }, kind: 'span-too-long' },
    { name: 'exactly the gap', rec: { ...pcap('p', 1, 0, 1, 1n), start: at(0), end: at(300) }, kind: null },
  ];
  for (const c of cases) {
    const out = e.ingest(c.rec, 0, now, 0);
    const rejected = out.events.find((x) => x.kind === 'span-too-long');
    assert.equal(rejected?.kind ?? null, c.kind, c.name);
    if (c.kind) assert.equal(rejected!.excessMs, c.rec.end - c.rec.start, c.name);
  }
  assert.equal(e.snapshotSize().interfaceWindows, 5, 'only the accepted delta opened windows');
});

test('idle tick: time only counts as idle while the predicate holds; an outage never moves the watermark', () => {
  const e = engine({ outOfOrdernessMs: 30_000, idleTimeoutMs: 10_000 });
  const rec = new Recorder();
  rec.take(e.ingest(sample('a', 10, [steady(1, 10, rate)]), 3, 1_000));
  rec.take(e.ingest(sample('a', 50, [steady(1, 50, rate)]), 3, 2_000));
  let idle = false;
  const pred = (p: number) => {
    assert.equal(p, 3);
    return idle;
  };
  // A seven-minute outage (writes pending or the broker silent): ticks every second, nothing moves.
  for (let t = 3_000; t <= 420_000; t += 1_000) assert.equal(rec.take(e.tick(t, pred)).windows.length, 0, `outage tick at ${t}`);
  assert.equal(e.partitionInfo(3)!.watermark, at(50) - 30_000);
  // Caught up again after the tick at 420 s: idleness counts from that last busy tick, so the
  // watermark moves as after a fresh pause (the same figures as the plain idle test).
  idle = true;
  const cases = [
    { name: 'idle 9.999 s', now: 420_000 + 9_999, emits: 0 },
    { name: 'idle, watermark 50 + 39.999 - 30 s short of 60', now: 420_000 + 39_999, emits: 0 },
    { name: 'idle, watermark reaches 60', now: 420_000 + 40_000, emits: 2 },
  ];
  for (const c of cases) assert.equal(rec.take(e.tick(c.now, pred)).windows.length, c.emits, c.name);
});
