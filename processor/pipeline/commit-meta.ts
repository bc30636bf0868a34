// The metadata a processor commit carries besides the offset: how to restore the window engine for
// the replay from that offset (see processor.ts), and how many attempts at the records from `upto`
// on have started without getting further (poison.ts). Kafka keeps it with the committed offset;
// anything that is not ours (another tool's, an older format) makes the partition start fresh.
// Optional fields keep commits written by an older processor readable.
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
  /** Newest event time accepted before `upto` (null: none; undefined: an older commit without it). */
  top?: number | null;
  /** Attempts started at the records from `upto` on since `upto` last moved (0 or absent: none). */
  tries?: number;
}

export function encodeCommitMeta(cp: PartitionCheckpoint, upto: number, tries = 0): string {
  const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const meta: CommitMeta = { v: 1, floor: num(cp.floor), maxTs: num(cp.maxEventTsBefore), upto, top: num(cp.maxEventTs) };
  if (tries > 0) meta.tries = tries;
  return JSON.stringify(meta);
}

/** The commit metadata, or null when absent or not ours (then the partition starts fresh). */
export function decodeCommitMeta(metadata: string | null | undefined): CommitMeta | null {
  if (!metadata) return null;
  try {
    const m = JSON.parse(metadata) as Partial<CommitMeta>;
    const okNum = (x: unknown) => x === null || (typeof x === 'number' && Number.isFinite(x));
    if (m.v !== 1 || !okNum(m.floor) || !okNum(m.maxTs) || typeof m.upto !== 'number' || !Number.isSafeInteger(m.upto)) return null;
    if (m.top !== undefined && !okNum(m.top)) return null;
    if (m.tries !== undefined && (!Number.isSafeInteger(m.tries) || m.tries < 0)) return null;
    const out: CommitMeta = { v: 1, floor: m.floor ?? null, maxTs: m.maxTs ?? null, upto: m.upto };
    if (m.top !== undefined) out.top = m.top;
    if (m.tries) out.tries = m.tries;
    return out;
  } catch {
    return null;
  }
}

/** A checkpoint costs a pass over the partition's devices: at most one per partition per second. */
export const CHECKPOINT_EVERY_MS = 1000;
