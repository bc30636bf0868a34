// The capacity arithmetic of bench:appliance: per-1,000 figures, the sum's capacity, the limiting
// part, and refusing a capacity when a part's CPU is unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacity, per1000, table } from './appliance-report.js';

void test('CPU per 1,000 samples, and the capacity of the sum on N cores', () => {
  assert.equal(per1000(3, 60_000), 0.05);
  const c = capacity(
    [
      { part: 'collector', cpuSecs: 6 },
      { part: 'processor', cpuSecs: 3 },
      { part: 'kafka', cpuSecs: 1 },
    ],
    100_000,
    2,
    500_000,
  );
  // 10 CPU-s per 100,000 samples = 0.1 per 1,000; 2 cores -> 20,000 samples/s -> 1.2 M interfaces at 60 s polls.
  assert.ok(Math.abs(c.sumPer1000 - 0.1) < 1e-12);
  assert.ok(Math.abs(c.samplesPerSec - 20_000) < 1e-6);
  assert.ok(Math.abs(c.interfacesPerMinute - 1_200_000) < 1e-3);
  assert.equal(c.limitingPart, 'collector');
  assert.equal(c.goalMet, true);
  assert.deepEqual(c.rows.map((r) => r.share), [0.6, 0.3, 0.1]);
  assert.equal(capacity([{ part: 'a', cpuSecs: 10 }], 1000, 2, 500_000).goalMet, false);
});

void test('no capacity when a part is unknown or nothing was sampled', () => {
  assert.throws(() => capacity([{ part: 'kafka', cpuSecs: null }, { part: 'collector', cpuSecs: 1 }], 1000, 2, 1), /kafka/);
  assert.throws(() => per1000(1, 0), RangeError);
});

void test('the table pads each column to its widest cell', () => {
  assert.deepEqual(table([['part', 'cpu'], ['collector', '1.5'], ['kafka', '10.25']]), ['part         cpu', '---------  -----', 'collector    1.5', 'kafka      10.25']);
});
