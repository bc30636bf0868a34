// Whether this collector may still poll the share it was given, when it has lost touch with its
// group (pure; times are passed in). The coordinator gives a member's partitions to the others only
// once the member has left or its session has expired there, so while heartbeats succeed the share
// is ours. The share is in doubt once no heartbeat has succeeded for about a session timeout, or at
// once when the consumer crashed (kafkajs leaves the group on a crash and joins again later as a new
// member: the old member id never heartbeats again). While in doubt, the rule is:
// - the broker does not answer (an outage): keep polling. Nobody can be given the share by a
//   coordinator that is down, and holding would lose every poll of the outage (the samples wait in
//   the publisher's queue instead);
// - the broker answers anything at all (a response to any request, an error response included):
//   hold every poll until the group hands out a new assignment. A coordinator back from an outage
//   expires the old sessions one session timeout after it loaded the group and then gives the share
//   to whoever joined, so the hold must come on the first answer, not when a probe finally sees the
//   group re-formed: that is what let a device be polled by two collectors in one slot after a
//   broker restart. A group listing this member proves nothing (the coordinator may expire it a
//   moment later), so a probe never confirms the share; only a heartbeat or an assignment does.
// - a heartbeat of the same member succeeds while held (the broker was slow, the member was never
//   dropped): the share is ours again in the same generation, so it resumes (`heartbeat` says so).
// The group adapter probes (asks the broker about the group) while the share is in doubt, and feeds
// every answer its own consumer gets, so the hold comes long before another member has been given
// the share, read its partitions and started polling.

export type GroupView = { reachable: false } | { reachable: true; state: string; members: readonly string[] };

export interface MembershipWatch {
  /** The group handed out an assignment: this member is confirmed (and not orphaned any more). */
  joined(now: number, memberId: string): void;
  /** A heartbeat of `memberId` succeeded: the session is alive. True when a held share resumes (same member, same generation). */
  heartbeat(now: number, memberId: string): boolean;
  /** The consumer crashed; `unreachable`: because the broker did not answer (else it answered with an error). True when polls must be held from now. */
  crashed(now: number, unreachable: boolean): boolean;
  /** The share is in doubt: it was assigned, and not confirmed for a session timeout (less a heartbeat, for the clocks' sake), or the consumer crashed since. */
  inDoubt(now: number): boolean;
  /** The broker answered something; true when polls must be held from now until the next assignment. */
  answered(now: number): boolean;
  /** What a probe saw; true when polls must be held from now until the next assignment. */
  probed(now: number, view: GroupView): boolean;
  /** Holding until the next assignment. */
  orphaned(): boolean;
}

export function createMembershipWatch(opts: { sessionTimeoutMs: number; heartbeatIntervalMs: number }, now: number): MembershipWatch {
  const stale = Math.max(opts.heartbeatIntervalMs, opts.sessionTimeoutMs - opts.heartbeatIntervalMs);
  let confirmedAt = now;
  let memberId = '';
  let orphan = false;
  /** The consumer crashed since the last assignment: its member id is gone for good. */
  let lost = false;
  const inDoubt = (at: number): boolean => !orphan && memberId !== '' && (lost || at - confirmedAt > stale);
  const answered = (at: number): boolean => {
    if (!inDoubt(at)) return false;
    orphan = true;
    return true;
  };
  return {
    joined(at, id) {
      confirmedAt = at;
      memberId = id;
      orphan = false;
      lost = false;
    },
    heartbeat(at, id) {
      if (lost || id !== memberId || memberId === '') return false;
      confirmedAt = Math.max(confirmedAt, at);
      if (!orphan) return false;
      orphan = false;
      return true;
    },
    crashed(at, unreachable) {
      if (memberId === '' || orphan) return false;
      lost = true;
      return unreachable ? false : answered(at);
    },
    // Before the first assignment there is no share to doubt.
    inDoubt,
    answered,
    probed: (at, view) => view.reachable && answered(at),
    orphaned: () => orphan,
  };
}

/** Whether a consumer crash came from the broker not answering (connection refused or closed, a request timed out), following the causes kafkajs wraps it in. */
export function crashedUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (/KafkaJS(Connection|ConnectionClosed|RequestTimeout|NoBrokerAvailable)Error/.test(e.name)) return true;
    if (/ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection error|Connection timeout|timed out|No broker available/i.test(e.message)) return true;
  }
  return false;
}

/** Polls held without an assignment since `heldSince` (0: not held) for longer than a rebalance may take (the rebalance timeout, three session timeouts, and one more): the group consumer is stuck. */
export function heldTooLong(heldSince: number, now: number, opts: { sessionTimeoutMs: number }): boolean {
  return heldSince > 0 && now - heldSince > 4 * opts.sessionTimeoutMs;
}
