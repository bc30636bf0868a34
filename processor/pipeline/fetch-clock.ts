// The consumer's fetch rhythm, as the idle predicate (processor.ts, caughtUp) needs it: when the
// last fetch completed, and whether the member is still in the grace that follows an outage.
// Rules: an idle consumer completes a fetch every second or so; a pause longer than `gapMs` since
// the last fetch, or since the last batch was done when it came later (a long batch is work, not
// an outage), means the broker was out of reach or the member was stalled. After one, the
// producers (collectors) resend their backlog on their own retry schedule, so a partition without
// new records is not idle until `graceMs` has passed since fetching resumed: a broker outage's
// backlog must never be taken for idleness (docs/architecture.md, "Watermarks follow event time").

export interface FetchClock {
  /** A fetch completed at `now` (processing time); `busyUntil`: when the member last finished a batch. */
  fetched(now: number, busyUntil?: number): void;
  /** When the last fetch completed (-Infinity: none yet). */
  lastFetchAt(): number;
  /** Whether idle time may count at `now`: no outage ended less than graceMs ago. */
  settled(now: number): boolean;
}

export function createFetchClock(opts: { gapMs: number; graceMs: number }): FetchClock {
  let last = -Infinity;
  let resumed = -Infinity;
  return {
    fetched(now, busyUntil = -Infinity) {
      // The first fetch of this member is no resumption (a restart after a failure is: `last` survives it).
      if (Number.isFinite(last) && now - Math.max(last, busyUntil) > opts.gapMs) resumed = now;
      if (now > last) last = now;
    },
    lastFetchAt: () => last,
    settled: (now) => now - resumed >= opts.graceMs,
  };
}
