// Counter -> delta for two consecutive observations of ONE interface. Pure: no clock, no I/O.
// Rules (docs: ARCHITECTURE "The semantics that make the numbers right"):
// - delta = c1 - c0. A decrease is a wrap (+2^width) only when sysUpTime advanced consistently with
//   the wall-clock time between the observations AND the implied rate fits the link speed;
//   otherwise the interval is a reset (no delta, new baseline). Never negative, never a spike.
// - Octets/packets are `width` bits; errors/discards are always Counter32, wrap-checked without speed.
// - A rate above maxRateFactor x speed (octets, or packets counted at MIN_PACKET_OCTETS) is
//   impossible: 'implausible', dropped whole. Unknown speed (0) is taken as UNKNOWN_SPEED_BPS.
// - Order of checks: out-of-order, width, discontinuity, sysUpTime back, gap, wraps, rates.
// - Every result except 'out-of-order' makes `cur` the caller's new baseline.

/** One interface's counters at one instant, as the engine keeps them between samples. */
export interface Observation {
  /** Event time (ms) of the counters. */
  ts: number;
  /** sysUpTime in centiseconds (TimeTicks, wraps at 2^32). */
  sysUpTime: number;
  width: 64 | 32;
  /** Link speed in bit/s; 0 = unknown. */
  speed: number;
  /** ifCounterDiscontinuityTime; 0 = unknown. */
  discontinuityTime: number;
  inOctets: bigint;
  outOctets: bigint;
  inPackets: bigint;
  outPackets: bigint;
  inErrors?: bigint | undefined;
  outErrors?: bigint | undefined;
  inDiscards?: bigint | undefined;
  outDiscards?: bigint | undefined;
}

export const COUNTER_NAMES = [
  'inOctets',
  'outOctets',
  'inPackets',
  'outPackets',
  'inErrors',
  'outErrors',
  'inDiscards',
  'outDiscards',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
export type CounterDeltas = Record<CounterName, bigint>;

/** Why an interval was treated as a counter reset (no delta, new baseline). */
export const RESET_REASONS = [
  'width-changed',
  'discontinuity-changed',
  /** sysUpTime decreased and it was not its own 2^32 wrap: the device or agent restarted. */
  'sysuptime-went-back',
  /** A counter decreased but sysUpTime did not advance like the wall clock: not a provable wrap. */
  'wrap-uptime-inconsistent',
  /** A counter decreased and adding 2^width gives a rate the link cannot carry (or a 64-bit wrap at unknown speed). */
  'wrap-implausible',
] as const;
export type ResetReason = (typeof RESET_REASONS)[number];

/** Why a delta was dropped as impossible for the link (dropped whole, never clipped). */
export const IMPLAUSIBLE_REASONS = [
  'in-octets-above-speed',
  'out-octets-above-speed',
  'in-packets-above-speed',
  'out-packets-above-speed',
] as const;
export type ImplausibleReason = (typeof IMPLAUSIBLE_REASONS)[number];

export type DeltaResult =
  | { kind: 'delta'; t0: number; t1: number; deltas: CounterDeltas; wrapped: readonly CounterName[] }
  | { kind: 'reset'; reason: ResetReason }
  | { kind: 'implausible'; reason: ImplausibleReason }
  | { kind: 'gap'; elapsedMs: number }
  | { kind: 'out-of-order'; elapsedMs: number };

export interface DeltaOptions {
  /** A longer interval is not spread over windows (result 'gap'). */
  maxGapMs: number;
  /** A rate above maxRateFactor x link speed is impossible (implausible / wrap rejected). */
  maxRateFactor: number;
}

/**
 * sysUpTime must advance like the wall clock within max(2 s, 10 % of the interval). 2 s absorbs
 * response latency jitter (ts is when the response arrived, sysUpTime when the agent answered) and
 * per-interface timestamps of multi-request walks; 10 % absorbs agent clock drift on long intervals.
 */
export const UPTIME_TOLERANCE_MIN_MS = 2000;
export const UPTIME_TOLERANCE_FRACTION = 0.1;
/**
 * Packet counters are checked against the link speed as if every packet were this small (a bare
 * IPv4 header): a floor no link type goes under, so only physically impossible packet rates fail.
 */
export const MIN_PACKET_OCTETS = 20;
/**
 * The speed assumed when the device does not know it: the largest the contract admits (1 Pbit/s).
 * So at unknown speed a 32-bit wrap passes (2^32 octets is seconds of traffic) while a 64-bit
 * "wrap" of a counter not already within ~10^16 of 2^64 — i.e. any real reset — is implausible,
 * and no garbage jump of 2^60 becomes a spike.
 */
export const UNKNOWN_SPEED_BPS = 1e15;

const UPTIME_MODULUS = 2 ** 32;
const WRAP_32 = 1n << 32n;
const WRAP_64 = 1n << 64n;
const NO_WRAPS: readonly CounterName[] = Object.freeze([]);

/** Does sysUpTime's advance (mod 2^32 centiseconds) match the wall-clock elapsed time? */
export function uptimeConsistent(prevUptime: number, curUptime: number, elapsedMs: number): boolean {
  let advance = curUptime - prevUptime;
  if (advance < 0) advance += UPTIME_MODULUS;
  const tolerance = Math.max(UPTIME_TOLERANCE_MIN_MS, elapsedMs * UPTIME_TOLERANCE_FRACTION);
  return Math.abs(advance * 10 - elapsedMs) <= tolerance;
}

// Scratch of the current computeDelta call (reset at its start; JS is single-threaded and the
// call is not re-entrant): lets `step` report a reset and a wrap without allocating.
let stepReset: ResetReason | null = null;
let wrappedMask = 0;

/**
 * One counter's delta. `wrap` is 2^width; `limit` the most units the link could carry in the
 * interval (Infinity = no speed check). Returns the delta, or 0n with stepReset set.
 */
function step(c0: bigint | undefined, c1: bigint | undefined, wrap: bigint, uptimeOk: boolean, limit: number, bit: number): bigint {
  // Errors/discards absent on either side (ifTable-only agents) count as no change.
  if (c0 === undefined || c1 === undefined) return 0n;
  const d = c1 - c0;
  if (d >= 0n) return d;
  if (!uptimeOk) {
    stepReset ??= 'wrap-uptime-inconsistent';
    return 0n;
  }
  const unwrapped = d + wrap;
  // Still negative: c0 was out of range for the width (bad agent data), not a wrap.
  if (unwrapped < 0n || Number(unwrapped) > limit) {
    stepReset ??= 'wrap-implausible';
    return 0n;
  }
  wrappedMask |= bit;
  return unwrapped;
}

/** The fields of an observation that decide whether an interval gives a delta at all. */
export type IntervalEnds = Pick<Observation, 'ts' | 'sysUpTime' | 'width' | 'discontinuityTime'>;

/**
 * The checks before any counter is looked at, in computeDelta's order: out-of-order, width,
 * discontinuity, sysUpTime back, gap. Null when the interval can give a delta.
 */
export function intervalCheck(prev: IntervalEnds, cur: IntervalEnds, opts: DeltaOptions): DeltaResult | null {
  const elapsedMs = cur.ts - prev.ts;
  // The interval from prev to a newer sample already covers an older or repeated one.
  if (elapsedMs <= 0) return { kind: 'out-of-order', elapsedMs };
  if (cur.width !== prev.width) return { kind: 'reset', reason: 'width-changed' };
  if (cur.discontinuityTime !== prev.discontinuityTime) return { kind: 'reset', reason: 'discontinuity-changed' };
  if (cur.sysUpTime < prev.sysUpTime && !uptimeConsistent(prev.sysUpTime, cur.sysUpTime, elapsedMs)) return { kind: 'reset', reason: 'sysuptime-went-back' };
  if (elapsedMs > opts.maxGapMs) return { kind: 'gap', elapsedMs };
  return null;
}

/** The most octets the link could carry in the interval (packets: this / MIN_PACKET_OCTETS). */
export function maxOctets(prevSpeed: number, curSpeed: number, elapsedMs: number, maxRateFactor: number): number {
  // A speed change (renegotiation) mid-interval: the faster one bounds what the link could carry.
  const speed = Math.max(prevSpeed, curSpeed) || UNKNOWN_SPEED_BPS;
  return (maxRateFactor * speed * (elapsedMs / 1000)) / 8;
}

/** Why the interval's octet or packet deltas are impossible for the link, or null. */
export function implausibleReason(inOctets: number, outOctets: number, inPackets: number, outPackets: number, octets: number): ImplausibleReason | null {
  const packets = octets / MIN_PACKET_OCTETS;
  if (inOctets > octets) return 'in-octets-above-speed';
  if (outOctets > octets) return 'out-octets-above-speed';
  if (inPackets > packets) return 'in-packets-above-speed';
  if (outPackets > packets) return 'out-packets-above-speed';
  return null;
}

export function computeDelta(prev: Observation, cur: Observation, opts: DeltaOptions): DeltaResult {
  const early = intervalCheck(prev, cur, opts);
  if (early !== null) return early;
  const elapsedMs = cur.ts - prev.ts;
  const ok = uptimeConsistent(prev.sysUpTime, cur.sysUpTime, elapsedMs);
  const octets = maxOctets(prev.speed, cur.speed, elapsedMs, opts.maxRateFactor);
  const packets = octets / MIN_PACKET_OCTETS;
  const wrap = cur.width === 64 ? WRAP_64 : WRAP_32;
  stepReset = null;
  wrappedMask = 0;
  const deltas: CounterDeltas = {
    inOctets: step(prev.inOctets, cur.inOctets, wrap, ok, octets, 1),
    outOctets: step(prev.outOctets, cur.outOctets, wrap, ok, octets, 2),
    inPackets: step(prev.inPackets, cur.inPackets, wrap, ok, packets, 4),
    outPackets: step(prev.outPackets, cur.outPackets, wrap, ok, packets, 8),
    // Errors and discards are Counter32 whatever the width, and have no speed bound.
    inErrors: step(prev.inErrors, cur.inErrors, WRAP_32, ok, Infinity, 16),
    outErrors: step(prev.outErrors, cur.outErrors, WRAP_32, ok, Infinity, 32),
    inDiscards: step(prev.inDiscards, cur.inDiscards, WRAP_32, ok, Infinity, 64),
    outDiscards: step(prev.outDiscards, cur.outDiscards, WRAP_32, ok, Infinity, 128),
  };
  // A reset (new baseline) wins over a dropped interval.
  if (stepReset !== null) return { kind: 'reset', reason: stepReset };
  const implausible = implausibleReason(Number(deltas.inOctets), Number(deltas.outOctets), Number(deltas.inPackets), Number(deltas.outPackets), octets);
  if (implausible !== null) return { kind: 'implausible', reason: implausible };
  return { kind: 'delta', t0: prev.ts, t1: cur.ts, deltas, wrapped: wrappedMask === 0 ? NO_WRAPS : wrappedNames(wrappedMask) };
}

/**
 * computeDelta's deltas in doubles, without allocating, for the common case: counters in
 * COUNTER_NAMES order, every one of both sides below 2^53, none decreased (so no wrap question).
 * Bit i of a `present` mask: counter 4 + i (errors, discards) was reported; absent on either side
 * counts as no change, as in computeDelta. Fills `out` and returns true, or returns false (the
 * caller takes computeDelta). The interval itself must have passed intervalCheck.
 */
export function safeDeltas(prev: ArrayLike<number>, prevPresent: number, cur: ArrayLike<number>, curPresent: number, out: number[]): boolean {
  const both = prevPresent & curPresent;
  for (let i = 0; i < 8; i++) {
    if (i >= 4 && ((both >> (i - 4)) & 1) === 0) {
      out[i] = 0;
      continue;
    }
    const a = prev[i];
    const b = cur[i];
    if (!(a <= Number.MAX_SAFE_INTEGER && b <= Number.MAX_SAFE_INTEGER) || b < a) return false;
    out[i] = b - a;
  }
  return true;
}

function wrappedNames(mask: number): CounterName[] {
  return COUNTER_NAMES.filter((_, i) => (mask & (1 << i)) !== 0);
}
