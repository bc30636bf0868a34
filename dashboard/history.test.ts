// Tests of the history's pure part: range -> resolution, gaps laid out as nulls (never zeros),
// partial windows kept distinguishable by their coverage, and the raw timeline step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryRow } from '../common/store/influx.js';
import { chooseResolution, fillGaps, HISTORY_RANGES, rawStepMs } from './history.js';

const MIN = 60_000;
const row = (t: number, over: Partial<HistoryRow> = {}): HistoryRow => ({ t, windowEnd: t + MIN, inBps: 1000, outBps: 500, inUtilization: 1, outUtilization: 0.5, peakInBps: 2000, peakOutBps: 900, coverage: 1, ...over });

void test('chooseResolution: 1-minute windows up to a day, hourly rollups beyond', async (t) => {
  const cases = [
    { name: '1h button', span: HISTORY_RANGES['1h'], want: 'raw' },
    { name: '6h button', span: HISTORY_RANGES['6h'], want: 'raw' },
    { name: '24h button (exactly a day)', span: HISTORY_RANGES['24h'], want: 'raw' },
    { name: 'a day and a minute', span: HISTORY_RANGES['24h'] + MIN, want: 'rollup' },
    { name: '7d button', span: HISTORY_RANGES['7d'], want: 'rollup' },
    { name: '30d button', span: HISTORY_RANGES['30d'], want: 'rollup' },
    { name: 'a zoomed 10 minutes', span: 10 * MIN, want: 'raw' },
  ] as const;
  for (const c of cases) await t.test(c.name, () => assert.equal(chooseResolution(c.span), c.want));
});

void test('fillGaps: a missing window is null, not zero; partial coverage stays visible', async (t) => {
  await t.test('gap in the middle', () => {
    const s = fillGaps([row(0), row(2 * MIN, { inBps: 3000, coverage: 0.5 })], 0, 3 * MIN, MIN, 'raw');
    assert.deepEqual(s.t, [0, MIN, 2 * MIN]);
    assert.deepEqual(s.inBps, [1000, null, 3000]);
    assert.deepEqual(s.outBps, [500, null, 500]);
    assert.deepEqual(s.coverage, [1, null, 0.5]);
    assert.equal(s.resolution, 'raw');
    assert.equal(s.stepMs, MIN);
  });
  await t.test('no data at all: every slot null', () => {
    const s = fillGaps([], 0, 5 * MIN, MIN, 'raw');
    assert.equal(s.t.length, 5);
    assert.deepEqual(s.inBps, [null, null, null, null, null]);
  });
  await t.test('unaligned range starts at the next slot, end exclusive', () => {
    const s = fillGaps([row(MIN), row(2 * MIN)], 30_000, 2 * MIN, MIN, 'raw');
    assert.deepEqual(s.t, [MIN]);
    assert.deepEqual(s.inBps, [1000]);
  });
  await t.test('rows outside the range are ignored', () => {
    const s = fillGaps([row(-MIN), row(0), row(2 * MIN)], 0, 2 * MIN, MIN, 'raw');
    assert.deepEqual(s.inBps, [1000, null]);
  });
  await t.test('a zero rate stays a zero (it is data, not a gap)', () => {
    const s = fillGaps([row(0, { inBps: 0 })], 0, MIN, MIN, 'raw');
    assert.deepEqual(s.inBps, [0]);
  });
  await t.test('null utilization (unknown speed) stays null while the rates are there', () => {
    const s = fillGaps([row(0, { inUtilization: null })], 0, MIN, MIN, 'raw');
    assert.deepEqual(s.inUtilization, [null]);
    assert.deepEqual(s.inBps, [1000]);
  });
  await t.test('hourly rollup slots', () => {
    const H = 3_600_000;
    const s = fillGaps([row(H), row(3 * H)], 0, 4 * H, H, 'rollup');
    assert.deepEqual(s.inBps, [null, 1000, null, 1000]);
  });
  await t.test('a non-positive step is refused', () => {
    assert.throws(() => fillGaps([], 0, MIN, 0, 'raw'), RangeError);
  });
});

void test('rawStepMs: the stored windows tell their length; else the configured one', () => {
  assert.equal(rawStepMs(5000, 60), 5000);
  assert.equal(rawStepMs(null, 60), 60_000);
  assert.equal(rawStepMs(0, 30), 30_000);
});
