// WindowFeed: the narrow port between where window results come from (a Kafka consumer of
// netmon.windows, or in-process for `netmon all`) and the dashboard that shows them. A feed keeps a
// bounded recent history per series, so a browser that (re)connects can draw its charts at once,
// and tells subscribers about every window that changed that history.
// Rules: a window replaces the one with the same windowStart only when its revision is higher
// (Kafka delivers at least once, so equal or lower revisions are replays and are ignored); each
// series keeps at most `perSeries` windows, the newest by windowStart.
import { windowSeriesKey, type WindowResult } from '../../common/contracts/window-result.js';

export interface WindowFeed {
  /** Calls `listener` for each accepted window; returns the unsubscribe function. */
  subscribe(listener: (w: WindowResult) => void): () => void;
  /** The retained windows, each series in windowStart order. */
  recent(): WindowResult[];
}

export interface RecentBuffer {
  /** Returns true when `w` is now retained (new, or a higher revision of a retained window). */
  add(w: WindowResult): boolean;
  all(): WindowResult[];
}

export function createRecentBuffer(perSeries: number): RecentBuffer {
  if (!Number.isInteger(perSeries) || perSeries < 1) throw new RangeError(`perSeries must be a positive integer (got ${perSeries})`);
  const series = new Map<string, WindowResult[]>();

  return {
    add(w) {
      const key = windowSeriesKey(w);
      let list = series.get(key);
      if (!list) {
        list = [];
        series.set(key, list);
      }
      // Windows nearly always arrive in order, so the insertion point is found from the end.
      let i = list.length;
      while (i > 0 && list[i - 1].windowStart > w.windowStart) i--;
      const prev = list[i - 1];
      if (prev && prev.windowStart === w.windowStart) {
        if (w.revision <= prev.revision) return false;
        list[i - 1] = w;
        return true;
      }
      if (list.length >= perSeries && i === 0) return false; // older than everything kept
      list.splice(i, 0, w);
      if (list.length > perSeries) list.shift();
      return true;
    },
    all() {
      const out: WindowResult[] = [];
      for (const list of series.values()) out.push(...list);
      return out;
    },
  };
}

export interface MemoryFeed extends WindowFeed {
  /**
   * Offers a window to the feed; subscribers hear of it only if the buffer accepted it. Every
   * subscriber is called even if one throws; the first error is then rethrown.
   */
  push(w: WindowResult): boolean;
}

/** A feed fed by calling push(): the core of the Kafka feed, and the in-process feed for tests and `netmon all`. */
export function createMemoryFeed(opts: { perSeries?: number } = {}): MemoryFeed {
  const buffer = createRecentBuffer(opts.perSeries ?? 60);
  const listeners = new Set<(w: WindowResult) => void>();
  return {
    subscribe(listener) {
      // A wrapper per subscription, so subscribing the same function twice gives two independent subscriptions.
      const entry = (w: WindowResult) => listener(w);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    recent: () => buffer.all(),
    push(w) {
      if (!buffer.add(w)) return false;
      // One failing listener must not starve the others; the first error goes back to the caller.
      let failure: { err: unknown } | null = null;
      for (const l of [...listeners]) {
        try {
          l(w);
        } catch (err) {
          failure ??= { err };
        }
      }
      if (failure) throw failure.err;
      return true;
    },
  };
}
