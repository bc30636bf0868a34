import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apportion, canSplitSafe, createApportioner, type ApportionPart } from './apportion.js';

const W = 60_000;
const U64_MAX = (1n << 64n) - 1n;

const cases: Array<{ name: string; t0: number; t1: number; values: bigint[]; want: ApportionPart[] }> = [
  {
    name: 'inside one window',
    t0: 10_000,
    t1: 50_000,
    values: [100n, 7n],
    want: [{ windowStart: 0, overlapMs: 40_000, values: [100n, 7n] }],
  },
  {
    name: 'spanning one boundary, odd value rounds down first',
    t0: 30_000,
    t1: 90_000,
    values: [60n, 7n, 0n],
    want: [
      { windowStart: 0, overlapMs: 30_000, values: [30n, 3n, 0n] },
      { windowStart: 60_000, overlapMs: 30_000, values: [30n, 4n, 0n] },
    ],
  },
  {
    name: 'spanning three windows (10 s, 60 s, 10 s)',
    t0: 50_000,
    t1: 130_000,
    values: [1000n, 7n, 1n],
    // cum/T = 1/8, 7/8, 1: 1000 -> 125, 875-125, 1000-875; 7 -> 0, 6-0, 7-6; 1 -> 0, 0, 1
    want: [
      { windowStart: 0, overlapMs: 10_000, values: [125n, 0n, 0n] },
      { windowStart: 60_000, overlapMs: 60_000, values: [750n, 6n, 0n] },
      { windowStart: 120_000, overlapMs: 10_000, values: [125n, 1n, 1n] },
    ],
  },
  {
    name: 't0 exactly on a boundary, one full window',
    t0: 60_000,
    t1: 120_000,
    values: [5n],
    want: [{ windowStart: 60_000, overlapMs: 60_000, values: [5n] }],
  },
  {
    name: 't0 exactly on a boundary, spilling into the next',
    t0: 60_000,
    t1: 150_000,
    values: [9n],
    want: [
      { windowStart: 60_000, overlapMs: 60_000, values: [6n] },
      { windowStart: 120_000, overlapMs: 30_000, values: [3n] },
    ],
  },
  {
    name: 't1 exactly on a boundary stays in one window',
    t0: 30_000,
    t1: 60_000,
    values: [3n],
    want: [{ windowStart: 0, overlapMs: 30_000, values: [3n] }],
  },
  {
    name: 'huge value 2^64-1 split 1 ms : 1 ms',
    t0: 59_999,
    t1: 60_001,
    values: [U64_MAX],
    want: [
      { windowStart: 0, overlapMs: 1, values: [(1n << 63n) - 1n] },
      { windowStart: 60_000, overlapMs: 1, values: [1n << 63n] },
    ],
  },
  {
    name: 'real epoch timestamps',
    t0: 1_699_999_990_000,
    t1: 1_700_000_050_000,
    values: [6n],
    // 1_699_999_980_000 is the window start; 50 s of the 60 s fall in it.
    want: [
      { windowStart: 1_699_999_980_000, overlapMs: 50_000, values: [5n] },
      { windowStart: 1_700_000_040_000, overlapMs: 10_000, values: [1n] },
    ],
  },
];

for (const c of cases) {
  test(`apportion: ${c.name}`, () => {
    const got = apportion(c.t0, c.t1, W, c.values);
    assert.deepEqual(got, c.want);
    c.values.forEach((v, i) => assert.equal(got.reduce((s, p) => s + p.values[i], 0n), v, `value ${i} sums back`));
  });
}

test('apportion: huge values over many windows sum exactly and stay within 1 of the exact share', () => {
  let seed = 12345;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 500; i++) {
    const t0 = 1_700_000_000_000 + next(W * 3);
    const t1 = t0 + 1 + next(W * 5);
    const v = U64_MAX - BigInt(next(1_000_000)) * 1_000_003n;
    const parts = apportion(t0, t1, W, [v]);
    assert.equal(parts.reduce((s, p) => s + p.values[0], 0n), v);
    assert.equal(parts.reduce((s, p) => s + p.overlapMs, 0), t1 - t0);
    for (const p of parts) {
      const exactTimesT = v * BigInt(p.overlapMs); // part * T should be within T of this
      const diff = p.values[0] * BigInt(t1 - t0) - exactTimesT;
      assert.ok(diff > -BigInt(t1 - t0) && diff < BigInt(t1 - t0), `part ${p.values[0]} of ${v} off by more than 1`);
    }
  }
});

test('apportion: the hot-path apportioner gives the same parts, and the values themselves for one window', () => {
  const a = createApportioner(W);
  const seen: ApportionPart[] = [];
  const values = [1000n, 7n, 1n];
  a.split(50_000, 130_000, values, (windowStart, overlapMs, parts) => seen.push({ windowStart, overlapMs, values: [...parts] }));
  assert.deepEqual(seen, apportion(50_000, 130_000, W, values));
  let same = false;
  a.split(1_000, 2_000, values, (_s, _o, parts) => (same = parts === values));
  assert.ok(same, 'single-window case passes the input through without copying');
});

const invalid: Array<{ name: string; run: () => unknown }> = [
  { name: 'empty interval', run: () => apportion(5, 5, W, [1n]) },
  { name: 'reversed interval', run: () => apportion(6, 5, W, [1n]) },
  { name: 'zero window', run: () => apportion(0, 5, 0, [1n]) },
  { name: 'fractional window', run: () => apportion(0, 5, 1.5, [1n]) },
  { name: 'negative value', run: () => apportion(0, 5, W, [-1n]) },
];

for (const c of invalid) {
  test(`apportion rejects: ${c.name}`, () => {
    assert.throws(c.run, RangeError);
  });
}

test('apportion: the double path gives the bigint parts for values up to 2^53 - 1 (both formulas)', () => {
  const a = createApportioner(W);
  let seed = 777;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const big = Number.MAX_SAFE_INTEGER;
  for (let i = 0; i < 500; i++) {
    const t0 = 1_700_000_000_000 + next(W * 3);
    const t1 = t0 + 1 + next(W * 5);
    // small values take floor(V*cum/T) directly; values near 2^53 need the q/r split
    const nums = [0, 1, next(1_000_000), big - next(1_000_000), big, 2 ** 40 + next(1_000), 7, next(2 ** 30) * 2 ** 22];
    const bigs = nums.map((n) => BigInt(n));
    const viaBigint: Array<[number, number, bigint[]]> = [];
    const viaDouble: Array<[number, number, bigint[]]> = [];
    a.split(t0, t1, bigs, (s, o, parts) => viaBigint.push([s, o, [...parts]]));
    a.splitSafe(t0, t1, nums, (s, o, parts) => viaDouble.push([s, o, parts.map((p) => BigInt(p))]));
    assert.deepEqual(viaDouble, viaBigint, `[${t0}, ${t1})`);
  }
});

const safeCases: Array<{ name: string; t0: number; t1: number; values: number[]; want: boolean }> = [
  { name: 'ordinary', t0: 0, t1: 60_000, values: [1, 2], want: true },
  { name: 'largest safe value', t0: 0, t1: 60_000, values: [Number.MAX_SAFE_INTEGER], want: true },
  { name: 'value past 2^53', t0: 0, t1: 60_000, values: [2 ** 53], want: false },
  { name: 'interval too long for T^2 < 2^53', t0: 0, t1: 100_000_000, values: [1], want: false },
];
for (const c of safeCases) {
  test(`canSplitSafe: ${c.name}`, () => {
    assert.equal(canSplitSafe(c.t0, c.t1, c.values), c.want);
  });
}
