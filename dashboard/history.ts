// History for the device page's charts, the pure part: which stored data a time range reads (the
// 1-minute windows up to a day, the 1-hour rollups beyond), and the rows laid out on a regular
// timeline where a slot without a stored window is null, never zero, so the chart draws a gap.
// Rules: no I/O and no clock here; the route (history-routes.ts) reads the store and the time.
import type { HistoryResolution, HistoryRow } from '../common/store/influx.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The range buttons of the device page, and what `range=` accepts. */
export const HISTORY_RANGES = { '1h': HOUR, '6h': 6 * HOUR, '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY } as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;

/** Longest from..to span the route answers (the 30 d button). */
export const MAX_HISTORY_MS = HISTORY_RANGES['30d'];
/** Up to this span the 1-minute windows are read (1,440 points at most); beyond it the hourly rollups. */
export const RAW_MAX_MS = DAY;
export const ROLLUP_STEP_MS = HOUR;

export function chooseResolution(spanMs: number): HistoryResolution {
  return spanMs > RAW_MAX_MS ? 'rollup' : 'raw';
}

/** The history of one series as columns over a regular timeline; null = nothing stored for that slot. */
export interface HistorySeries {
  resolution: HistoryResolution;
  stepMs: number;
  from: number;
  to: number;
  /** Slot start times, every stepMs from the first slot at or after `from` to the last before `to`. */
  t: number[];
  inBps: (number | null)[];
  outBps: (number | null)[];
  inUtilization: (number | null)[];
  outUtilization: (number | null)[];
  peakInBps: (number | null)[];
  peakOutBps: (number | null)[];
  /** Fraction of the slot covered by data: 1 = complete, below 1 = partial (drawn differently), null = none. */
  coverage: (number | null)[];
}

/**
 * Lays the rows on the timeline [from, to) in steps of stepMs (slots aligned to the epoch, like
 * the windows). A row that falls between slots (another window length) goes to the slot it starts
 * in; two rows in one slot keep the later one. Rows outside the range are ignored.
 */
export function fillGaps(rows: readonly HistoryRow[], from: number, to: number, stepMs: number, resolution: HistoryResolution): HistorySeries {
  if (!(stepMs > 0)) throw new RangeError(`stepMs must be positive (got ${stepMs})`);
  const first = Math.ceil(from / stepMs) * stepMs;
  const count = Math.max(0, Math.ceil((to - first) / stepMs));
  const out: HistorySeries = { resolution, stepMs, from, to, t: [], inBps: [], outBps: [], inUtilization: [], outUtilization: [], peakInBps: [], peakOutBps: [], coverage: [] };
  for (let i = 0; i < count; i++) out.t.push(first + i * stepMs);
  const cols = ['inBps', 'outBps', 'inUtilization', 'outUtilization', 'peakInBps', 'peakOutBps', 'coverage'] as const;
  for (const c of cols) out[c] = new Array<number | null>(count).fill(null);
  for (const r of rows) {
    const i = Math.floor((r.t - first) / stepMs);
    if (i < 0 || i >= count) continue;
    for (const c of cols) out[c][i] = r[c];
  }
  return out;
}

/** The step of raw data: the stored windows' own length when known, else the configured one. */
export function rawStepMs(windowEndMinusStart: number | null, windowSeconds: number): number {
  return windowEndMinusStart !== null && windowEndMinusStart > 0 ? windowEndMinusStart : windowSeconds * 1000;
}
