// Apportioning: split integer deltas covering [t0, t1) over the epoch-aligned windows
// [k*windowMs, (k+1)*windowMs) they overlap, in proportion to the overlap, EXACTLY in integers.
// Rule: cumulative rounding, part_i = floor(V*cum_i/T) - floor(V*cum_{i-1}/T), with cum_i the
// overlap up to the end of window i and T = t1 - t0. The parts sum to V, each is >= 0, and each
// depends only on (t0, t1, windowMs, V): deterministic and independent of arrival order.
// Two exact paths give the same parts: bigint for any value, and doubles for values below 2^53
// (the hot path: no allocation), see splitSafe.

export interface ApportionPart {
  windowStart: number;
  overlapMs: number;
  values: bigint[];
}

/** Receives one window's share. `parts` is scratch owned by the apportioner: read it, do not keep it. */
export type PartVisitor<T extends bigint | number = bigint> = (windowStart: number, overlapMs: number, parts: readonly T[]) => void;

/** Largest interval for which V*cum stays exact in doubles after the q/r split below: T^2 < 2^53. */
export const MAX_SAFE_SPAN_MS = Math.floor(Math.sqrt(Number.MAX_SAFE_INTEGER));

export interface Apportioner {
  /**
   * Visits the windows [t0, t1) overlaps, oldest first. When the interval lies in one window the
   * visitor gets `values` itself. Not re-entrant: the visitor must not call the apportioner.
   */
  split(t0: number, t1: number, values: readonly bigint[], visit: PartVisitor<bigint>): void;
  /**
   * The same parts as `split`, in doubles, allocation-free. Precondition (see canSplitSafe): every
   * value is an integer in [0, 2^53) and t1 - t0 <= MAX_SAFE_SPAN_MS.
   */
  splitSafe(t0: number, t1: number, values: readonly number[], visit: PartVisitor<number>): void;
}

export function windowStartOf(ts: number, windowMs: number): number {
  return Math.floor(ts / windowMs) * windowMs;
}

export function assertWindowMs(windowMs: number): void {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  }
}

export function canSplitSafe(t0: number, t1: number, values: readonly number[]): boolean {
  if (t1 - t0 > MAX_SAFE_SPAN_MS) return false;
  for (const v of values) if (!(v <= Number.MAX_SAFE_INTEGER)) return false;
  return true;
}

/** An apportioner with its own scratch arrays, for a hot loop that calls it once per delta. */
export function createApportioner(windowMs: number): Apportioner {
  assertWindowMs(windowMs);
  const parts: bigint[] = [];
  const floors: bigint[] = [];
  // Double-element arrays from the start (sized for the engine's 8 counters; they grow if needed).
  const safeParts: number[] = new Array<number>(8).fill(0.5).fill(0);
  const safeFloors: number[] = new Array<number>(8).fill(0.5).fill(0);
  return {
    split(t0, t1, values, visit) {
      const first = windowStartOf(t0, windowMs);
      if (t1 <= first + windowMs) visit(first, t1 - t0, values);
      else splitAcross(t0, t1, windowMs, first, values, parts, floors, visit);
    },
    splitSafe(t0, t1, values, visit) {
      const first = windowStartOf(t0, windowMs);
      if (t1 <= first + windowMs) visit(first, t1 - t0, values);
      else splitAcrossSafe(t0, t1, windowMs, first, values, safeParts, safeFloors, visit);
    },
  };
}

/**
 * Splits `values` (each >= 0) covering [t0, t1) over windows of `windowMs`. Returns one part per
 * overlapped window, oldest first; the parts of each value sum to it exactly.
 */
export function apportion(t0: number, t1: number, windowMs: number, values: readonly bigint[]): ApportionPart[] {
  assertWindowMs(windowMs);
  if (!Number.isSafeInteger(t0) || !Number.isSafeInteger(t1) || t1 <= t0) {
    throw new RangeError(`expected integer t0 < t1, got [${t0}, ${t1})`);
  }
  for (const v of values) {
    if (v < 0n) throw new RangeError(`values must be >= 0, got ${v}`);
  }
  const out: ApportionPart[] = [];
  const collect: PartVisitor = (windowStart, overlapMs, parts) => {
    out.push({ windowStart, overlapMs, values: parts.slice() });
  };
  splitAcross(t0, t1, windowMs, windowStartOf(t0, windowMs), values, [], [], collect);
  return out;
}

function splitAcross(
  t0: number,
  t1: number,
  windowMs: number,
  first: number,
  values: readonly bigint[],
  parts: bigint[],
  floors: bigint[],
  visit: PartVisitor<bigint>,
): void {
  const n = values.length;
  parts.length = n;
  floors.length = n;
  for (let i = 0; i < n; i++) floors[i] = 0n;
  const total = t1 - t0;
  const bigTotal = BigInt(total);
  let cum = 0;
  for (let ws = first; ws < t1; ws += windowMs) {
    const overlap = Math.min(t1, ws + windowMs) - Math.max(t0, ws);
    cum += overlap;
    if (cum === total) {
      // The last window takes the remainder: floor(V*T/T) = V, no division needed.
      for (let i = 0; i < n; i++) parts[i] = values[i] - floors[i];
    } else {
      const bigCum = BigInt(cum);
      for (let i = 0; i < n; i++) {
        const f = (values[i] * bigCum) / bigTotal; // bigint division truncates = floor for V >= 0
        parts[i] = f - floors[i];
        floors[i] = f;
      }
    }
    visit(ws, overlap, parts);
  }
}

/** floor(v*cum/total) exactly, for integers v < 2^53 and cum < total <= MAX_SAFE_SPAN_MS (see splitAcrossSafe). */
function floorShare(v: number, cum: number, total: number): number {
  if (v * cum <= Number.MAX_SAFE_INTEGER) return Math.floor((v * cum) / total);
  const q = Math.floor(v / total);
  return q * cum + Math.floor(((v - q * total) * cum) / total);
}

/**
 * floor(V*cum/T) in doubles. Directly when V*cum < 2^53 (nearly always: V < 1.5e11 for a 60 s
 * window); otherwise without forming V*cum: with V = q*T + r it is q*cum + floor(r*cum/T), every
 * operand an integer below 2^53 (q*cum <= V, r*cum < T^2). floor(a/b) of such integers is exact
 * in IEEE doubles.
 */
function splitAcrossSafe(
  t0: number,
  t1: number,
  windowMs: number,
  first: number,
  values: readonly number[],
  parts: number[],
  floors: number[],
  visit: PartVisitor<number>,
): void {
  const n = values.length;
  const total = t1 - t0;
  if (t1 <= first + 2 * windowMs) {
    // Two windows (a poll across a window boundary, the usual case): floor(V*cum/T), then the rest.
    const cum = first + windowMs - t0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      parts[i] = floorShare(v, cum, total);
      floors[i] = v - parts[i];
    }
    visit(first, cum, parts);
    for (let i = 0; i < n; i++) parts[i] = floors[i];
    visit(first + windowMs, total - cum, parts);
    return;
  }
  for (let i = 0; i < n; i++) floors[i] = 0;
  let cum = 0;
  for (let ws = first; ws < t1; ws += windowMs) {
    const overlap = Math.min(t1, ws + windowMs) - Math.max(t0, ws);
    cum += overlap;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const f = cum === total ? v : floorShare(v, cum, total);
      parts[i] = f - floors[i];
      floors[i] = f;
    }
    visit(ws, overlap, parts);
  }
}
