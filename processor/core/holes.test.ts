// Holes (holes.ts): a device polled by collector A until an outage, then by collector B, whose
// samples reach the engine first; A's queued samples arrive afterwards, older than B's. The engine
// must end with the windows of the in-order stream of the same samples, exactly, within the
// allowed lateness; samples inside counted intervals and duplicates change nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CounterSample, WindowResultInput } from '../../common/contracts/index.js';
import { at, engine, iface, Recorder, sample } from './engine.fixture.js';
import type { WindowEngineOptions } from './engine-types.js';
import { MAX_HOLES } from './holes.js';

/** 10 s windows, 2 s polls, gap beyond 5 polls: the integration test's shape. */
const OPTS: Partial<WindowEngineOptions> = { windowMs: 10_000, outOfOrdernessMs: 4_000, maxGapMs: 10_000, allowedLatenessMs: 60_000, idleTimeoutMs: 10_000 };

/** A deterministic pseudo-random sequence (LCG). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
}

interface Shape {
  /** Counters start this far below 2^width (a wrap inside the stream). */
  nearWrap?: bigint;
  width?: 64 | 32;
  /** The device reboots before the poll at this index (sysUpTime and counters restart). */
  rebootAt?: number;
  /** Interfaces (the second carries a third of the first's traffic). Default 1. */
  ifaces?: number;
}

/** `n` polls every 2 s from 0.898 s, traffic varying per interval (so interpolation shows). */
function polls(n: number, shape: Shape = {}, seed = 3): CounterSample[] {
  const r = rng(seed);
  const width = shape.width ?? 64;
  const mod = 1n << BigInt(width);
  // Octets since the counters started; each counter is a share of it, wrapped to the width.
  let total = shape.nearWrap === undefined ? 1_000_000n : mod - shape.nearWrap;
  let up = 5_000_000;
  const out: CounterSample[] = [];
  for (let k = 0; k < n; k++) {
    const sec = 0.898 + 2 * k;
    if (k === shape.rebootAt) {
      total = 0n;
      up = 50;
    } else if (k > 0) {
      total += BigInt(Math.round(2_000 + 200_000 * r()));
      up += 200;
    }
    const ifcs = Array.from({ length: shape.ifaces ?? 1 }, (_, i) => {
      const t = total / BigInt(1 + 2 * i);
      return iface(1 + i, { width, speed: 1e9, inOctets: t % mod, outOctets: (t / 2n) % mod, inPackets: (t / 100n) % mod, outPackets: (t / 200n) % mod });
    });
    out.push(sample('d', sec, ifcs, up));
  }
  return out;
}

/** What the engine ends up with per window (last emission; the source closed at the end), without revision numbers. */
function stored(records: CounterSample[], opts = OPTS): { windows: Map<string, Omit<WindowResultInput, 'revision'>>; rec: Recorder } {
  const e = engine(opts);
  const rec = new Recorder();
  for (const r of records) rec.take(e.ingest(r, 0, 0));
  rec.take(e.finishSource('d'));
  const windows = new Map<string, Omit<WindowResultInput, 'revision'>>();
  for (const w of rec.windows) {
    const { revision: _r, ...rest } = w;
    windows.set(`${w.ifIndex ?? '-'}/${w.windowStart}`, rest);
  }
  return { windows, rec };
}

/**
 * A's polls up to `lastA` (index), then B's from `firstB` on (the first `bAhead` of them before A's
 * queue), then A's queue (`queue`: indices, default lastA+1 .. firstB-1 in order), then B's rest.
 */
function twoCollectors(all: CounterSample[], lastA: number, firstB: number, bAhead: number, queue?: number[]): CounterSample[] {
  const q = queue ?? Array.from({ length: firstB - lastA - 1 }, (_, i) => lastA + 1 + i);
  return [...all.slice(0, lastA + 1), ...all.slice(firstB, firstB + bAhead), ...q.map((i) => all[i]), ...all.slice(firstB + bAhead)];
}

const inOrder = (all: CounterSample[], indices: number[]) => [...indices].sort((a, b) => a - b).map((i) => all[i]);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test("another collector's samples first, then the late queue: windows equal the in-order stream's, exact", () => {
  const all = polls(60);
  // A polled until 27.9 s (index 13); B from 47.9 s (index 23); three of B's polls come first.
  const got = stored(twoCollectors(all, 13, 23, 3));
  const want = stored(all);
  assert.deepEqual(got.windows, want.windows);
  assert.ok([...want.windows.values()].every((w) => w.coverage === 1 || w.windowStart === at(0) || w.windowEnd > at(110)), 'the in-order stream covers every window');
  assert.deepEqual(got.rec.kinds(), ['first', 'gap'], 'the gap is reported; the queue fills it without events');
  // Without the fill (today's engine would drop A's queue), the windows of the gap were partial.
  const without = stored([...all.slice(0, 14), ...all.slice(23)]);
  assert.ok([...without.windows.values()].some((w) => w.coverage < 1 && w.windowStart > at(0) && w.windowEnd <= at(110)));
});

test('a partial fill: the windows equal the in-order stream of the samples that came, the rest stays uncounted', () => {
  const all = polls(60);
  // Only four of A's nine queued polls arrive: [35.9, 47.9) stays a gap (12 s > the maximum gap).
  const queue = [14, 15, 16, 17];
  const got = stored(twoCollectors(all, 13, 23, 3, queue));
  const want = stored(inOrder(all, [...range(0, 18), ...range(23, 60)]));
  assert.deepEqual(got.windows, want.windows);
  assert.ok(got.windows.get(`1/${at(40)}`)!.coverage < 1, 'the window at 40 s is partial');
  // The queue arriving in reverse order still counts every interval once (no double counting).
  const reversed = stored(twoCollectors(all, 13, 23, 3, [...range(14, 23)].reverse()));
  const total = (m: Map<string, Omit<WindowResultInput, 'revision'>>) => [...m.values()].filter((w) => w.ifIndex === 1).reduce((s, w) => s + w.inOctets, 0n);
  assert.equal(total(reversed.windows), total(stored(all).windows));
});

test('duplicates and samples inside counted intervals change nothing', () => {
  const all = polls(60);
  const plain = stored(twoCollectors(all, 13, 23, 3));
  // Every queued poll twice (a producer retry), the hole's ends again, and an old poll from a counted interval.
  const queue = range(14, 23).flatMap((i) => [i, i]);
  const noisy = twoCollectors(all, 13, 23, 3, queue);
  noisy.splice(30, 0, all[13], all[23], all[5], all[24]);
  const got = stored(noisy);
  assert.deepEqual(got.windows, plain.windows);
  assert.ok(got.rec.kinds().filter((k) => k === 'out-of-order').length >= 9 + 4, `out-of-order events: ${got.rec.kinds().join(',')}`);
});

test('a wrap, a reboot inside the hole, two interfaces: filled as the in-order stream counts them (device rollup included)', () => {
  for (const shape of [{ width: 32 as const, nearWrap: 1_500_000n }, { rebootAt: 18 }, { ifaces: 2 }]) {
    const all = polls(60, shape);
    const want = stored(all);
    const got = stored(twoCollectors(all, 13, 23, 3));
    assert.deepEqual(got.windows, want.windows, JSON.stringify(shape, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    if (shape.rebootAt !== undefined) assert.ok(want.rec.kinds().includes('reset:sysuptime-went-back'));
  }
});

test('a reset leaves a hole too: the interval around a reboot is split by a late sample as in order', () => {
  const all = polls(40, { rebootAt: 12 });
  // B's first poll (index 14) comes right after A's index 10: [10, 14) is a reset; A's 11..13 come late.
  const got = stored(twoCollectors(all, 10, 14, 2));
  const want = stored(all);
  assert.deepEqual(got.windows, want.windows);
});

test('a hole ages out: past the allowed lateness a sample inside it is an ordinary out-of-order one', () => {
  const all = polls(120);
  // A's queue comes after B's polls moved the watermark past the hole's windows plus the lateness (60 s).
  const recs = [...all.slice(0, 14), ...all.slice(23, 80), ...all.slice(14, 23), ...all.slice(80)];
  const got = stored(recs);
  const without = stored([...all.slice(0, 14), ...all.slice(23)]);
  assert.deepEqual(got.windows, without.windows);
  assert.equal(got.rec.kinds().filter((k) => k === 'out-of-order').length, 9);
  // Within the lateness but after the windows were emitted: revisions fill them.
  const late = [...all.slice(0, 14), ...all.slice(23, 40), ...all.slice(14, 23), ...all.slice(40)];
  const revised = stored(late);
  assert.deepEqual(revised.windows, stored(all).windows);
  assert.ok(revised.rec.windows.some((w) => w.ifIndex === 1 && w.windowStart === at(30) && w.revision > 0), 'the window at 30 s was revised');
});

test('holes per interface are bounded and dropped once past the lateness', () => {
  const all = polls(170);
  // Seven outages of 12 s each, none filled yet.
  const outage = (i: number) => range(0, 7).some((k) => i > 20 + 20 * k && i < 27 + 20 * k);
  const e = engine(OPTS);
  const rec = new Recorder();
  for (let i = 0; i < 160; i++) if (!outage(i)) rec.take(e.ingest(all[i], 0, 0));
  assert.equal(rec.kinds().filter((k) => k === 'gap').length, 7);
  assert.ok(MAX_HOLES < 7);
  assert.ok(e.holeCount('d') <= MAX_HOLES, `holes: ${e.holeCount('d')}`);
  // The late queue of the first outage fills nothing (its hole is past the lateness), that of the last one fills its hole.
  const first = range(21, 27).map((i) => e.ingest(all[i], 0, 0));
  assert.ok(first.every((o) => o.windows.length === 0 && o.events.every((x) => x.kind === 'out-of-order')));
  const last = range(141, 147).flatMap((i) => e.ingest(all[i], 0, 0).windows);
  assert.ok(last.some((w) => w.ifIndex === 1 && w.windowStart === at(280) && w.revision > 0), 'the last hole is filled (its windows revised)');
  // Once the watermark is past every hole's windows plus the lateness, none is left.
  for (let i = 160; i < 170; i++) e.ingest(all[i], 0, 0);
  e.ingest(sample('d', 500, [iface(1, { inOctets: 10n ** 12n })]), 0, 0);
  assert.equal(e.holeCount('d'), 1, 'only the gap to the sample at 500 s');
});

test('eviction still drops an interface with a hole once it is quiet for the TTL', () => {
  const e = engine({ ...OPTS, stateTtlMs: 600_000 });
  const all = polls(40);
  for (const r of [...all.slice(0, 14), ...all.slice(23, 40)]) e.ingest(r, 0, 0);
  assert.equal(e.snapshotSize().devices, 1);
  e.ingest(sample('other', 2_000, [iface(1)]), 0, 0);
  const out = e.tick(120_000);
  assert.ok(out.events.some((x) => x.kind === 'evicted' && x.deviceId === 'd'), 'device d evicted');
  assert.equal(e.snapshotSize().devices, 1);
});

// Fault e of the fault suite: a 1000-interface device's polls sent in label order (0, 1, 10..15, 2..9).
test('a fill beyond the allowed lateness is late once per record, not once per interface', () => {
  const all = polls(16, { ifaces: 50 });
  const order = [0, 1, ...range(10, 16), ...range(2, 10)];
  const e = engine({ ...OPTS, windowMs: 20_000, allowedLatenessMs: 5_000 });
  const rec = new Recorder();
  const perRecord = order.map((i) => rec.take(e.ingest(all[i], 0, 0)).events.filter((x) => x.kind === 'late').length);
  assert.ok(perRecord.some((n) => n === 1), `late events per record: ${perRecord.join(',')}`);
  assert.ok(perRecord.every((n) => n <= 1), `late events per record: ${perRecord.join(',')}`);
});
