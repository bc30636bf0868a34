// Bounded engine state: devices and interfaces not seen for stateTtlMs (event time, behind the
// watermark) are evicted by tick. Thousands of device ids churn through an engine with a fake
// clock; the state (count, and heap after a forced GC) returns under a stated bound, and an
// evicted device's next sample starts a new baseline as the max-gap rule would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { at, engine, Recorder, sample, steady } from './engine.fixture.js';

const TTL_MS = 3_600_000;
const GEN = 2_000;
const GENS = 20;
const rate = { inOctets: 1_000, outOctets: 500 };

/** A forced full GC (exposed for this process only, without a command-line flag). */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

test('churning device ids: state of devices not seen for the TTL is evicted, count and heap stay bounded', () => {
  const e = engine({ outOfOrdernessMs: 20_000, maxGapMs: 300_000, allowedLatenessMs: 300_000, stateTtlMs: TTL_MS, idleTimeoutMs: 10_000 });
  let offset = 0;
  let evicted = 0;
  let heapAfterFirst = 0;
  let heapAtEnd = 0;
  const heldPerGen: number[] = [];
  for (let g = 0; g < GENS; g++) {
    // Generation g: GEN fresh devices, four polls each over 30 s, an hour after the previous one; then silence.
    const t = g * 3600;
    for (let k = 0; k < 4; k++) {
      const sec = t + k * 10;
      for (let d = 0; d < GEN; d++) e.ingest(sample(`g${g}-d${d}`, sec, [steady(1, sec, rate), steady(2, sec, rate)]), 0, at(sec), offset++);
    }
    e.checkpoint(0, offset);
    // The processor ticks every second; a sweep runs once a minute of processing time.
    const out = e.tick(at(t + 40) + 60_000);
    evicted += out.events.filter((x) => x.kind === 'evicted').length;
    heldPerGen.push(e.snapshotSize().devices);
    // Measured inside the loop, while the engine is still in use (after it, the GC could take it all).
    if (g === 1 || g === GENS - 1) {
      gc();
      if (g === 1) heapAfterFirst = process.memoryUsage().heapUsed;
      else heapAtEnd = process.memoryUsage().heapUsed;
    }
  }
  // Held: this generation and the previous one (its last sample is 3,570 s old, inside the TTL).
  for (const [g, n] of heldPerGen.entries()) assert.ok(n <= 2 * GEN, `generation ${g}: ${n} devices held, bound ${2 * GEN}`);
  assert.ok(evicted >= (GENS - 2) * GEN, `evicted ${evicted} devices`);
  const growth = heapAtEnd - heapAfterFirst;
  // Without eviction the 36,000 extra devices (two interfaces, baselines, logs) hold about 80 MB.
  assert.ok(growth < 4 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MB over ${GENS - 2} more generations of ${GEN} devices; bound 4 MB`);
});

test('an evicted device starts afresh (first, a new baseline); an interface gone quiet is evicted from a live device', () => {
  const e = engine({ outOfOrdernessMs: 0, maxGapMs: 300_000, allowedLatenessMs: 60_000, stateTtlMs: 600_000, idleTimeoutMs: 10_000 });
  const rec = new Recorder();
  // 'a' has interfaces 1 and 2 until 100 s, then only 1; 'b' keeps the watermark moving.
  for (let sec = 0; sec <= 2_000; sec += 10) {
    const ifs = sec <= 100 ? [steady(1, sec, rate), steady(2, sec, rate)] : [steady(1, sec, rate)];
    rec.take(e.ingest(sample('a', sec, ifs), 0, at(sec)));
    if (sec <= 100) rec.take(e.ingest(sample('gone', sec, [steady(1, sec, rate)]), 0, at(sec)));
  }
  rec.events = [];
  const out = rec.take(e.tick(at(2_000) + 60_000));
  assert.deepEqual(
    out.events.map((x) => `${x.kind}:${x.deviceId}/${x.ifIndex}`),
    ['evicted:a/2', 'evicted:gone/0'],
  );
  assert.equal(e.snapshotSize().devices, 1);
  assert.equal(e.snapshotSize().interfaces, 1);
  // 'gone' comes back: a new baseline, as a sample after more than the maximum gap would give.
  rec.events = [];
  rec.take(e.ingest(sample('gone', 2_010, [steady(1, 2_010, rate)]), 0, at(2_010)));
  rec.take(e.ingest(sample('gone', 2_020, [steady(1, 2_020, rate)]), 0, at(2_020)));
  assert.deepEqual(rec.kinds(), ['first']);
});

test('eviction waits for the TTL behind the watermark, not for processing time', () => {
  const e = engine({ outOfOrdernessMs: 0, maxGapMs: 60_000, allowedLatenessMs: 600_000, stateTtlMs: 720_000, idleTimeoutMs: 3_600_000 });
  e.ingest(sample('p', 0, [steady(1, 0, rate)]), 0, at(0));
  e.ingest(sample('p', 30, [steady(1, 30, rate)]), 0, at(30));
  const cases = [
    { name: 'watermark 700 s: p seen 670 s before, inside the TTL', sec: 700, now: at(700) + 60_000, evicted: [] as string[] },
    { name: 'an hour of processing time later, same watermark: still inside', sec: 700, now: at(700) + 3_000_000, evicted: [] },
    { name: 'watermark 751 s: 721 s since p, past the TTL', sec: 751, now: at(751) + 3_100_000, evicted: ['p'] },
  ];
  for (const c of cases) {
    e.ingest(sample('q', c.sec, [steady(1, c.sec, rate)]), 0, at(c.sec));
    const out = e.tick(c.now);
    assert.deepEqual(out.events.filter((x) => x.kind === 'evicted').map((x) => x.deviceId), c.evicted, c.name);
  }
});
