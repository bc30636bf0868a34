// Whether this collector may still poll the share it was given, when it has lost touch with its
// group (pure; times are passed in). The coordinator gives a member's partitions to the others only
// once the member's session has expired there, so while heartbeats succeed the share is ours. Once no
// heartbeat has succeeded for about a session timeout, the share is in doubt, and the rule is:
// - the broker does not answer (an outage): keep polling. Nobody can be given the share by a
//   coordinator that is down, and holding would lose every poll of the outage (the samples wait in
//   the publisher's queue instead);
// - the broker answers and the group does not list this member as a stable member: hold every poll
//   until the group hands out a new assignment, because another member may poll the share now.
// The group adapter probes (describes the group) while the share is in doubt, and as soon as
// anything of the broker answers, so the hold comes before another member has read the share's
// partitions and started polling.

export type GroupView = { reachable: false } | { reachable: true; state: string; members: readonly string[] };

export interface MembershipWatch {
  /** The group handed out an assignment: this member is confirmed (and not orphaned any more). */
  joined(now: number, memberId: string): void;
  /** A heartbeat succeeded: the session is alive. */
  heartbeat(now: number): void;
  /** The share is in doubt: it was assigned, and not confirmed for a session timeout (less a heartbeat, for the clocks' sake). */
  inDoubt(now: number): boolean;
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
  return {
    joined(at, id) {
      confirmedAt = at;
      memberId = id;
      orphan = false;
    },
    heartbeat(at) {
      confirmedAt = Math.max(confirmedAt, at);
    },
    // Before the first assignment there is no share to doubt.
    inDoubt: (at) => !orphan && memberId !== '' && at - confirmedAt > stale,
    probed(at, view) {
      if (orphan || !view.reachable) return false;
      if (view.state === 'Stable' && memberId !== '' && view.members.includes(memberId)) {
        // Still a member of the current generation: the share stands.
        confirmedAt = at;
        return false;
      }
      orphan = true;
      return true;
    },
    orphaned: () => orphan,
  };
}
