// The window engine's public types and options: what the adapter passes in and gets back.
// Rules: options are validated once at creation (a RangeError names the field). Defaults: 60 s
// windows and rate factor 2 as in the config schema (processor.windowSeconds, maxRateFactor);
// 5 min allowed lateness, 5 min future bound, 1 day state TTL. The rest depend on the poll
// interval, so the adapter must pass them.
import type { SampleRecord, WindowResultInput } from '../../common/contracts/index.js';
import { assertWindowMs } from './apportion.js';
import type { ImplausibleReason, ResetReason } from './counter-delta.js';

export interface WindowEngineOptions {
  /** Tumbling window length, epoch aligned. Default 60000. */
  windowMs?: number;
  /** Watermark lag behind the newest event time of a partition. */
  outOfOrdernessMs: number;
  /** How long after its watermark emission a window still takes late data (revisions). Default 300000. */
  allowedLatenessMs?: number;
  /** A counter interval longer than this is not spread ('gap'). */
  maxGapMs: number;
  /** A rate above this multiple of the link speed is implausible. Default 2. */
  maxRateFactor?: number;
  /**
   * Processing time a partition must be idle (no records, and the caller's `idle` predicate true at
   * every tick) before its watermark follows processing time.
   */
  idleTimeoutMs: number;
  /** A record whose event time is further ahead of processing time than this is rejected ('future'). Default 300000. */
  maxFutureMs?: number;
  /**
   * State of a device or interface not seen for this long in event time (behind the watermark) is
   * evicted. Must be at least allowedLatenessMs + windowMs + maxGapMs, so that eviction changes
   * nothing but the next sample's event kind ('first' instead of 'gap'). Default 86400000.
   */
  stateTtlMs?: number;
}

export const ENGINE_DEFAULTS = { windowMs: 60_000, allowedLatenessMs: 300_000, maxRateFactor: 2, maxFutureMs: 300_000, stateTtlMs: 86_400_000 } as const;

/** 'window-closed': completed or finished (final pcap) already; 'past-allowed-lateness': watermark beyond end + lateness. */
export const LATE_REASONS = ['past-allowed-lateness', 'window-closed'] as const;
export type LateReason = (typeof LATE_REASONS)[number];

/**
 * Counter and window events, plus two rejections of a whole record (it changed nothing, not even
 * a watermark): 'future' (event time too far ahead of processing time) and 'span-too-long' (a
 * TrafficDelta longer than the maximum gap); and 'evicted' (state dropped after stateTtlMs).
 */
export const ENGINE_EVENT_KINDS = ['reset', 'gap', 'implausible', 'out-of-order', 'late', 'first', 'future', 'span-too-long', 'evicted'] as const;
export type EngineEventKind = (typeof ENGINE_EVENT_KINDS)[number];

/** Record kinds the engine rejects whole: the adapter dead-letters the record. */
export const REJECT_KINDS: ReadonlySet<EngineEventKind> = new Set(['future', 'span-too-long']);

export interface EngineEvent {
  kind: EngineEventKind;
  deviceId: string;
  /** The interface; 0 for a whole-record rejection or a whole device's eviction. */
  ifIndex: number;
  reason?: ResetReason | ImplausibleReason | LateReason;
  /** Event time of the observation or delta end that caused it (for 'evicted': when the device or interface was last seen). */
  ts: number;
  /** 'future': how far ahead of the reference clock; 'span-too-long': the span (ms). */
  excessMs?: number;
}

export interface EngineOutput {
  windows: WindowResultInput[];
  events: EngineEvent[];
}

/**
 * Where a partition's replay must start so that a fresh engine rebuilds the same state (Kafka
 * offset commit). Windows before `floor` are final for every device the partition had: no more
 * data can reach them and they were written, so a replay drops data for them (for devices seen
 * before the replay's end; a device first seen after it behaves as live). `maxEventTsBefore` is
 * the newest event time among the records before `offset`: the replay's watermark starts there.
 */
export interface PartitionCheckpoint {
  offset: number;
  floor: number;
  maxEventTsBefore: number;
  /**
   * The newest event time of all records accepted before `nextOffset`: in a replay, a record newer
   * than this was rejected as 'future' (processing time has moved on since, so the clock cannot
   * decide it again).
   */
  maxEventTs: number;
}

/**
 * What a partition restarts from: its checkpoint's floor and watermark start, and `upto`, the end
 * of what was processed before. `maxEventTs` absent (an older commit): replayed records are judged
 * 'future' by the clock, as live ones.
 */
export type RestorePoint = Omit<PartitionCheckpoint, 'offset' | 'maxEventTs'> & { upto: number; maxEventTs?: number };

/** Per partition: may its watermark follow processing time now (the consumer is caught up, nothing is pending)? */
export type IdlePredicate = (partition: number) => boolean;

export interface WindowEngine {
  /**
   * `offset` (the record's position in its partition) enables checkpoints: without it the engine
   * cannot say where a replay must start.
   */
  ingest(record: SampleRecord, partition: number, processingTimeMs: number, offset?: number): EngineOutput;
  /**
   * Advances idle partitions' watermarks and emits what became due; evicts state older than the
   * TTL. `idle` (default: always) gates the advance: a partition counts as idle only for the
   * processing time during which every tick found it true (the adapter says "caught up and
   * nothing pending"), so an outage of a sink or the broker never moves a watermark.
   */
  tick(processingTimeMs: number, idle?: IdlePredicate): EngineOutput;
  /** Forgets a partition's devices and watermark (rebalance: another instance owns it now). */
  revokePartition(partition: number): void;
  /**
   * The replay start for a partition whose records up to `nextOffset` (exclusive) were ingested,
   * given that everything emitted so far is written. Advances the partition's floor; drops offset
   * bookkeeping the replay no longer needs.
   */
  checkpoint(partition: number, nextOffset: number): PartitionCheckpoint;
  /**
   * Starts a partition from a checkpoint (forgetting what it held): the replay from `offset` follows.
   * `upto`: the end of what was processed before; devices first seen before it get the floor.
   */
  restorePartition(partition: number, from: RestorePoint, processingTimeMs: number): void;
}

/** The options with every default filled in. */
export type ResolvedOptions = Required<WindowEngineOptions>;

/** Fills in defaults and validates; throws RangeError naming the bad field. */
export function resolveOptions(options: WindowEngineOptions): ResolvedOptions {
  const o: ResolvedOptions = {
    windowMs: options.windowMs ?? ENGINE_DEFAULTS.windowMs,
    outOfOrdernessMs: options.outOfOrdernessMs,
    allowedLatenessMs: options.allowedLatenessMs ?? ENGINE_DEFAULTS.allowedLatenessMs,
    maxGapMs: options.maxGapMs,
    maxRateFactor: options.maxRateFactor ?? ENGINE_DEFAULTS.maxRateFactor,
    idleTimeoutMs: options.idleTimeoutMs,
    maxFutureMs: options.maxFutureMs ?? ENGINE_DEFAULTS.maxFutureMs,
    stateTtlMs: options.stateTtlMs ?? ENGINE_DEFAULTS.stateTtlMs,
  };
  assertWindowMs(o.windowMs);
  for (const key of ['outOfOrdernessMs', 'allowedLatenessMs', 'maxGapMs', 'maxRateFactor', 'idleTimeoutMs', 'maxFutureMs', 'stateTtlMs'] as const) {
    const v = o[key];
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${key} must be a finite number >= 0, got ${v}`);
  }
  if (o.maxGapMs === 0 || o.maxRateFactor === 0) throw new RangeError('maxGapMs and maxRateFactor must be > 0');
  const minTtl = minStateTtlMs(o);
  if (o.stateTtlMs < minTtl) throw new RangeError(`stateTtlMs must be at least allowedLatenessMs + windowMs + maxGapMs (${minTtl}), got ${o.stateTtlMs}`);
  return o;
}

/** The shortest state TTL that evicts nothing a record could still need (see stateTtlMs). */
export function minStateTtlMs(o: Pick<ResolvedOptions, 'allowedLatenessMs' | 'windowMs' | 'maxGapMs'>): number {
  return o.allowedLatenessMs + o.windowMs + o.maxGapMs;
}
