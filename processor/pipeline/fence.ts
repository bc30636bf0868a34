// Fencing: a processor that has lost its partitions (stalled past the session timeout, or moved by a
// rebalance) must not write their windows, alert states, dead letters or offsets once a new owner
// may have started. Two guards, both checked immediately before every write (docs/architecture.md,
// "Fencing"):
// - A lease: the member may write until `leaseMs` after the send time of its last heartbeat (or
//   SyncGroup) the coordinator answered with success. The coordinator cannot expire the member before
//   that send time plus the session timeout, so the lease ends a margin earlier than any takeover.
// - An assignment epoch: every group join starts a new epoch and every partition restarts from its
//   committed checkpoint; output made in an earlier epoch is dropped (the replay makes it again), and
//   nothing is written between "the group is rebalancing" and the new assignment. After a join the
//   member holds its writes for `holdMs`, so an old owner's write accepted just before its lease ended
//   lands first.
// Rules: the decisions are pure (`decide`, `applyFenceEvent`), on the fence clock (never goes back;
// steps by the larger of the monotonic and the wall-clock advance, so neither a wall-clock step back
// nor a suspended machine lengthens a lease). The adapter below only feeds kafkajs events in.
import { performance } from 'node:perf_hooks';
import type { Consumer } from '../../common/bus/kafka.js';
import { Counter, Gauge, type Registry } from '../../common/metrics.js';
import type { Logger } from '../../common/log.js';

/** How long a lease lasts and how long a member holds its writes after a join. */
export interface FenceTimes {
  leaseMs: number;
  holdMs: number;
}

/** The margin: a fifth of the shorter of the session and rebalance timeouts, between 1 s and 5 s. */
export function fenceTimes(sessionTimeoutMs: number, rebalanceTimeoutMs: number): FenceTimes {
  const expiry = Math.min(sessionTimeoutMs, rebalanceTimeoutMs);
  const margin = Math.min(5_000, Math.max(1_000, expiry / 5));
  if (!(expiry > 2 * margin)) throw new RangeError(`the session timeout (${expiry} ms) must be longer than twice the fence margin (${margin} ms)`);
  return { leaseMs: expiry - margin, holdMs: margin };
}

/** The group-protocol requests whose successful answer proves membership when they were sent. */
export type ProofApi = 'Heartbeat' | 'SyncGroup';

export interface FenceState {
  /** Group joins so far: output of an earlier epoch is never written. */
  epoch: number;
  /** Between "the group is rebalancing" and the next join: nothing is written. */
  suspended: boolean;
  /** The member left its group or stops: nothing more is written. */
  closed: boolean;
  /** Send time of the last proof of membership (fence clock); -Infinity: none. */
  basis: number;
  /** No write before this (fence clock): the hold after a join that brought new partitions. */
  holdUntil: number;
  /** Send times of proof requests answered but not yet known to have succeeded. */
  sent: Partial<Record<ProofApi, number>>;
  /** The partitions of the current assignment. */
  owned: ReadonlySet<number>;
  /** Times the lease ended while the member held partitions (a stall, or the coordinator out of reach). */
  lapses: number;
}

export function newFenceState(): FenceState {
  return { epoch: 0, suspended: false, closed: false, basis: -Infinity, holdUntil: -Infinity, sent: {}, owned: new Set(), lapses: 0 };
}

export type FenceEvent =
  /** A proof request got an answer (success unknown yet); `at` is its send time. */
  | { type: 'answered'; api: ProofApi; at: number }
  /** The last Heartbeat answered succeeded. */
  | { type: 'heartbeat' }
  /** kafkajs saw the group rebalancing and is about to rejoin. */
  | { type: 'rebalancing' }
  /** Join and sync succeeded (the last SyncGroup answered is the proof); `at` is now. */
  | { type: 'joined'; at: number; assigned: readonly number[] }
  | { type: 'closed' }
  /** The component starts (again): writes may follow a join. */
  | { type: 'opened' };

/** When the lease ends (fence clock). */
export const leaseEnd = (s: FenceState, t: FenceTimes): number => s.basis + t.leaseMs;

export function applyFenceEvent(s: FenceState, e: FenceEvent, t: FenceTimes): void {
  switch (e.type) {
    case 'answered':
      s.sent[e.api] = e.at;
      return;
    case 'heartbeat': {
      const at = s.sent.Heartbeat;
      delete s.sent.Heartbeat;
      if (at !== undefined && at > s.basis) s.basis = at;
      return;
    }
    case 'rebalancing':
      s.suspended = true;
      return;
    case 'joined': {
      // A new member id may come with the join: only the SyncGroup that made it proves membership.
      s.basis = s.sent.SyncGroup ?? -Infinity;
      s.sent = {};
      s.epoch++;
      s.suspended = false;
      const fresh = e.assigned.some((p) => !s.owned.has(p));
      s.owned = new Set(e.assigned);
      if (fresh) s.holdUntil = Math.max(s.holdUntil, e.at + t.holdMs);
      return;
    }
    case 'closed':
      s.closed = true;
      return;
    case 'opened':
      // The old membership's lease means nothing once it left the group: writes wait for a join.
      s.closed = false;
      s.basis = -Infinity;
      s.owned = new Set();
      return;
  }
}

/** 'write': now; 'wait': not now, maybe later (lease lapsed, rebalancing, hold); 'drop': never (another epoch, or stopped). */
export type FenceVerdict = 'write' | 'wait' | 'drop';

/** Whether output made in `epoch` may be written at `now` (fence clock); `running`: false once the component stops. */
export function decide(s: FenceState, t: FenceTimes, epoch: number, now: number, running: boolean): FenceVerdict {
  if (s.closed || epoch !== s.epoch) return 'drop';
  if (s.suspended || now >= leaseEnd(s, t) || now < s.holdUntil) return running ? 'wait' : 'drop';
  return 'write';
}

/** A clock that never goes back and advances by the larger of the two clocks' steps since the last reading. */
export function createFenceClock(mono: () => number = () => performance.now(), wall: () => number = Date.now): () => number {
  let lastMono = mono();
  let lastWall = wall();
  let t = 0;
  return () => {
    const m = mono();
    const w = wall();
    t += Math.max(0, m - lastMono, w - lastWall);
    lastMono = m;
    lastWall = w;
    return t;
  };
}

/** What a sink calls around each write: refused (false, nothing written) when the fence says so. */
export interface WriteGate {
  write(fn: () => Promise<unknown>): Promise<boolean>;
}

export interface Fence {
  /** The current assignment epoch (stamp output with it when it is made). */
  epoch(): number;
  /** Whether output of `epoch` may still be written some day. */
  current(epoch: number): boolean;
  /** The gate for output of `epoch`: waits while the lease is lapsed or the member rebalancing, refuses once it is dropped. */
  gate(epoch: number, isRunning: () => boolean): WriteGate;
  /** Feeds the consumer's group events in (before connect); `topic`: the one whose partitions are fenced. */
  watch(consumer: Consumer, topic: string): void;
  /** No write from now on (before the consumer leaves its group). */
  close(): void;
  /** The component starts (again), before its consumer joins. */
  open(): void;
  /** Counts output dropped because its epoch ended. */
  dropped(kind: 'windows' | 'dead_letters' | 'commits', n: number): void;
}

export function createFence(log: Logger, opts: { times: FenceTimes; registry: Registry; clock?: () => number; sleep?: (ms: number) => Promise<void>; pollMs?: number }): Fence {
  const { times } = opts;
  const now = opts.clock ?? createFenceClock();
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = opts.pollMs ?? 100;
  const s = newFenceState();
  const reg = [opts.registry];
  const droppedTotal = new Counter({ name: 'netmon_processor_fence_dropped_total', help: 'Output dropped because the assignment it was made in ended (a replay by the owner makes it again)', labelNames: ['kind'], registers: reg });
  const refusedTotal = new Counter({ name: 'netmon_processor_fence_refused_writes_total', help: 'Writes refused by the fence (lease ended or assignment changed); nothing was sent', registers: reg });
  const lateTotal = new Counter({ name: 'netmon_processor_fence_late_writes_total', help: 'Writes admitted in time that completed after the lease ended (may have landed after a takeover; should stay 0)', registers: reg });
  const lapsesTotal = new Counter({ name: 'netmon_processor_fence_lapses_total', help: 'Times the write lease ended while the member held partitions (a stall, or the group coordinator out of reach)', registers: reg });
  const epochGauge = new Gauge({ name: 'netmon_processor_fence_epoch', help: 'Group joins of this processor (assignment epoch)', registers: reg });
  let lapsed = false;

  const verdict = (epoch: number, running: boolean): FenceVerdict => {
    const v = decide(s, times, epoch, now(), running);
    const isLapsed = s.owned.size > 0 && !s.closed && now() >= leaseEnd(s, times);
    if (isLapsed && !lapsed) {
      lapsesTotal.inc();
      log.warn({ epoch: s.epoch }, 'write lease lapsed: writes wait for a heartbeat or a new assignment');
    }
    lapsed = isLapsed;
    return v;
  };

  const on = (e: FenceEvent) => {
    applyFenceEvent(s, e, times);
    if (e.type === 'joined') {
      epochGauge.set(s.epoch);
      lapsed = false;
    }
  };

  return {
    epoch: () => s.epoch,
    current: (epoch) => !s.closed && epoch === s.epoch,
    gate(epoch, isRunning) {
      return {
        async write(fn) {
          // Bounded by the epoch and the component: a join, a close or a stop ends the wait.
          for (;;) {
            const v = verdict(epoch, isRunning());
            if (v === 'drop') {
              refusedTotal.inc();
              return false;
            }
            if (v === 'write') break;
            await sleep(pollMs);
          }
          await fn();
          if (now() >= leaseEnd(s, times)) {
            lateTotal.inc();
            log.error({ epoch }, 'a write completed after the write lease ended; it may have landed after another member took over');
          }
          return true;
        },
      };
    },
    watch(consumer, topic) {
      const { REQUEST, HEARTBEAT, REBALANCING, GROUP_JOIN } = consumer.events;
      consumer.on(REQUEST, (e) => {
        const api = e.payload.apiName;
        // The round trip is measured on the wall clock by kafkajs: a negative one means a clock step, no proof.
        if ((api === 'Heartbeat' || api === 'SyncGroup') && e.payload.duration >= 0) on({ type: 'answered', api, at: now() - e.payload.duration });
      });
      consumer.on(HEARTBEAT, () => on({ type: 'heartbeat' }));
      consumer.on(REBALANCING, () => on({ type: 'rebalancing' }));
      consumer.on(GROUP_JOIN, (e) => on({ type: 'joined', at: now(), assigned: e.payload.memberAssignment[topic] ?? [] }));
    },
    close: () => on({ type: 'closed' }),
    open: () => on({ type: 'opened' }),
    dropped(kind, n) {
      if (n > 0) droppedTotal.inc({ kind }, n);
    },
  };
}
