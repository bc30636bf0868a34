// When this collector may first poll a partition the group moved to it (pure; times are passed in).
// A partition taken over in a clean handover (its old owner revoked it in a rebalance it took part
// in, or left the group) may be polled at once. But after a broker outage, or once the coordinator
// dropped members without telling them, the old owner may not know yet that it lost its share: it
// learns on the broker's first answer (membership.ts), and its group consumer asks again only after
// its retry wait (groupRetryWaitMs) plus a connection timeout, and treats an answer as news only
// once its own session is in doubt (up to a session timeout after its last heartbeat). So a member
// that has seen such trouble itself (its share in doubt, held, or the group rejoined without an
// announced rebalance) polls partitions new to it only from `waitMs` after that moment, derived from
// those timeouts (takeoverWaitMs). Partitions it polled in its previous assignment go on at once:
// nobody else can have polled them meanwhile. A device so delayed misses the slots of that wait; the
// processor marks those windows partial (or, past its maximum gap, leaves them out) instead of
// counting a device polled twice in one slot.

export interface TakeoverGuard {
  /** Trouble seen now: the group may have dropped members (this one or others) that do not know it yet. */
  unclean(now: number): void;
  /** A new assignment applied at `now`; returns when the partitions new to this member may be polled (0: at once). */
  assign(now: number, assigned: readonly number[]): number;
  /** Whether `partition` of the current assignment may be polled at `now`. */
  mayPoll(now: number, partition: number): boolean;
  /** Until when partitions new to this member wait (0: none waits). */
  waitingUntil(now: number): number;
}

/**
 * The longest an old owner that lost its share in an outage may go on polling after the broker is
 * back: its session may have been confirmed up to a session timeout earlier, its client asks
 * again within a retry wait plus a connection timeout, and its next probe comes within a heartbeat.
 */
export function takeoverWaitMs(group: { sessionTimeoutMs: number; heartbeatIntervalMs: number }, client: { maxRetryWaitMs: number; connectionTimeoutMs: number }): number {
  return group.sessionTimeoutMs + client.maxRetryWaitMs + client.connectionTimeoutMs + group.heartbeatIntervalMs;
}

/**
 * The longest wait between two attempts of a collector's group consumer (below the client-wide
 * MAX_RETRY_WAIT_MS): kafkajs heartbeats only between fetches, so a fetch retried after a longer
 * wait lets the session expire after a broker restart, and the member learns late that it lost its
 * share. A third of the session timeout keeps a heartbeat within each session after the broker is back.
 */
export function groupRetryWaitMs(group: { sessionTimeoutMs: number }, maxRetryWaitMs: number): number {
  return Math.min(maxRetryWaitMs, Math.floor(group.sessionTimeoutMs / 3));
}

export function createTakeoverGuard(waitMs: number): TakeoverGuard {
  let uncleanAt = Number.NEGATIVE_INFINITY;
  let assigned = new Set<number>();
  /** Assigned partitions that were being polled when this assignment came (no wait for them). */
  let settled = new Set<number>();
  const until = (): number => uncleanAt + waitMs;
  const mayPoll = (now: number, p: number): boolean => assigned.has(p) && (settled.has(p) || now >= until());
  return {
    unclean(now) {
      // What was being polled until now stays this member's own: only what comes new waits.
      settled = new Set([...assigned].filter((p) => mayPoll(now, p)));
      uncleanAt = Math.max(uncleanAt, now);
    },
    assign(now, next) {
      const polled = new Set([...assigned].filter((p) => mayPoll(now, p)));
      assigned = new Set(next);
      settled = new Set(next.filter((p) => polled.has(p)));
      return next.some((p) => !mayPoll(now, p)) ? until() : 0;
    },
    mayPoll,
    waitingUntil: (now) => ([...assigned].some((p) => !mayPoll(now, p)) ? until() : 0),
  };
}
