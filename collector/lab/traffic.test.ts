import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COUNTER, COUNTER_KINDS, MAX_SWING, bytesAt, bytesWithOverrides, countAt, createRng, makeTraffic, mixSeed, overrideAt, overrideFrom, rateAt, rateCurve, type CounterKind, type RateOverride, type TrafficClass } from './traffic.js';

/** Composite Simpson over [a, b]: an independent check of the closed-form integral. */
function simpson(f: (t: number) => number, a: number, b: number, n = 20000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += f(a + i * h) * (i % 2 === 1 ? 4 : 2);
  return (s * h) / 3;
}

const curve = rateCurve(1_000_000, [
  { amp: 0.4, periodS: 3600, phase: 1.1 },
  { amp: 0.1, periodS: 17, phase: 0.3 },
  { amp: 0.08, periodS: 61, phase: 4 },
  { amp: 0.05, periodS: 7.3, phase: 2.2 },
]);

test('the byte count is the exact integral of the rate', () => {
  const cases: Array<{ name: string; a: number; b: number }> = [
    { name: 'first second', a: 0, b: 1 },
    { name: 'a poll interval early on', a: 3, b: 63 },
    { name: 'a minute an hour later', a: 3600, b: 3660 },
    { name: 'a day in', a: 86_400, b: 86_460 },
  ];
  assert.equal(bytesAt(curve, 0), 0);
  for (const c of cases) {
    const exact = bytesAt(curve, c.b) - bytesAt(curve, c.a);
    const numeric = simpson((t) => rateAt(curve, t), c.a, c.b);
    assert.ok(Math.abs(exact - numeric) / numeric < 1e-9, `${c.name}: ${exact} vs ${numeric}`);
  }
});

test('the rate varies, stays positive and within its swing', () => {
  let min = Infinity;
  let max = 0;
  for (let t = 0; t < 7200; t += 0.37) {
    const r = rateAt(curve, t);
    min = Math.min(min, r);
    max = Math.max(max, r);
  }
  assert.ok(min >= curve.base * (1 - MAX_SWING), `min ${min}`);
  assert.ok(max <= curve.base * (1 + MAX_SWING), `max ${max}`);
  assert.ok(max / min > 1.5, `varies: ${min}..${max}`);
  assert.throws(() => rateCurve(1, [{ amp: 0.6, periodS: 10, phase: 0 }, { amp: 0.4, periodS: 5, phase: 0 }]), /exceeds/);
  assert.throws(() => rateCurve(-1, []), /base rate/);
});

test('counts are whole numbers that never decrease, ms after ms, for every counter of every class', () => {
  const rng = createRng(mixSeed(7, 3));
  const classes: TrafficClass[] = ['down', 'idle', 'normal', 'busy'];
  for (const klass of classes) {
    const tr = makeTraffic(rng, { speedBps: 1e10, klass, daySeconds: 600, dayPhase: 1 });
    for (let k = 0; k < COUNTER_KINDS; k++) {
      let prev = -1;
      // Millisecond steps at three points in time, including days in (where doubles are coarsest).
      for (const start of [0, 3_600_000, 7 * 86_400_000]) {
        prev = start === 0 ? -1 : countAt(tr, k as CounterKind, (start - 1) / 1000);
        for (let ms = start; ms < start + 2000; ms++) {
          const n = countAt(tr, k as CounterKind, ms / 1000);
          assert.ok(Number.isSafeInteger(n), `${klass}/${k}: ${n}`);
          assert.ok(n >= prev, `${klass} counter ${k} went back at ${ms} ms: ${prev} -> ${n}`);
          prev = n;
        }
      }
    }
  }
});

test('traffic profiles: deterministic per seed, in and out differ, peak below the link, down means silent', () => {
  const a = makeTraffic(createRng(42), { speedBps: 1e9, klass: 'busy', daySeconds: 3600, dayPhase: 0 });
  const b = makeTraffic(createRng(42), { speedBps: 1e9, klass: 'busy', daySeconds: 3600, dayPhase: 0 });
  assert.deepEqual(a, b);
  assert.notEqual(a.in.base, a.out.base);
  for (let seed = 0; seed < 200; seed++) {
    const tr = makeTraffic(createRng(seed), { speedBps: 1e9, klass: seed % 2 ? 'busy' : 'normal', daySeconds: 3600, dayPhase: seed });
    for (const c of [tr.in, tr.out]) assert.ok(c.base * (1 + MAX_SWING) < 1e9 / 8, `seed ${seed}: peak ${c.base * (1 + MAX_SWING)} B/s`);
    // Packets are smaller than octets; errors and discards far fewer than packets.
    const t = 600;
    assert.ok(countAt(tr, COUNTER.inUcastPkts, t) < countAt(tr, COUNTER.inOctets, t) / 100);
    assert.ok(countAt(tr, COUNTER.inErrors, t) <= countAt(tr, COUNTER.inUcastPkts, t) / 1000);
  }
  const down = makeTraffic(createRng(1), { speedBps: 1e9, klass: 'down', daySeconds: 3600, dayPhase: 0 });
  for (let k = 0; k < COUNTER_KINDS; k++) assert.equal(countAt(down, k as CounterKind, 1e6), 0);
});

test('the PRNG is uniform enough and seeds differ', () => {
  const rng = createRng(1);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const u = rng();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
  assert.notEqual(mixSeed(1, 2, 3), mixSeed(1, 3, 2));
  assert.notEqual(createRng(mixSeed(1, 0))(), createRng(mixSeed(1, 1))());
});

test('an override replaces the curve by its rate for its stretch, continuously, and the curve resumes after', () => {
  const sat: RateOverride[] = [{ fromS: 100, toS: 400, rate: 120_000_000 }];
  const cases: Array<{ name: string; a: number; b: number; want: number }> = [
    { name: 'before: the curve', a: 10, b: 90, want: bytesAt(curve, 90) - bytesAt(curve, 10) },
    { name: 'inside: the fixed rate', a: 150, b: 250, want: 100 * 120_000_000 },
    { name: 'across the start', a: 90, b: 110, want: bytesAt(curve, 100) - bytesAt(curve, 90) + 10 * 120_000_000 },
    { name: 'across the end', a: 390, b: 410, want: 10 * 120_000_000 + bytesAt(curve, 410) - bytesAt(curve, 400) },
    { name: 'after: the curve', a: 500, b: 560, want: bytesAt(curve, 560) - bytesAt(curve, 500) },
  ];
  for (const c of cases) {
    const got = bytesWithOverrides(curve, sat, c.b) - bytesWithOverrides(curve, sat, c.a);
    assert.ok(Math.abs(got - c.want) <= 1e-6 * c.want, `${c.name}: ${got} vs ${c.want}`);
  }
  // Continuous at both edges (no step), and never decreasing, also with an outage (rate 0) that never ends.
  const down: RateOverride[] = [...sat, { fromS: 600, toS: Infinity, rate: 0 }];
  for (const edge of [100, 400, 600]) {
    const jump = bytesWithOverrides(curve, down, edge + 1e-6) - bytesWithOverrides(curve, down, edge - 1e-6);
    assert.ok(jump >= 0 && jump < 1000, `edge ${edge}: ${jump}`);
  }
  let prev = 0;
  for (let t = 0; t < 2000; t += 3.7) {
    const f = bytesWithOverrides(curve, down, t);
    assert.ok(f >= prev, `t=${t}`);
    prev = f;
  }
  assert.equal(bytesWithOverrides(curve, down, 1900), bytesWithOverrides(curve, down, 700), 'nothing flows while down');
  assert.equal(bytesWithOverrides(curve, [], 321), bytesAt(curve, 321));
});

test('a new override ends the one in force, drops later ones, and never changes the past', () => {
  const cases: Array<{ name: string; list: RateOverride[]; from: number; next?: { toS: number; rate: number }; want: RateOverride[] }> = [
    { name: 'first', list: [], from: 10, next: { toS: 70, rate: 5 }, want: [{ fromS: 10, toS: 70, rate: 5 }] },
    { name: 'after an ended one', list: [{ fromS: 10, toS: 70, rate: 5 }], from: 100, next: { toS: Infinity, rate: 0 }, want: [{ fromS: 10, toS: 70, rate: 5 }, { fromS: 100, toS: Infinity, rate: 0 }] },
    { name: 'cuts the one in force', list: [{ fromS: 10, toS: 70, rate: 5 }], from: 40, next: { toS: Infinity, rate: 0 }, want: [{ fromS: 10, toS: 40, rate: 5 }, { fromS: 40, toS: Infinity, rate: 0 }] },
    { name: 'just ends (back to the curve)', list: [{ fromS: 40, toS: Infinity, rate: 0 }], from: 90, want: [{ fromS: 40, toS: 90, rate: 0 }] },
    { name: 'drops one that starts at the same time', list: [{ fromS: 40, toS: 50, rate: 1 }], from: 40, next: { toS: 45, rate: 2 }, want: [{ fromS: 40, toS: 45, rate: 2 }] },
  ];
  for (const c of cases) {
    const got = overrideFrom(c.list, c.from, c.next);
    assert.deepEqual(got, c.want, c.name);
    for (let t = 0; t <= c.from; t += 5) assert.equal(bytesWithOverrides(curve, got, t), bytesWithOverrides(curve, c.list, t), `${c.name}: the past at ${t}`);
  }
  assert.throws(() => overrideFrom([], 10, { toS: 10, rate: 1 }), /must end after it starts/);
  assert.throws(() => overrideFrom([], 10, { toS: 20, rate: -1 }), /finite number >= 0/);
  assert.deepEqual(overrideAt([{ fromS: 10, toS: 20, rate: 3 }], 15), { fromS: 10, toS: 20, rate: 3 });
  assert.equal(overrideAt([{ fromS: 10, toS: 20, rate: 3 }], 20), null);
});
