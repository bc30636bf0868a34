// Holes: intervals between two observations of one interface that the engine did not count (a
// 'gap', a 'reset' or an 'implausible' delta), kept so that an older observation arriving late
// (a collector's queue flushed after another collector took the device over) can still be counted.
// Rules:
// - A sample x strictly inside a hole (lo.ts < x.ts < hi.ts) is treated as if it had arrived in
//   order: [lo, x) goes through all of computeDelta's checks and is counted if it gives a delta;
//   [x, hi) is checked too, but when it gives a delta it stays a hole marked `pending`, because the
//   next sample of the same late queue may split it further. A pending hole is counted when a
//   sample of the interface at or after its later end arrives (the late queue is over), or when the
//   watermark would drop its first window (the deadline; see the engine). A piece that gives no
//   delta stays a hole. So the samples of a late queue, arriving in time order as a collector
//   sends them, end with exactly what the in-order stream counts.
// - An out-of-order sample inside a counted interval, or equal to an end, changes nothing.
// - At most MAX_HOLES per interface: beyond it pending holes are counted first (oldest first), then
//   the oldest hole is dropped. A hole is dead once the last window it
//   could add to is past the allowed lateness at the watermark: it is dropped, and a sample inside
//   it is an ordinary out-of-order one (so a live run and a replay, which no longer rebuilds it,
//   agree).
// - A hole is opened only when its earlier end is within holeReachMs of the watermark: the
//   checkpoint keeps that much of every interface's history for the replay (checkpoint.ts), so a
//   replay rebuilds every hole the live engine had. `fromOffset`: the record whose observation
//   opened the hole's earlier end (the replay starts there while the hole lives).
import { windowStartOf } from './apportion.js';
import type { Baseline } from './baseline.js';

export interface Hole {
  lo: Baseline;
  hi: Baseline;
  /** Offset of the record that made the original earlier end the baseline; NaN without offsets. */
  fromOffset: number;
  /** [lo, hi) gives a delta; it is counted later (see the rules above). */
  pending: boolean;
}

/** Most holes an interface keeps: a few outages within the lateness, not a history. */
export const MAX_HOLES = 4;

/** How far behind the watermark an earlier end may be for a hole to open (and a baseline to be kept for replay). */
export function holeReachMs(maxGapMs: number, allowedLatenessMs: number): number {
  return Math.max(maxGapMs, allowedLatenessMs);
}

/** When a pending hole must be counted at the latest: the watermark at which its first window is dropped. */
export function pendingDue(h: Hole, windowMs: number, allowedLatenessMs: number): number {
  return windowStartOf(h.lo.ts, windowMs) + windowMs + allowedLatenessMs;
}

/** Can a fill still add to a window within the allowed lateness? (The last window it can touch holds hi - 1 ms.) */
export function holeLive(h: Hole, watermark: number, windowMs: number, allowedLatenessMs: number): boolean {
  return windowStartOf(h.hi.ts - 1, windowMs) + windowMs + allowedLatenessMs > watermark;
}

/** Drops dead holes; returns the list, or null when none is left. */
export function pruneHoles(holes: Hole[], watermark: number, windowMs: number, allowedLatenessMs: number): Hole[] | null {
  let k = 0;
  for (const h of holes) if (holeLive(h, watermark, windowMs, allowedLatenessMs)) holes[k++] = h;
  holes.length = k;
  return k === 0 ? null : holes;
}

/** Counts [a, b) (if it gives a delta) and says whether it did. */
export type CountInterval = (a: Baseline, b: Baseline) => boolean;

/** Adds a hole in order of its earlier end, within MAX_HOLES (trim); returns the list. */
export function addHole(holes: Hole[] | null, h: Hole, count: CountInterval): Hole[] {
  const list = holes ?? [];
  let i = list.length;
  while (i > 0 && list[i - 1].lo.ts > h.lo.ts) i--;
  list.splice(i, 0, h);
  trim(list, count);
  return list;
}

/** Beyond MAX_HOLES: counts pending holes, oldest first, then drops the oldest. */
function trim(holes: Hole[], count: CountInterval): void {
  while (holes.length > MAX_HOLES) {
    let i = holes.findIndex((h) => h.pending);
    if (i >= 0) count(holes[i].lo, holes[i].hi);
    else i = 0;
    holes.splice(i, 1);
  }
}

/** The index of the hole strictly containing `ts`, or -1. */
export function findHole(holes: readonly Hole[], ts: number): number {
  for (let i = 0; i < holes.length; i++) if (holes[i].lo.ts < ts && ts < holes[i].hi.ts) return i;
  return -1;
}

/**
 * Fills hole `i` with observation `x` (inside it): `count(a, b)` counts the interval [a, b) and
 * says whether it gave a delta; `countable(a, b)` only says whether it would. [x, hi) stays a
 * hole, pending when countable. Returns the list.
 */
export function fillHole(holes: Hole[], i: number, x: Baseline, count: CountInterval, countable: (a: Baseline, b: Baseline) => boolean): Hole[] {
  const h = holes[i];
  const before = count(h.lo, x);
  const after: Hole = { lo: x, hi: h.hi, fromOffset: h.fromOffset, pending: countable(x, h.hi) };
  if (before) holes[i] = after;
  else holes.splice(i, 1, { lo: h.lo, hi: x, fromOffset: h.fromOffset, pending: false }, after);
  trim(holes, count);
  return holes;
}

/**
 * Counts the pending holes that `settles(h)` picks (count(lo, hi)), removing them; returns the
 * list, or null when no hole is left.
 */
export function settleHoles(holes: Hole[], settles: (h: Hole) => boolean, count: CountInterval): Hole[] | null {
  let k = 0;
  for (const h of holes) {
    if (h.pending && settles(h)) count(h.lo, h.hi);
    else holes[k++] = h;
  }
  holes.length = k;
  return k === 0 ? null : holes;
}
