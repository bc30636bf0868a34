// Holes: intervals between two observations of one interface that the engine did not count (a
// 'gap', a 'reset' or an 'implausible' delta), kept so that an older observation arriving late
// (a collector's queue flushed after another collector took the device over) can still be counted.
// Rules:
// - A sample strictly inside a hole (lo.ts < ts < hi.ts) is treated as if it had arrived in order:
//   [lo, x) and then [x, hi) go through all of computeDelta's checks, and each piece that gives a
//   delta is counted; a piece that does not stays a hole. So any arrival order of the samples
//   inside a hole ends with what the in-order stream counts.
// - An out-of-order sample inside a counted interval, or equal to an end, changes nothing.
// - At most MAX_HOLES per interface (the oldest goes first). A hole is dead once the last window it
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
}

/** Most holes an interface keeps: a few outages within the lateness, not a history. */
export const MAX_HOLES = 4;

/** How far behind the watermark an earlier end may be for a hole to open (and a baseline to be kept for replay). */
export function holeReachMs(maxGapMs: number, allowedLatenessMs: number): number {
  return Math.max(maxGapMs, allowedLatenessMs);
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

/** Adds a hole in order of its earlier end, dropping the oldest beyond MAX_HOLES; returns the list. */
export function addHole(holes: Hole[] | null, h: Hole): Hole[] {
  const list = holes ?? [];
  let i = list.length;
  while (i > 0 && list[i - 1].lo.ts > h.lo.ts) i--;
  list.splice(i, 0, h);
  if (list.length > MAX_HOLES) list.splice(0, list.length - MAX_HOLES);
  return list;
}

/** The index of the hole strictly containing `ts`, or -1. */
export function findHole(holes: readonly Hole[], ts: number): number {
  for (let i = 0; i < holes.length; i++) if (holes[i].lo.ts < ts && ts < holes[i].hi.ts) return i;
  return -1;
}

/**
 * Fills hole `i` with observation `x` (inside it): `count(a, b)` counts the interval [a, b) and
 * says whether it gave a delta. What was not counted stays a hole; returns the list, or null when
 * no hole is left.
 */
export function fillHole(holes: Hole[], i: number, x: Baseline, count: (a: Baseline, b: Baseline) => boolean): Hole[] | null {
  const h = holes[i];
  const before = count(h.lo, x);
  const after = count(x, h.hi);
  const rest: Hole[] = [];
  if (!before) rest.push({ lo: h.lo, hi: x, fromOffset: h.fromOffset });
  if (!after) rest.push({ lo: x, hi: h.hi, fromOffset: h.fromOffset });
  holes.splice(i, 1, ...rest);
  if (holes.length > MAX_HOLES) holes.splice(0, holes.length - MAX_HOLES);
  return holes.length === 0 ? null : holes;
}
