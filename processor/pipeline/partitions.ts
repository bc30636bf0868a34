// The samples-topic partitions this consumer-group member owns: where each stands (the next offset
// to ingest, the end of its replay), its restore from the commit metadata when it is assigned, and
// the checkpoint policy (when a partition's checkpoint is committed, and what the commit carries).
// Rules: a partition that leaves this member is forgotten by the engine and the metrics at once; a
// new one restores on its first batch (restart, rebalance), from the metadata fetched when it was
// assigned; a checkpoint is taken at most once per CHECKPOINT_EVERY_MS per partition, and only
// when the partition moved on (every record while an attempt runs record by record, poison.ts).
// After each restore the attempt at the records past `upto` is counted in a marker commit before
// the first of them is ingested (poison.ts); a partition whose record failed inside this member
// is forgotten and restores again from its commit.
import type { Admin } from '../../common/bus/kafka.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { WindowEngine } from '../core/index.js';
import { CHECKPOINT_EVERY_MS, decodeCommitMeta, encodeCommitMeta, type CommitMeta } from './commit-meta.js';
import type { ProcessorMetrics } from './metrics.js';
import { planAttempt, type AttemptPlan } from './poison.js';

export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: string;
  metadata: string;
}

/** Per partition: the committed offset (-1: none) and its metadata (null: none, or not ours). */
export type CommitMetas = Map<number, { offset: number; meta: CommitMeta | null }>;

/** Where a batch of a partition stands (see Partitions.open). */
export interface BatchStart {
  /** Records before this are ingested already (-1: none). */
  from: number;
  /** Records before this are a replay: their output was written before. */
  upto: number;
  /** Just restored: the committed offset the batch must start at or before (-1: none); else null. */
  committed: number | null;
  /** The attempt at records from `upto` on, while it is counted; null once past it. */
  attempt: (AttemptPlan & { marked: boolean }) | null;
}

export interface Partitions {
  /** A new assignment: forgets partitions that went elsewhere; the new ones restore on their first batch. */
  assign(assigned: number[]): void;
  /**
   * Where a batch of `partition` stands, restoring the partition first if it is new here: records
   * before `from` are ingested already, records before `upto` are a replay (output written before).
   */
  open(partition: number): Promise<BatchStart>;
  /**
   * The marker commit before the first record past the replay (at `next`): the checkpoint there
   * with this attempt's count. The caller commits it once everything queued is written.
   */
  marker(partition: number, next: number): OffsetCommit;
  /** The record at `upto` was dead-lettered as poison (the attempt goes on record by record). */
  poisonHandled(partition: number): void;
  /** The attempt at records past the replay while it is counted (poison.ts); null when none. */
  attempt(partition: number): (AttemptPlan & { marked: boolean }) | null;
  /** The next offset to ingest of an owned, restored partition (-1: none yet); undefined when not owned. */
  nextOffset(partition: number): number | undefined;
  /** A record failed inside this member: forget the partition; its next batch restores from the commit. */
  fail(partition: number): void;
  /** After a batch whose records before `next` are ingested: the position, the lag and, when due, the checkpoint to commit. */
  advance(partition: number, next: number, highWatermark: number): OffsetCommit | null;
  /** The idle tick's commits: checkpoints the batches skipped, and every one when the tick emitted (closed windows moved them on). */
  idleCommits(now: number, emitted: boolean): OffsetCommit[];
  /** Forgets every partition (the member stopped). */
  clear(): void;
}

/** The commit metadata of every partition of `topic` for the group (null: no commit, or not ours). */
export async function readCommitMetas(admin: Admin, groupId: string, topic: string): Promise<CommitMetas> {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  const m: CommitMetas = new Map();
  for (const t of res) for (const p of t.partitions) m.set(p.partition, p.offset === '-1' ? { offset: -1, meta: null } : { offset: Number(p.offset), meta: decodeCommitMeta(p.metadata) });
  return m;
}

export function createPartitions(
  log: Logger,
  deps: { engine: WindowEngine; clock: Clock; metrics: ProcessorMetrics; topic: string; maxRecordAttempts: number; fetchCommitMetas: () => Promise<CommitMetas> },
): Partitions {
  const { engine, clock, metrics, topic } = deps;
  /** Per partition just restored: its committed offset, until its first batch is seen. */
  const committedAt = new Map<number, number>();
  /** Per partition: the attempt at records past its replay while it is counted (see poison.ts). */
  const attempts = new Map<number, { plan: AttemptPlan; marked: boolean; upto: number }>();
  /** Partitions this member owns and has restored: the next offset to ingest (older ones are skipped). */
  const position = new Map<number, number>();
  /** Per owned partition: records before this offset are a replay (output written already). */
  const replayUpto = new Map<number, number>();
  /** Committed offsets' metadata for partitions assigned but not yet restored. */
  let pendingMeta: Promise<CommitMetas> | null = null;
  /** Per partition: the `upto` of its last checkpoint commit and when it was taken (processing time). */
  const lastCheckpoint = new Map<number, { upto: number; at: number }>();

  /** Restores a newly assigned partition from its commit metadata (or starts it fresh). */
  async function restore(partition: number): Promise<void> {
    let metas: CommitMetas;
    try {
      metas = await (pendingMeta ?? deps.fetchCommitMetas());
    } catch {
      metas = await deps.fetchCommitMetas();
    }
    const entry = metas.get(partition) ?? { offset: -1, meta: null };
    const meta = entry.meta;
    if (meta) {
      const maxEventTs = meta.top === undefined ? undefined : (meta.top ?? -Infinity);
      engine.restorePartition(partition, { floor: meta.floor ?? -Infinity, maxEventTsBefore: meta.maxTs ?? -Infinity, upto: meta.upto, maxEventTs }, clock.now());
      replayUpto.set(partition, meta.upto);
    } else {
      engine.revokePartition(partition);
    }
    position.set(partition, -1);
    committedAt.set(partition, entry.offset);
    const plan = planAttempt(meta?.tries ?? 0, deps.maxRecordAttempts);
    attempts.set(partition, { plan, marked: false, upto: meta?.upto ?? -1 });
    const attempt = { tries: plan.tries, mode: plan.mode, poison: plan.poison };
    if (plan.poison || plan.mode === 'single') log.warn({ partition, upto: meta?.upto ?? null, attempt }, 'earlier attempts at this partition stopped; processing record by record');
    log.info({ partition, replayUpto: meta?.upto ?? null }, meta ? 'partition restored from its checkpoint; replaying' : 'partition starts fresh');
  }

  const checkpointDue = (partition: number, upto: number, now: number): boolean => {
    const last = lastCheckpoint.get(partition);
    return last === undefined || (last.upto !== upto && now - last.at >= CHECKPOINT_EVERY_MS);
  };

  /**
   * The offset commit for a partition whose records before `upto` are ingested: its checkpoint.
   * While an attempt is counted and has not got past the record it started at, the commit keeps
   * its count; a single-record attempt keeps it until the partition has caught up.
   */
  function checkpointCommit(partition: number, upto: number): OffsetCommit {
    lastCheckpoint.set(partition, { upto, at: clock.now() });
    const cp = engine.checkpoint(partition, upto);
    metrics.replaySpan.set({ partition: String(partition) }, upto - cp.offset);
    const a = attempts.get(partition);
    const tries = a === undefined ? 0 : a.marked ? a.plan.tries : a.plan.tries - 1;
    return { topic, partition, offset: String(cp.offset), metadata: encodeCommitMeta(cp, upto, a?.plan.poison ? a.plan.tries : tries) };
  }

  return {
    assign(assigned) {
      const keep = new Set(assigned);
      for (const p of [...position.keys()]) {
        if (keep.has(p)) continue;
        engine.revokePartition(p);
        lastCheckpoint.delete(p);
        position.delete(p);
        replayUpto.delete(p);
        metrics.lag.remove({ partition: String(p) });
        metrics.replaySpan.remove({ partition: String(p) });
      }
      pendingMeta = assigned.some((p) => !position.has(p)) ? deps.fetchCommitMetas() : null;
      // A failed fetch is retried by the batch that needs it.
      pendingMeta?.catch(() => undefined);
    },

    async open(partition) {
      if (!position.has(partition)) await restore(partition);
      const committed = committedAt.get(partition) ?? null;
      committedAt.delete(partition);
      const a = attempts.get(partition);
      return { from: position.get(partition) ?? -1, upto: replayUpto.get(partition) ?? -1, committed, attempt: a ? { ...a.plan, marked: a.marked } : null };
    },

    marker(partition, next) {
      const a = attempts.get(partition);
      if (a !== undefined) a.marked = true;
      return checkpointCommit(partition, next);
    },

    attempt(partition) {
      const a = attempts.get(partition);
      return a ? { ...a.plan, marked: a.marked } : null;
    },

    nextOffset: (partition) => position.get(partition),

    poisonHandled(partition) {
      const a = attempts.get(partition);
      if (a !== undefined) a.plan = { ...a.plan, poison: false };
    },

    fail(partition) {
      // Its restore must read the commit as it is now (the marker), not as it was at assignment.
      pendingMeta = null;
      engine.revokePartition(partition);
      position.delete(partition);
      replayUpto.delete(partition);
      lastCheckpoint.delete(partition);
      attempts.delete(partition);
    },

    advance(partition, next, highWatermark) {
      position.set(partition, next);
      if (next >= (replayUpto.get(partition) ?? -1)) replayUpto.delete(partition);
      metrics.lag.set({ partition: String(partition) }, Math.max(0, highWatermark - next));
      const a = attempts.get(partition);
      if (a !== undefined && a.marked) {
        // A batch attempt got past the record it started at; a single one ends once caught up.
        const done = a.plan.mode === 'batch' ? next > a.upto : next >= highWatermark;
        if (done) {
          attempts.delete(partition);
          return checkpointCommit(partition, next);
        }
        if (a.plan.mode === 'single') return checkpointCommit(partition, next);
      }
      return checkpointDue(partition, next, clock.now()) ? checkpointCommit(partition, next) : null;
    },

    idleCommits(now, emitted) {
      return [...position].filter(([p, next]) => next >= 0 && !replayUpto.has(p) && (emitted || checkpointDue(p, next, now))).map(([p, next]) => checkpointCommit(p, next));
    },

    clear() {
      // The engine forgets them too: a restarted member restores what it gets from the commits.
      for (const p of position.keys()) engine.revokePartition(p);
      committedAt.clear();
      attempts.clear();
      position.clear();
      replayUpto.clear();
      lastCheckpoint.clear();
    },
  };
}
