// The lab's traffic model (pure). Each interface direction has a rate
//   r(t) = B · (1 + Σ a_k · sin(ω_k·t + φ_k))          bytes/s, t in seconds since the lab started
// (one slow "diurnal" sine plus a few faster, incommensurate sines as noise), and its byte count is the
// exact closed-form integral
//   F(t) = B · t + Σ (B·a_k/ω_k) · (cos φ_k − cos(ω_k·t + φ_k)).
// Counters are computed from F at request time, so they need no state per request, cost O(1) per value
// and are monotonic: Σ a_k ≤ MAX_SWING < 1 keeps r(t) > 0. Every other counter of the interface
// (packets by kind, errors, discards) is floor(factor · F) of its direction: also an exact integral.
// Profiles are drawn from a seeded PRNG, so a lab with the same seed has the same traffic.
// Overrides replace the curve for a stretch of time with a constant rate (a link driven near its line
// rate, or an oper-down port carrying nothing): the count stays the exact integral of the rate actually
// in force, so it is continuous and never decreases. Overrides are only ever added from "now" on, so
// what a counter read before keeps reading the same.

/** A deterministic PRNG (mulberry32): uniform in [0, 1). */
export type Rng = () => number;

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes integers into one 32-bit seed (so device 3 / port 7 gets its own stream). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
  }
  return h >>> 0;
}

/** The largest Σ a_k: the rate never drops below (1 − MAX_SWING) · B. */
export const MAX_SWING = 0.9;

/**
 * One direction's rate curve, flat for speed: `terms` holds, per sine, [B·a/ω, ω, φ, cos φ].
 * `base` 0 means no traffic at all (a down interface). Plain arrays of doubles, not Float64Array: a
 * lab holds hundreds of thousands of these, and a typed array costs several times its 128 bytes.
 */
export interface RateCurve {
  readonly base: number;
  readonly terms: readonly number[];
}

export interface Wave {
  /** Relative amplitude a (fraction of the base rate). */
  amp: number;
  /** Period in seconds. */
  periodS: number;
  /** Phase φ in radians. */
  phase: number;
}

export function rateCurve(base: number, waves: readonly Wave[]): RateCurve {
  if (!(base >= 0) || !Number.isFinite(base)) throw new RangeError(`base rate must be a finite number >= 0, got ${base}`);
  const swing = waves.reduce((s, w) => s + Math.abs(w.amp), 0);
  if (swing > MAX_SWING + 1e-12) throw new RangeError(`sum of amplitudes ${swing} exceeds ${MAX_SWING}: the rate could reach zero`);
  const terms = new Array<number>(waves.length * 4).fill(0);
  waves.forEach((w, i) => {
    if (!(w.periodS > 0)) throw new RangeError(`period must be > 0, got ${w.periodS}`);
    const omega = (2 * Math.PI) / w.periodS;
    terms[i * 4] = (base * w.amp) / omega;
    terms[i * 4 + 1] = omega;
    terms[i * 4 + 2] = w.phase;
    terms[i * 4 + 3] = Math.cos(w.phase);
  });
  return { base, terms };
}

/** Rate in bytes/s at t seconds. */
export function rateAt(c: RateCurve, t: number): number {
  let r = c.base;
  const k = c.terms;
  for (let i = 0; i < k.length; i += 4) r += k[i] * k[i + 1] * Math.sin(k[i + 1] * t + k[i + 2]);
  return r;
}

/** Bytes sent from t = 0 to t seconds: the exact integral of rateAt (a real number, not floored). */
export function bytesAt(c: RateCurve, t: number): number {
  if (c.base === 0) return 0;
  let f = c.base * t;
  const k = c.terms;
  for (let i = 0; i < k.length; i += 4) f += k[i] * (k[i + 3] - Math.cos(k[i + 1] * t + k[i + 2]));
  return f;
}

/** The counters of one interface, as indexes into its factor table. */
export const COUNTER = {
  inOctets: 0,
  inUcastPkts: 1,
  inMulticastPkts: 2,
  inBroadcastPkts: 3,
  outOctets: 4,
  outUcastPkts: 5,
  outMulticastPkts: 6,
  outBroadcastPkts: 7,
  inErrors: 8,
  outErrors: 9,
  inDiscards: 10,
  outDiscards: 11,
} as const;
export type CounterKind = (typeof COUNTER)[keyof typeof COUNTER];
export const COUNTER_KINDS = 12;

/** Whether a counter integrates the inbound (true) or the outbound (false) curve. */
export function isInbound(kind: CounterKind): boolean {
  return kind <= 3 || kind === COUNTER.inErrors || kind === COUNTER.inDiscards;
}

/** One direction runs at `rate` bytes/s in [fromS, toS) instead of its curve (toS may be Infinity). */
export interface RateOverride {
  readonly fromS: number;
  readonly toS: number;
  readonly rate: number;
}

/**
 * Bytes from 0 to t seconds with the overrides (in time order, not overlapping) in force. Summed piece
 * by piece from the start, so inside an override the count is a constant plus rate·(t - from), exactly
 * (an outage reads the same number throughout, never a rounding step down), and without overrides it
 * is bytesAt itself.
 */
export function bytesWithOverrides(c: RateCurve, overrides: readonly RateOverride[], t: number): number {
  if (overrides.length === 0 || t <= overrides[0].fromS) return bytesAt(c, t);
  let acc = 0;
  let cursor = 0;
  for (const o of overrides) {
    if (t <= o.fromS) break;
    acc += bytesAt(c, o.fromS) - bytesAt(c, cursor);
    const end = Math.min(t, o.toS);
    acc += o.rate * (end - o.fromS);
    cursor = end;
    if (t <= o.toS) return acc;
  }
  return acc + (bytesAt(c, t) - bytesAt(c, cursor));
}

/**
 * The overrides after one more from `fromS` on: any override still in force at fromS ends there, any
 * that would start later is dropped, then `next` (if any) is appended. With no `next` this just ends
 * what is in force (back to the curve).
 */
export function overrideFrom(list: readonly RateOverride[], fromS: number, next?: Omit<RateOverride, 'fromS'>): RateOverride[] {
  if (next && !(next.rate >= 0 && Number.isFinite(next.rate))) throw new RangeError(`override rate must be a finite number >= 0, got ${next.rate}`);
  if (next && !(next.toS > fromS)) throw new RangeError(`override must end after it starts (${fromS} s), got ${next.toS}`);
  const out = list.filter((o) => o.fromS < fromS).map((o) => (o.toS > fromS ? { ...o, toS: fromS } : o));
  if (next) out.push({ fromS, toS: next.toS, rate: next.rate });
  return out;
}

/** The override in force at t (seconds), or null. */
export function overrideAt(list: readonly RateOverride[], t: number): RateOverride | null {
  for (const o of list) if (o.fromS <= t && t < o.toS) return o;
  return null;
}

export type TrafficClass = 'down' | 'idle' | 'normal' | 'busy';

export interface InterfaceTraffic {
  readonly klass: TrafficClass;
  readonly in: RateCurve;
  readonly out: RateCurve;
  /** Per counter kind: count = floor(factor · bytes of its direction). Octets have factor 1. */
  readonly factors: readonly number[];
  /** Stretches where a direction runs at a fixed rate instead of its curve (replaced, never edited in place). */
  overridesIn: readonly RateOverride[];
  overridesOut: readonly RateOverride[];
}

/** Bytes of one direction from 0 to t seconds, overrides included. */
export function directionBytes(tr: InterfaceTraffic, inbound: boolean, t: number): number {
  return inbound ? bytesWithOverrides(tr.in, tr.overridesIn, t) : bytesWithOverrides(tr.out, tr.overridesOut, t);
}

/** Integer count of one counter after t seconds (since the lab started; floor of an exact integral). */
export function countAt(tr: InterfaceTraffic, kind: CounterKind, t: number): number {
  return Math.floor(tr.factors[kind] * directionBytes(tr, isInbound(kind), t));
}

const between = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
/** Log-uniform: spreads rates over orders of magnitude. */
const logBetween = (rng: Rng, lo: number, hi: number) => Math.exp(between(rng, Math.log(lo), Math.log(hi)));

/** Draws a class: some interfaces down, some idle, most carrying traffic, a few busy. */
export function pickClass(rng: Rng): TrafficClass {
  const u = rng();
  return u < 0.1 ? 'down' : u < 0.3 ? 'idle' : u < 0.85 ? 'normal' : 'busy';
}

/** Mean utilization (fraction of the link) by class. */
const UTILIZATION: Record<Exclude<TrafficClass, 'down'>, [number, number]> = {
  idle: [2e-7, 2e-5],
  normal: [0.003, 0.12],
  busy: [0.2, 0.45],
};

function curve(rng: Rng, base: number, daySeconds: number, dayPhase: number): RateCurve {
  const day = between(rng, 0.15, 0.5);
  const waves: Wave[] = [{ amp: day, periodS: daySeconds, phase: dayPhase + between(rng, -0.4, 0.4) }];
  let left = Math.min(0.3, MAX_SWING - day);
  for (let i = 0; i < 3; i++) {
    const amp = between(rng, 0.3, 1) * (left / (3 - i));
    left -= amp;
    waves.push({ amp, periodS: logBetween(rng, 7, 150), phase: between(rng, 0, 2 * Math.PI) });
  }
  return rateCurve(base, waves);
}

/**
 * An interface's traffic: a class, a rate curve per direction (in and out differ), packet sizes, the
 * unicast / multicast / broadcast mix and small error and discard rates. The peak rate stays below the
 * link speed: base · (1 + MAX_SWING) < speed. `dayPhase` (radians) is shared by a device's ports so
 * they peak together.
 */
export function makeTraffic(rng: Rng, o: { speedBps: number; klass: TrafficClass; daySeconds: number; dayPhase: number }): InterfaceTraffic {
  const factors = new Array<number>(COUNTER_KINDS).fill(0);
  if (o.klass === 'down') {
    const none = rateCurve(0, []);
    return { klass: o.klass, in: none, out: none, factors, overridesIn: [], overridesOut: [] };
  }
  const linkBytes = o.speedBps / 8;
  const [lo, hi] = UTILIZATION[o.klass];
  const inBase = linkBytes * logBetween(rng, lo, hi);
  const outBase = Math.min(inBase * logBetween(rng, 0.25, 4), linkBytes * 0.5);
  const inSize = between(rng, 180, 1400);
  const outSize = between(rng, 180, 1400);
  const inUcast = between(rng, 0.9, 0.995);
  const outUcast = between(rng, 0.95, 0.999);
  const inMcastShare = rng();
  const outMcastShare = rng();
  factors[COUNTER.inOctets] = 1;
  factors[COUNTER.outOctets] = 1;
  factors[COUNTER.inUcastPkts] = inUcast / inSize;
  factors[COUNTER.inMulticastPkts] = ((1 - inUcast) * inMcastShare) / inSize;
  factors[COUNTER.inBroadcastPkts] = ((1 - inUcast) * (1 - inMcastShare)) / inSize;
  factors[COUNTER.outUcastPkts] = outUcast / outSize;
  factors[COUNTER.outMulticastPkts] = ((1 - outUcast) * outMcastShare) / outSize;
  factors[COUNTER.outBroadcastPkts] = ((1 - outUcast) * (1 - outMcastShare)) / outSize;
  // Errors and discards per packet: most ports clean, a few with a small, steady rate.
  const noisy = rng() < 0.2;
  factors[COUNTER.inErrors] = noisy ? logBetween(rng, 1e-7, 1e-5) / inSize : 0;
  factors[COUNTER.outErrors] = noisy && rng() < 0.3 ? logBetween(rng, 1e-8, 1e-6) / outSize : 0;
  factors[COUNTER.inDiscards] = rng() < 0.15 ? logBetween(rng, 1e-8, 1e-6) / inSize : 0;
  factors[COUNTER.outDiscards] = o.klass === 'busy' || rng() < 0.1 ? logBetween(rng, 1e-7, 1e-4) / outSize : 0;
  return {
    klass: o.klass,
    in: curve(rng, inBase, o.daySeconds, o.dayPhase),
    out: curve(rng, outBase, o.daySeconds, o.dayPhase + between(rng, -0.3, 0.3)),
    factors,
    overridesIn: [],
    overridesOut: [],
  };
}
