// The oper_down metric (pure): the fraction of an interface's polls inside a window that reported
// ifOperStatus other than up (down, lowerLayerDown, notPresent; testing, dormant and unknown count as
// not down). Fed with the decoded counter samples of each batch before their windows are emitted;
// a poll belongs to the window its event time falls in. Kept per (device, ifIndex, window) until the
// newest event time seen is `keepMs` past the window (the processor's allowed lateness plus margin),
// so a revision of a window within that time sees its samples again; a replay after a restart
// rebuilds the same counts (the samples of unemitted windows are replayed with them). Event time only.
import type { SampleRecord } from '../../common/contracts/index.js';

const DOWN = new Set(['down', 'lowerLayerDown', 'notPresent']);

export interface OperStatusTracker {
  observe(rec: SampleRecord): void;
  /** Fraction [0, 1] of polls in the window that saw the interface down; null when none were seen. */
  downFraction(deviceId: string, ifIndex: number, windowStart: number): number | null;
}

export function createOperStatusTracker(opts: { windowMs: number; keepMs: number }): OperStatusTracker {
  // Per poll time, so a record seen twice (a replay after a rebalance) counts once.
  const counts = new Map<string, { polls: Map<number, boolean>; start: number }>();
  let newest = 0;
  let lastPrune = 0;
  const key = (d: string, i: number, s: number) => `${d}|${i}|${s}`;
  return {
    observe(rec) {
      if (rec.kind !== 'counter-sample') return;
      for (const itf of rec.interfaces) {
        const ts = itf.ts ?? rec.ts;
        const start = ts - (ts % opts.windowMs);
        const k = key(rec.deviceId, itf.ifIndex, start);
        let c = counts.get(k);
        if (!c) counts.set(k, (c = { polls: new Map(), start }));
        c.polls.set(ts, DOWN.has(itf.operStatus));
        newest = Math.max(newest, ts);
      }
      if (newest - lastPrune >= opts.windowMs) {
        lastPrune = newest;
        for (const [k, c] of counts) if (c.start + opts.windowMs + opts.keepMs < newest) counts.delete(k);
      }
    },
    downFraction(deviceId, ifIndex, windowStart) {
      const c = counts.get(key(deviceId, ifIndex, windowStart));
      if (!c || c.polls.size === 0) return null;
      let down = 0;
      for (const d of c.polls.values()) if (d) down += 1;
      return down / c.polls.size;
    },
  };
}
