// The metadata a processor commit carries besides the offset: how to restore the window engine for
// the replay from that offset (see processor.ts). Kafka keeps it with the committed offset; anything
// that is not ours (another tool's, an older format) makes the partition start fresh.
import type { PartitionCheckpoint } from '../core/index.js';

/** What a commit carries besides the offset: how to restore the engine for the replay from it. */
export interface CommitMeta {
  v: 1;
  /** The checkpoint floor (null: none yet). */
  floor: number | null;
  /** Newest event time before the committed offset (null: none). */
  maxTs: number | null;
  /** Records before this offset were processed and their output written. */
  upto: number;
}

export function encodeCommitMeta(cp: PartitionCheckpoint, upto: number): string {
  const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return JSON.stringify({ v: 1, floor: num(cp.floor), maxTs: num(cp.maxEventTsBefore), upto } satisfies CommitMeta);
}

/** The commit metadata, or null when absent or not ours (then the partition starts fresh). */
export function decodeCommitMeta(metadata: string | null | undefined): CommitMeta | null {
  if (!metadata) return null;
  try {
    const m = JSON.parse(metadata) as Partial<CommitMeta>;
    const okNum = (x: unknown) => x === null || (typeof x === 'number' && Number.isFinite(x));
    if (m.v !== 1 || !okNum(m.floor) || !okNum(m.maxTs) || typeof m.upto !== 'number' || !Number.isSafeInteger(m.upto)) return null;
    return { v: 1, floor: m.floor ?? null, maxTs: m.maxTs ?? null, upto: m.upto };
  } catch {
    return null;
  }
}

/** A checkpoint costs a pass over the partition's devices: at most one per partition per second. */
export const CHECKPOINT_EVERY_MS = 1000;
