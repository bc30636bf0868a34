import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Baseline } from './baseline.js';
import { COUNTER_NAMES, computeDelta, implausibleReason, intervalCheck, maxOctets, safeDeltas, uptimeConsistent, type DeltaResult, type Observation } from './counter-delta.js';

const U64 = 1n << 64n;
const U32 = 1n << 32n;
const opts = { maxGapMs: 300_000, maxRateFactor: 2 };

/** A healthy 1 Gbit/s 64-bit interface; sysUpTime 1000 s. */
function obs(over: Partial<Observation> = {}): Observation {
  return {
    ts: 1_700_000_000_000,
    sysUpTime: 100_000,
    width: 64,
    speed: 1e9,
    discontinuityTime: 0,
    inOctets: 1_000_000n,
    outOctets: 2_000_000n,
    inPackets: 1_000n,
    outPackets: 2_000n,
    inErrors: 10n,
    outErrors: 20n,
    inDiscards: 30n,
    outDiscards: 40n,
    ...over,
  };
}

/** The observation 60 s later (sysUpTime advanced consistently), with overrides. */
function later(prev: Observation, over: Partial<Observation> = {}, elapsedMs = 60_000): Observation {
  return { ...prev, ts: prev.ts + elapsedMs, sysUpTime: (prev.sysUpTime + elapsedMs / 10) % 2 ** 32, ...over };
}

const zero = { inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n };

const base = obs();
const b32 = obs({ width: 32 });
const nearTop = obs({ inOctets: U64 - 1n });
const uptimeNearWrap = obs({ sysUpTime: 2 ** 32 - 3_000 });
const unknownSpeed = obs({ speed: 0 });

const cases: Array<{ name: string; prev: Observation; cur: Observation; want: DeltaResult }> = [
  {
    name: 'zero delta',
    prev: base,
    cur: later(base),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 60_000, deltas: zero, wrapped: [] },
  },
  {
    name: 'plain increase on every counter',
    prev: base,
    cur: later(base, { inOctets: 1_000_100n, outOctets: 2_000_200n, inPackets: 1_001n, outPackets: 2_002n, inErrors: 11n, outErrors: 22n, inDiscards: 33n, outDiscards: 44n }),
    want: {
      kind: 'delta', t0: base.ts, t1: base.ts + 60_000, wrapped: [],
      deltas: { inOctets: 100n, outOctets: 200n, inPackets: 1n, outPackets: 2n, inErrors: 1n, outErrors: 2n, inDiscards: 3n, outDiscards: 4n },
    },
  },
  {
    name: '64-bit wrap at 2^64-1 gives a small delta',
    prev: nearTop,
    cur: later(nearTop, { inOctets: 99n }),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 60_000, deltas: { ...zero, inOctets: 100n }, wrapped: ['inOctets'] },
  },
  {
    name: '32-bit wrap',
    prev: obs({ width: 32, outOctets: U32 - 10n }),
    cur: later(obs({ width: 32, outOctets: U32 - 10n }), { outOctets: 5n }),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 60_000, deltas: { ...zero, outOctets: 15n }, wrapped: ['outOctets'] },
  },
  {
    name: 'errors wrap at 2^32 even on a 64-bit interface',
    prev: obs({ inErrors: U32 - 1n }),
    cur: later(obs({ inErrors: U32 - 1n }), { inErrors: 0n }),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 60_000, deltas: { ...zero, inErrors: 1n }, wrapped: ['inErrors'] },
  },
  {
    name: 'errors absent on one side count as zero',
    prev: obs({ inErrors: undefined, outDiscards: undefined }),
    cur: later(base, { inErrors: 999n, outDiscards: 999n }),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 60_000, deltas: zero, wrapped: [] },
  },
  {
    name: 'reboot: sysUpTime went back',
    prev: base,
    cur: later(base, { sysUpTime: 500, inOctets: 10n }),
    want: { kind: 'reset', reason: 'sysuptime-went-back' },
  },
  {
    name: 'reboot with counters that happen to grow is still a reset',
    prev: base,
    cur: later(base, { sysUpTime: 500, inOctets: 5_000_000n }),
    want: { kind: 'reset', reason: 'sysuptime-went-back' },
  },
  {
    name: 'sysUpTime wrap at 2^32 with consistent advance is not a reboot',
    prev: uptimeNearWrap,
    cur: later(uptimeNearWrap, { inOctets: 1_000_500n }),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 60_000, deltas: { ...zero, inOctets: 500n }, wrapped: [] },
  },
  {
    name: 'sysUpTime wrap and a 32-bit counter wrap together',
    prev: { ...uptimeNearWrap, width: 32, inOctets: U32 - 1n },
    cur: later({ ...uptimeNearWrap, width: 32, inOctets: U32 - 1n }, { inOctets: 0n }),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 60_000, deltas: { ...zero, inOctets: 1n }, wrapped: ['inOctets'] },
  },
  {
    name: 'width change is a reset',
    prev: base,
    cur: later(base, { width: 32, inOctets: 5n }),
    want: { kind: 'reset', reason: 'width-changed' },
  },
  {
    name: 'discontinuity time change is a reset',
    prev: base,
    cur: later(base, { discontinuityTime: 12_345, inOctets: 2_000_000n }),
    want: { kind: 'reset', reason: 'discontinuity-changed' },
  },
  {
    name: 'implausible wrap: 2^32 octets in 60 s on a 1 Mbit/s link',
    prev: { ...b32, speed: 1e6, inOctets: 1_000n },
    cur: later({ ...b32, speed: 1e6, inOctets: 1_000n }, { inOctets: 500n }),
    want: { kind: 'reset', reason: 'wrap-implausible' },
  },
  {
    name: 'decrease while sysUpTime advanced 10 s in 60 s is not a wrap',
    prev: nearTop,
    cur: later(nearTop, { inOctets: 99n, sysUpTime: nearTop.sysUpTime + 1_000 }),
    want: { kind: 'reset', reason: 'wrap-uptime-inconsistent' },
  },
  {
    name: 'unknown speed: 64-bit decrease from mid-range is a reset',
    prev: { ...unknownSpeed, inOctets: 10n ** 12n },
    cur: later({ ...unknownSpeed, inOctets: 10n ** 12n }, { inOctets: 10n ** 6n }),
    want: { kind: 'reset', reason: 'wrap-implausible' },
  },
  {
    name: 'unknown speed: 64-bit wrap from 2^64-1 is small, accepted',
    prev: { ...unknownSpeed, inOctets: U64 - 1n },
    cur: later({ ...unknownSpeed, inOctets: U64 - 1n }, { inOctets: 4n }),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 60_000, deltas: { ...zero, inOctets: 5n }, wrapped: ['inOctets'] },
  },
  {
    name: 'unknown speed: 32-bit wrap accepted when sysUpTime is consistent',
    prev: { ...unknownSpeed, width: 32, inOctets: 3_000_000_000n },
    cur: later({ ...unknownSpeed, width: 32, inOctets: 3_000_000_000n }, { inOctets: 1_000n }),
    want: {
      kind: 'delta', t0: base.ts, t1: base.ts + 60_000,
      deltas: { ...zero, inOctets: U32 - 3_000_000_000n + 1_000n }, wrapped: ['inOctets'],
    },
  },
  {
    name: 'rate beyond 2 x link speed is implausible, not clipped',
    prev: obs({ speed: 1e6 }),
    // 15 MB in 60 s = 2 Mbit/s is the limit; one byte more per second is over it.
    cur: later(obs({ speed: 1e6 }), { inOctets: 1_000_000n + 15_000_060n }),
    want: { kind: 'implausible', reason: 'in-octets-above-speed' },
  },
  {
    name: 'rate exactly at 2 x link speed passes',
    prev: obs({ speed: 1e6 }),
    cur: later(obs({ speed: 1e6 }), { outOctets: 2_000_000n + 15_000_000n }),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 60_000, deltas: { ...zero, outOctets: 15_000_000n }, wrapped: [] },
  },
  {
    name: 'packet rate beyond what the link carries at 20 octets per packet',
    prev: obs({ speed: 1e6 }),
    cur: later(obs({ speed: 1e6 }), { outPackets: 2_000n + 1_000_000n }),
    want: { kind: 'implausible', reason: 'out-packets-above-speed' },
  },
  {
    name: 'a reset on a later counter wins over an implausible earlier one',
    prev: obs({ speed: 1e6, inErrors: 100n }),
    cur: later(obs({ speed: 1e6, inErrors: 100n }), { inOctets: 10n ** 12n, inErrors: 1n, sysUpTime: 100_100 }),
    want: { kind: 'reset', reason: 'wrap-uptime-inconsistent' },
  },
  {
    name: 'gap: interval longer than maxGapMs is not spread',
    prev: base,
    cur: later(base, { inOctets: 2_000_000n }, 300_001),
    want: { kind: 'gap', elapsedMs: 300_001 },
  },
  {
    name: 'interval of exactly maxGapMs is spread',
    prev: base,
    cur: later(base, {}, 300_000),
    want: { kind: 'delta', t0: base.ts, t1: base.ts + 300_000, deltas: zero, wrapped: [] },
  },
  {
    name: 'out-of-order: older timestamp',
    prev: base,
    cur: { ...base, ts: base.ts - 1 },
    want: { kind: 'out-of-order', elapsedMs: -1 },
  },
  {
    name: 'out-of-order: same timestamp (duplicate)',
    prev: base,
    cur: { ...base, inOctets: 5n },
    want: { kind: 'out-of-order', elapsedMs: 0 },
  },
];

for (const c of cases) {
  test(`computeDelta: ${c.name}`, () => {
    assert.deepEqual(computeDelta(c.prev, c.cur, opts), c.want);
  });
}

const uptimeCases: Array<{ name: string; prev: number; cur: number; elapsedMs: number; want: boolean }> = [
  { name: 'exact advance', prev: 0, cur: 6_000, elapsedMs: 60_000, want: true },
  { name: '10 % slow at 60 s (6 s tolerance)', prev: 0, cur: 5_400, elapsedMs: 60_000, want: true },
  { name: 'just beyond 10 % at 60 s', prev: 0, cur: 5_399, elapsedMs: 60_000, want: false },
  { name: '2 s floor at 5 s polls', prev: 0, cur: 700, elapsedMs: 5_000, want: true },
  { name: 'beyond 2 s floor at 5 s polls', prev: 0, cur: 701, elapsedMs: 5_000, want: false },
  { name: 'own wrap at 2^32 cs', prev: 2 ** 32 - 100, cur: 5_900, elapsedMs: 60_000, want: true },
  { name: 'went back (reboot)', prev: 500_000, cur: 100, elapsedMs: 60_000, want: false },
];

for (const c of uptimeCases) {
  test(`uptimeConsistent: ${c.name}`, () => {
    assert.equal(uptimeConsistent(c.prev, c.cur, c.elapsedMs), c.want);
  });
}

test('the double path (safeDeltas) gives exactly computeDelta\'s result wherever it applies, and applies to every plain delta below 2^53', () => {
  // A seeded generator: values around 0, 2^32, 2^53 and 2^64, decreases, absent counters, speeds.
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const edges = [0n, 1n, 1000n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) - 2n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, (1n << 64n) - 1n];
  const counter = (): bigint => {
    if (rand() < 0.7) return BigInt(Math.floor(rand() * 2 ** 40));
    const e = edges[Math.floor(rand() * edges.length)];
    const v = e + BigInt(Math.floor(rand() * 3)) - 1n;
    return v < 0n ? 0n : v > (1n << 64n) - 1n ? (1n << 64n) - 1n : v;
  };
  const near = (c: bigint): bigint => {
    const r = rand();
    if (r < 0.5) return c + BigInt(Math.floor(rand() * 5e9));
    if (r < 0.7) return c;
    if (r < 0.85) return c > 10n ? c - 10n : 0n;
    return counter();
  };
  const maybe = (c: bigint | undefined): bigint | undefined => (rand() < 0.15 ? undefined : c);
  const nums = new Array<number>(8).fill(0);
  let fast = 0;
  let plainBelow = 0;
  for (let k = 0; k < 20_000; k++) {
    const a = obs({ speed: [0, 1e8, 1e9, 1e11][k % 4], inOctets: counter(), outOctets: counter(), inPackets: counter(), outPackets: counter(), inErrors: maybe(counter()), outErrors: maybe(counter()), inDiscards: maybe(counter()), outDiscards: maybe(counter()) });
    const b = later(a, { inOctets: near(a.inOctets), outOctets: near(a.outOctets), inPackets: near(a.inPackets), outPackets: near(a.outPackets), inErrors: maybe(near(a.inErrors ?? 0n)), outErrors: maybe(near(a.outErrors ?? 0n)), inDiscards: maybe(near(a.inDiscards ?? 0n)), outDiscards: maybe(near(a.outDiscards ?? 0n)) }, 1000 + Math.floor(rand() * 120_000));
    const slow = computeDelta(a, b, opts);
    assert.equal(intervalCheck(a, b, opts), null);
    const base = new Baseline(a);
    const cur = new Baseline(b);
    if (safeDeltas(base.nums, base.present, cur.nums, cur.present, nums)) {
      fast++;
      const why = implausibleReason(nums[0], nums[1], nums[2], nums[3], maxOctets(a.speed, b.speed, b.ts - a.ts, opts.maxRateFactor));
      if (why !== null) assert.deepEqual(slow, { kind: 'implausible', reason: why }, `pair ${k}`);
      else {
        assert.equal(slow.kind, 'delta', `pair ${k}`);
        if (slow.kind === 'delta') assert.deepEqual(COUNTER_NAMES.map((n) => slow.deltas[n]), nums.map((x) => BigInt(x)), `pair ${k}`);
      }
    } else if (slow.kind === 'delta' && slow.wrapped.length === 0 && COUNTER_NAMES.every((n) => (b[n] ?? 0n) < 1n << 53n && (a[n] ?? 0n) < 1n << 53n)) {
      assert.fail(`pair ${k}: a plain delta below 2^53 missed the double path`);
    }
    if (slow.kind === 'delta' && slow.wrapped.length === 0) plainBelow++;
  }
  // Both branches were exercised many times.
  assert.ok(fast > 1000 && plainBelow > 1000, `fast ${fast}, plain deltas ${plainBelow}`);
});
