// The samples-topic partitions this consumer-group member owns: where each stands (the next offset
// to ingest, the end of its replay), its restore from the commit metadata when it is assigned, and
// the checkpoint policy (when a partition's checkpoint is committed, and what the commit carries).
// Rules: a partition that leaves this member is forgotten by the engine and the metrics at once; a
// new one restores on its first batch (restart, rebalance), from the metadata fetched when it was
// assigned; a checkpoint is taken at most once per CHECKPOINT_EVERY_MS per partition, and only
// when the partition moved on.
import type { Admin } from '../../common/bus/kafka.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { WindowEngine } from '../core/index.js';
import { CHECKPOINT_EVERY_MS, decodeCommitMeta, encodeCommitMeta, type CommitMeta } from './commit-meta.js';
import type { ProcessorMetrics } from './metrics.js';

export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: string;
  metadata: string;
}

export type CommitMetas = Map<number, CommitMeta | null>;

export interface Partitions {
  /** A new assignment: forgets partitions that went elsewhere; the new ones restore on their first batch. */
  assign(assigned: number[]): void;
  /**
   * Where a batch of `partition` stands, restoring the partition first if it is new here: records
   * before `from` are ingested already, records before `upto` are a replay (output written before).
   */
  open(partition: number): Promise<{ from: number; upto: number }>;
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
  for (const t of res) for (const p of t.partitions) m.set(p.partition, p.offset === '-1' ? null : decodeCommitMeta(p.metadata));
  return m;
}

export function createPartitions(
  log: Logger,
  deps: { engine: WindowEngine; clock: Clock; metrics: ProcessorMetrics; topic: string; fetchCommitMetas: () => Promise<CommitMetas> },
): Partitions {
  const { engine, clock, metrics, topic } = deps;
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
    const meta = metas.get(partition) ?? null;
    if (meta) {
      engine.restorePartition(partition, { floor: meta.floor ?? -Infinity, maxEventTsBefore: meta.maxTs ?? -Infinity, upto: meta.upto }, clock.now());
      replayUpto.set(partition, meta.upto);
    } else {
      engine.revokePartition(partition);
    }
    position.set(partition, -1);
    log.info({ partition, replayUpto: meta?.upto ?? null }, meta ? 'partition restored from its checkpoint; replaying' : 'partition starts fresh');
  }

  const checkpointDue = (partition: number, upto: number, now: number): boolean => {
    const last = lastCheckpoint.get(partition);
    return last === undefined || (last.upto !== upto && now - last.at >= CHECKPOINT_EVERY_MS);
  };

  /** The offset commit for a partition whose records before `upto` are ingested: its checkpoint. */
  function checkpointCommit(partition: number, upto: number): OffsetCommit {
    lastCheckpoint.set(partition, { upto, at: clock.now() });
    const cp = engine.checkpoint(partition, upto);
    metrics.replaySpan.set({ partition: String(partition) }, upto - cp.offset);
    return { topic, partition, offset: String(cp.offset), metadata: encodeCommitMeta(cp, upto) };
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
      return { from: position.get(partition) ?? -1, upto: replayUpto.get(partition) ?? -1 };
    },

    advance(partition, next, highWatermark) {
      position.set(partition, next);
      if (next >= (replayUpto.get(partition) ?? -1)) replayUpto.delete(partition);
      metrics.lag.set({ partition: String(partition) }, Math.max(0, highWatermark - next));
      return checkpointDue(partition, next, clock.now()) ? checkpointCommit(partition, next) : null;
    },

    idleCommits(now, emitted) {
      return [...position].filter(([p, next]) => next >= 0 && !replayUpto.has(p) && (emitted || checkpointDue(p, next, now))).map(([p, next]) => checkpointCommit(p, next));
    },

    clear() {
      // The engine forgets them too: a restarted member restores what it gets from the commits.
      for (const p of position.keys()) engine.revokePartition(p);
      position.clear();
      replayUpto.clear();
      lastCheckpoint.clear();
    },
  };
}
