// The processor component: a kafkajs consumer-group member that decodes sample records, feeds the
// pure window engine, and hands emitted windows to the sinks before committing offsets. Records that
// fail decoding go to the dead-letter topic with the reason; the pipeline never stops for them.
// Batches, the idle tick and rebalances run one at a time (the engine is single-threaded state).
//
// Exactly-once effect: after a batch is written, the committed offset is the engine's checkpoint,
// the first record a replay needs (open windows, counter baselines), not the batch end. The commit
// metadata carries the checkpoint's floor and watermark start and `upto`, the batch end. A member
// that gets a partition (restart, rebalance) restores the engine from that metadata and replays
// from the committed offset: windows from records before `upto` were written already and are
// not written again, nor their dead letters; from `upto` on it writes what the lost member would have.
// Fencing (fence.ts): every write asks the fence first; output is stamped with the assignment epoch
// it was made in and dropped once that epoch ends, and every group join restarts every partition
// from its committed checkpoint (as Kafka's eager rebalance revokes them all), so what a stalled or
// moved member had queued is made again by the partition's owner, never written by the old one.
// Rooms: partitions.ts (assignment, restore, checkpoint policy), metrics.ts, commit-meta.ts (what a
// commit carries), write-behind.ts (the write queue), window-sink.ts (InfluxDB and the windows
// topic), dead-letters.ts (the dead-letter topic), fence.ts (the write lease and epochs); this file
// is the component and its batch loop.
import type { Clock } from '../../common/clock.js';
import { createSerial } from '../../common/serial.js';
import { CONNECTION_TIMEOUT_MS, createKafka, MAX_RETRY_WAIT_MS, prepareTopics, restartOnFinalCrash, type Admin, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from '../../common/bus/kafka.js';
import { decodeSampleRecord } from '../../common/contracts/index.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { DecodeError, errorMessage } from '../../common/errors.js';
import { outOfOrdernessMs, type NetmonConfig } from '../../common/config/schema.js';
import type { Component, FailureSink } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import type { Registry } from '../../common/metrics.js';
import type { WindowStore } from '../../common/store/influx.js';
import { createWindowEngine, REJECT_KINDS, type EngineEvent, type EngineOutput, type WindowEngine, type WindowEngineOptions } from '../core/index.js';
import { createProcessorMetrics } from './metrics.js';
import { createPartitions, readCommitMetas, type OffsetCommit } from './partitions.js';
import { createFence, fenceTimes } from './fence.js';
import { poisonReason } from './poison.js';
import { createWindowSink, type WindowSink } from './window-sink.js';
import { cachedKeyPartitioner } from './key-partitioner.js';
import { whileHeartbeating } from './heartbeating.js';
import { createWriteBehind } from './write-behind.js';
import { createFetchClock } from './fetch-clock.js';
import { lateReason, publishDeadLetters, type DeadLetter, type DeadLetterDeps } from './dead-letters.js';
import { readMessageLimits, sendBoundOf } from '../../common/bus/message-limit.js';
import { healthOf } from '../../common/health.js';
import type { AlertStage } from '../alerts/alert-stage.js';

/** The part of the configuration the processor uses. */
export type PipelineConfig = Pick<NetmonConfig, 'kafka' | 'processor'> & { collector: Pick<NetmonConfig['collector'], 'pollIntervalSeconds'> };

export interface Processor extends Component {
  /** Resolves when the consumer has joined its group (partitions assigned). */
  ready(): Promise<void>;
}

type RecordRef = Omit<DeadLetter, 'reason' | 'field'>;

/** One batch's (or idle flush's) output for the write-behind queue. */
interface WriteJob {
  windows: WindowResultInput[];
  dead: DeadLetter[];
  commits: OffsetCommit[];
}

/** Where a record came from, with its bytes, for a dead letter (dead-letters.ts cuts them to fit, saying so). */
function refOf(topic: string, partition: number, m: KafkaMessage): RecordRef {
  return { topic, partition, offset: m.offset, key: m.key?.toString('utf8') ?? null, value: m.value?.toString('utf8') ?? null };
}

/** The window engine's options: the poll interval sets the default out-of-orderness, the gap limit and the idle timeout. */
export function engineOptions(config: PipelineConfig): WindowEngineOptions {
  const pollMs = config.collector.pollIntervalSeconds * 1000;
  return {
    windowMs: config.processor.windowSeconds * 1000,
    outOfOrdernessMs: outOfOrdernessMs(config),
    allowedLatenessMs: config.processor.allowedLatenessSeconds * 1000,
    maxGapMs: Math.round(config.processor.maxGapPolls * pollMs),
    maxRateFactor: config.processor.maxRateFactor,
    idleTimeoutMs: config.processor.idleTimeoutSeconds !== undefined ? config.processor.idleTimeoutSeconds * 1000 : Math.max(2 * pollMs, 10_000),
    maxFutureMs: config.processor.maxFutureSeconds * 1000,
    stateTtlMs: config.processor.stateTtlSeconds * 1000,
  };
}

/** kafkajs's default, stated: the fence's lease must end before the coordinator can drop the member either way. */
const REBALANCE_TIMEOUT_MS = 60_000;

/**
 * How recent the consumer's last completed fetch must be for a partition to count as caught up: an
 * idle kafkajs consumer fetches every maxWaitTimeInMs (5 s by default); none for longer means the
 * broker does not answer.
 */
const FETCH_FRESH_MS = 15_000;

/**
 * A pause between two completed fetches longer than this is an outage (an idle consumer fetches
 * every second): idle time counts again only RESUME_GRACE_MS after fetching resumed, by when
 * every producer has tried again (its longest wait between attempts, and one connection attempt).
 */
const FETCH_GAP_MS = 5_000;
const RESUME_GRACE_MS = MAX_RETRY_WAIT_MS + CONNECTION_TIMEOUT_MS + 2_000;

/**
 * How old the consumer's cluster metadata may get (kafkajs's default is 5 minutes). A partition
 * whose leader was not elected yet when the metadata was read (a broker that just restarted) maps to
 * no broker, so kafkajs fetches it from nobody, silently, until the next refresh: after a broker
 * restart one partition's backlog waited up to 5 minutes while the others were processed.
 */
const METADATA_MAX_AGE_MS = 15_000;

/** The dead letter's reason for a record the engine rejected whole. */
function rejectReason(e: EngineEvent, config: PipelineConfig): string {
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;
  if (e.kind === 'future') return `future: event time ${new Date(e.ts).toISOString()} is ${s(e.excessMs ?? 0)} ahead of the processor's clock (processor.maxFutureSeconds ${config.processor.maxFutureSeconds})`;
  const maxGapMs = config.processor.maxGapPolls * config.collector.pollIntervalSeconds * 1000;
  return `gap: traffic delta spans ${s(e.excessMs ?? 0)}, more than the maximum gap ${s(maxGapMs)} (processor.maxGapPolls x collector.pollIntervalSeconds)`;
}

export interface ProcessorDeps {
  registry: Registry;
  clock: Clock;
  store: WindowStore;
  alerts?: AlertStage;
  failures?: FailureSink;
  /** Makes the window engine from its options (default: the pure engine, createWindowEngine). */
  engine?: (options: WindowEngineOptions) => WindowEngine;
}

export function createProcessor(log: Logger, config: PipelineConfig, deps: ProcessorDeps): Processor {
  const plog = log;
  const limited = createRateLimitedLog(plog, 30_000);
  const metrics = createProcessorMetrics(deps.registry);
  const topics = config.kafka.topics;
  const engine = (deps.engine ?? createWindowEngine)(engineOptions(config));

  const kafka = createKafka(plog, config.kafka, 'processor');
  let consumer: Consumer | null = null;
  let producer: Producer | null = null;
  let admin: Admin | null = null;
  const partitions = createPartitions(plog, {
    engine,
    clock: deps.clock,
    metrics,
    topic: topics.samples,
    maxRecordAttempts: config.processor.maxRecordAttempts,
    fetchCommitMetas: () => readCommitMetas(admin!, config.processor.groupId, topics.samples),
  });
  let running = false;
  let tickTimer: NodeJS.Timeout | null = null;
  let joined!: () => void;
  const joinedP = new Promise<void>((r) => (joined = r));
  const queue = createSerial();
  const serial = queue.run;
  const isRunning = () => running;

  /** Counts what the engine emitted; late data is dead-lettered with the record it came from. */
  function account(out: EngineOutput, into: WindowResultInput[], dead: DeadLetter[] | null, source?: () => RecordRef): void {
    if (out.windows.length > 0) {
      // Counted per call, not per window: a metric update with labels costs more than the window.
      let devicesN = 0;
      let revised = 0;
      for (const w of out.windows) {
        if (w.ifIndex === null) devicesN++;
        if (w.revision > 0) revised++;
        into.push(w);
      }
      if (devicesN > 0) metrics.windowsEmitted.inc({ kind: 'device' }, devicesN);
      if (out.windows.length > devicesN) metrics.windowsEmitted.inc({ kind: 'interface' }, out.windows.length - devicesN);
      if (revised > 0) metrics.revisions.inc(revised);
    }
    const late: EngineEvent[] = [];
    for (const e of out.events) {
      metrics.events.inc({ kind: e.kind });
      if (e.kind === 'reset' || e.kind === 'implausible' || e.kind === 'gap') {
        limited(`${e.kind}:${e.deviceId}`, 'info', { device: e.deviceId, ifIndex: e.ifIndex, reason: e.reason }, `counter ${e.kind}`);
      }
      if (e.kind === 'late') late.push(e);
      if (REJECT_KINDS.has(e.kind) && dead && source) dead.push({ ...source(), reason: rejectReason(e, config), field: null });
    }
    // One dead letter per record, however many of its interfaces came too late.
    if (late.length > 0 && dead && source) dead.push({ ...source(), reason: lateReason(late), field: null });
  }

  const health = healthOf(deps.registry, deps.clock);
  /** maxBytes: each topic's send bound, read from the broker at start (common/bus/message-limit.ts). */
  const deadLetterDeps: DeadLetterDeps = { topic: topics.deadletter, counter: metrics.deadLetters, log: limited, health };
  let windowsMaxBytes: number | undefined;
  const sink = () => createWindowSink(plog, { store: deps.store, producer: producer!, topic: topics.windows, deadLetters: deadLetterDeps, health, maxBytes: windowsMaxBytes });
  const sessionTimeoutMs = config.processor.sessionTimeoutSeconds * 1000;
  const heartbeatInterval = Math.min(3_000, sessionTimeoutMs / 3);
  const fence = createFence(plog, { times: fenceTimes(sessionTimeoutMs, REBALANCE_TIMEOUT_MS), registry: deps.registry });
  /** The epoch the engine's partitions were restored in: output is stamped with it. */
  let engineEpoch = 0;

  /** Writes queued output in order: windows, then dead letters, then the commits that cover them; each write through the fence. */
  async function flush(stamped: Array<WriteJob & { epoch: number }>): Promise<void> {
    // Output of an ended assignment is dropped: the partition's owner replays it from the last commit.
    const jobs = stamped.filter((j) => fence.current(j.epoch));
    for (const j of stamped) {
      if (fence.current(j.epoch)) continue;
      fence.dropped('windows', j.windows.length);
      fence.dropped('dead_letters', j.dead.length);
      fence.dropped('commits', j.commits.length);
    }
    if (jobs.length === 0) return;
    const gate = fence.gate(jobs[0].epoch, isRunning);
    const windows = jobs.flatMap((j) => j.windows);
    if (!windowSink || !(await windowSink.write(windows, isRunning, gate))) return;
    metrics.windowsWritten.inc(windows.length);
    // Alert rules on the written windows: events and states are stored before the commit.
    if (deps.alerts && !(await deps.alerts.handle(windows, isRunning, undefined, gate))) return;
    const dead = jobs.flatMap((j) => j.dead);
    if (dead.length > 0 && producer) {
      const p = producer;
      let sent = false;
      if (!(await gate.write(async () => void (sent = await publishDeadLetters(p, dead, isRunning, deadLetterDeps)))) || !sent) return;
    }
    const commits = new Map<number, OffsetCommit>();
    for (const j of jobs) for (const c of j.commits) commits.set(c.partition, c);
    if (commits.size === 0 || !consumer) return;
    const c = consumer;
    try {
      // The broker checks the generation too, but not which member owns a partition: the fence does.
      await gate.write(() => c.commitOffsets([...commits.values()]));
    } catch (err) {
      // A later commit covers it; until then a restart replays a little more.
      limited('commit', 'warn', { err: errorMessage(err) }, 'offset commit failed');
    }
  }
  let windowSink: WindowSink | null = null;
  // A write that throws stops the queue (nothing after it is committed); the supervisor restarts
  // this component, which replays from the last commit.
  const stampedWriter = createWriteBehind(flush, 4, (err) => {
    plog.error({ err: errorMessage(err) }, 'writing a batch failed; output held back until the processor restarts');
    deps.failures?.fail('processor', err);
  });
  /** The write queue as the batch loop sees it: each job stamped with the epoch of the engine state that made it. */
  const writer = {
    push: (job: WriteJob) => stampedWriter.push({ ...job, epoch: engineEpoch }),
    drain: () => stampedWriter.drain(),
    pending: () => stampedWriter.pending(),
    reset: () => stampedWriter.reset(),
  };

  // What the idle predicate needs (see caughtUp): per partition the high watermark of its last
  // fetched batch and when its last batch was done, the batches handed over but not done, and
  // when the consumer last completed a fetch (processing time).
  const fetchedHw = new Map<number, number>();
  const batchDoneAt = new Map<number, number>();
  let batchesInFlight = 0;
  const fetchClock = createFetchClock({ gapMs: FETCH_GAP_MS, graceMs: RESUME_GRACE_MS });
  let lastBatchDoneAt = -Infinity;
  /** Partitions that failed inside this member: the committed offset their next batch must start at (seek). */
  const refetchFrom = new Map<number, number>();

  /**
   * May the partition's watermark follow processing time now? Only when the consumer is caught up on
   * it (its position has reached the high watermark of its last batch, and a fetch completed since
   * that batch and recently: the broker answers and has nothing more) and nothing is pending (no
   * batch in hand, the write-behind queue empty: the last write went through).
   */
  function caughtUp(partition: number): boolean {
    if (batchesInFlight > 0 || writer.pending() > 0) return false;
    const hw = fetchedHw.get(partition);
    const next = partitions.nextOffset(partition);
    if (hw === undefined || next === undefined || next < hw) return false;
    const now = deps.clock.now();
    const lastFetchAt = fetchClock.lastFetchAt();
    return lastFetchAt > (batchDoneAt.get(partition) ?? -Infinity) && now - lastFetchAt <= FETCH_FRESH_MS && fetchClock.settled(now);
  }

  /** Commits at once (not behind the queue): the attempt marker, which must land before the records it counts are ingested. */
  async function commitNow(c: OffsetCommit): Promise<void> {
    await writer.drain();
    const cons = consumer;
    if (!cons) return;
    try {
      // Through the fence like every other commit: a member that lost the partition counts nothing.
      await fence.gate(engineEpoch, isRunning).write(() => cons.commitOffsets([c]));
    } catch (err) {
      // Uncounted, this attempt only delays the poison decision by one restart.
      limited('marker', 'warn', { partition: c.partition, err: errorMessage(err) }, 'attempt marker commit failed');
    }
  }

  /**
   * A record failed inside this member (the engine threw): its partition's state is not to be
   * trusted. Forget it and read it again from its commit, as a restart would; the attempt count
   * in the commit metadata bounds how often (poison.ts).
   */
  async function failPartition(topic: string, partition: number, offset: string, err: unknown): Promise<void> {
    limited(`fail:${partition}`, 'error', { partition, offset, err: errorMessage(err) }, 'a record failed inside the processor; the partition restarts from its commit');
    await writer.drain();
    partitions.fail(partition);
    const committed = (await readCommitMetas(admin!, config.processor.groupId, topics.samples)).get(partition)?.offset ?? -1;
    // Never committed: nothing to restart from but the kafkajs retry of the batch.
    if (committed < 0) throw err;
    refetchFrom.set(partition, committed);
    consumer!.seek({ topic, partition, offset: String(committed) });
  }

  /**
   * Tells kafkajs the batch is done up to `offset`, unless the group was joined again while the
   * batch waited (its output queued behind a lapsed lease is dropped with its epoch). kafkajs
   * resolves into the offsets of its current generation: an old batch resolving there would move
   * the new generation's fetch past records the restored partition never took, and their windows
   * would never be written. Unresolved, the partition is fetched again from its commit.
   */
  function resolveIfCurrent(payload: EachBatchPayload, offset: string): boolean {
    if (!fence.current(engineEpoch)) {
      metrics.staleBatches.inc();
      limited('stale-batch', 'info', { partition: payload.batch.partition, offset }, 'a batch of an ended assignment is not resolved; the partition is read again from its commit');
      return false;
    }
    payload.resolveOffset(offset);
    return true;
  }

  /** One batch of one partition: decoded and ingested (a replayed record only rebuilds state), its output and checkpoint queued. */
  async function processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const p = batch.partition;
    const refetch = refetchFrom.get(p);
    // After a failure the batch must start from the commit (seek); one fetched before the seek is dropped.
    if (refetch !== undefined) {
      if (batch.messages.length > 0 && Number(batch.messages[0].offset) > refetch) return;
      refetchFrom.delete(p);
    }
    const { from, upto } = await partitions.open(p);
    const hw = Number(batch.highWatermark);
    let out: WindowResultInput[] = [];
    let dead: DeadLetter[] = [];
    let replayedN = 0;
    let recordsN = 0;
    let committedThrough = -1;
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      // Kafka redelivers from the committed offset after a rebalance; this member has those already.
      if (offset < from) continue;
      const replay = offset < upto;
      if (replay) replayedN++;
      else recordsN++;
      const attempt = replay ? null : partitions.attempt(p);
      // The first record past the replay: count this attempt in Kafka before ingesting anything new.
      if (attempt && !attempt.marked) await commitNow(partitions.marker(p, offset));
      if (attempt?.poison && offset === upto) {
        // The record-by-record attempt stopped on this record: it does not get another.
        dead.push({ ...refOf(batch.topic, p, m), reason: poisonReason(attempt.tries, config.processor.maxRecordAttempts), field: null });
        limited('poison', 'error', { partition: p, offset: m.offset }, 'poison record dead-lettered');
        partitions.poisonHandled(p);
      } else {
        let rec;
        try {
          rec = decodeSampleRecord(m.value);
        } catch (err) {
          if (replay) continue;
          const field = err instanceof DecodeError ? err.field : null;
          dead.push({ ...refOf(batch.topic, p, m), reason: `invalid: ${errorMessage(err)}`, field });
          limited('decode', 'warn', { partition: p, offset: m.offset, err: errorMessage(err) }, 'bad record dead-lettered');
          rec = null;
        }
        if (rec !== null) {
          let result: EngineOutput;
          try {
            // The alert stage takes every record's oper status (oper_down), replayed ones too: they feed windows still to come.
            deps.alerts?.observe(rec);
            result = engine.ingest(rec, p, deps.clock.now(), offset);
          } catch (err) {
            await failPartition(batch.topic, p, m.offset, err);
            return;
          }
          if (!replay) account(result, out, dead, () => refOf(batch.topic, p, m));
        }
      }
      if (attempt?.mode === 'single') {
        // Record by record: this one's output and a commit past it land before the next is ingested.
        const commit = partitions.advance(p, offset + 1, hw);
        await writer.push({ windows: out, dead, commits: commit ? [commit] : [] });
        await writer.drain();
        out = [];
        dead = [];
        committedThrough = offset + 1;
        if (!resolveIfCurrent(payload, m.offset)) return;
        await payload.heartbeat();
      }
    }
    if (replayedN > 0) metrics.replayed.inc(replayedN);
    if (recordsN > 0) metrics.records.inc(recordsN);
    const last = batch.messages[batch.messages.length - 1];
    const commits: OffsetCommit[] = [];
    if (last && Number(last.offset) + 1 > committedThrough) {
      const commit = partitions.advance(p, Number(last.offset) + 1, hw);
      if (commit) commits.push(commit);
    }
    // Written (and committed) behind: the next batch is decoded meanwhile.
    await writer.push({ windows: out, dead, commits });
    if (last && !resolveIfCurrent(payload, last.offset)) return;
    await payload.heartbeat();
  }

  /** Idle partitions' watermarks follow processing time; what that closes is queued with the checkpoints it moved. */
  async function idleTick(): Promise<void> {
    const out: WindowResultInput[] = [];
    const now = deps.clock.now();
    account(engine.tick(now, caughtUp), out, null);
    // Checkpoints the batches skipped, and those closed windows moved on.
    const commits = partitions.idleCommits(now, out.length > 0);
    if (out.length > 0 || commits.length > 0) await writer.push({ windows: out, dead: [], commits });
  }

  return {
    name: 'processor',
    async start() {
      writer.reset();
      await deps.store.ensureDatabase();
      await prepareTopics(kafka, config.kafka);
      producer = kafka.producer({ createPartitioner: cachedKeyPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      admin = kafka.admin();
      await admin.connect();
      const limits = await readMessageLimits(admin, [topics.windows, topics.deadletter], plog);
      windowsMaxBytes = sendBoundOf(limits, [topics.windows]);
      deadLetterDeps.maxBytes = sendBoundOf(limits, [topics.deadletter]);
      // Alert states persisted by earlier runs, before the first batch.
      await deps.alerts?.start(kafka);
      consumer = kafka.consumer({
        groupId: config.processor.groupId,
        sessionTimeout: sessionTimeoutMs,
        rebalanceTimeout: REBALANCE_TIMEOUT_MS,
        heartbeatInterval,
        // kafkajs heartbeats between fetches: an idle fetch shorter than the interval keeps the write lease fresh.
        maxWaitTimeInMs: Math.min(1_000, heartbeatInterval),
        metadataMaxAge: METADATA_MAX_AGE_MS,
      });
      const alerts = deps.alerts;
      fence.open();
      // Registered before the processor's own GROUP_JOIN listener: the epoch moves on before anything else sees the join.
      fence.watch(consumer, topics.samples);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        const assigned = e.payload.memberAssignment[topics.samples] ?? [];
        const epoch = fence.epoch();
        void serial(async () => {
          // Queued output of the ended epoch is dropped by the writer; then every partition restarts
          // from its committed checkpoint, kept ones too (a stalled member's state may be stale).
          await writer.drain();
          partitions.assign([]);
          partitions.assign(assigned);
          engineEpoch = epoch;
          // After a (re)assignment the alert states are reloaded (the last owner's).
          await alerts?.reload().catch((err: unknown) => limited('alert-reload', 'error', { err: errorMessage(err) }, 'alert state reload failed'));
        });
        joined();
      });
      consumer.on(consumer.events.FETCH, () => fetchClock.fetched(deps.clock.now(), lastBatchDoneAt));
      restartOnFinalCrash(consumer, 'processor', { log: plog, limited, failures: deps.failures });
      await consumer.connect();
      await consumer.subscribe({ topic: topics.samples, fromBeginning: true });
      running = true;
      windowSink = sink();
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const p = payload.batch.partition;
          batchesInFlight++;
          fetchedHw.set(p, Number(payload.batch.highWatermark));
          try {
            // The batch may wait long (behind a stalled sink's queue): it heartbeats meanwhile, so the member stays in its group and its lease renews.
            await whileHeartbeating(serial(() => processBatch(payload)), () => payload.heartbeat(), heartbeatInterval);
          } finally {
            batchesInFlight--;
            lastBatchDoneAt = deps.clock.now();
            batchDoneAt.set(p, lastBatchDoneAt);
          }
        },
      });
      tickTimer = setInterval(() => void serial(idleTick), 1000);
    },
    async stop() {
      running = false;
      if (tickTimer) clearInterval(tickTimer);
      // Write (and commit) what is queued while the consumer can still commit, then stop it. Leaving
      // the group hands the partitions over at once: nothing is written after that.
      await serial(() => writer.drain());
      fence.close();
      await consumer?.disconnect();
      await queue.idle();
      await writer.drain();
      await producer?.disconnect();
      await admin?.disconnect();
      await deps.alerts?.stop();
      consumer = null;
      producer = null;
      admin = null;
      partitions.clear();
    },
    ready: () => joinedP,
  };
}
