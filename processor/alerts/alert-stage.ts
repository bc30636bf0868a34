// The processor's alert stage: after the window sink has written a batch's windows, the evaluator
// folds them into the alert states; the resulting events go to InfluxDB (alert history) and
// netmon.alerts, the changed states to the compacted netmon.alert-state topic, all before the
// processor commits the batch's offsets. On start and on every partition assignment the states are
// read back from that topic, so a restart or a rebalance continues where the last owner stopped:
// replayed windows (same revision) are ignored, and replayed events carry the same ids.
// Fencing: the processor passes its write gate (processor/pipeline/fence.ts); each write asks it
// immediately before sending, and a refused one ends handle() with false (states in memory are then
// stale, and the next assignment reloads them from the topic).
// Errors (common/retry.ts): a transient one (InfluxDB or the broker away) is retried until it
// succeeds or the processor stops, the dependency shown down in the process's health; a permanent one
// (InfluxDB 4xx, the broker refusing a record) cannot be retried away, so the refused event or state
// (the history batch is bisected until the refused events stand alone, a refused send is retried one
// record at a time) goes to netmon.deadletter as `rejected: ...` and the rest is stored. A refused
// state stays in memory: the topic keeps the previous one until the next change of that alert.
// Sends are cut under the topics' max.message.bytes, read at start; a record alone above it is not
// sent at all but dead-lettered as too large.
import type { Kafka, Producer } from '../../common/bus/kafka.js';
import { defaultPartitioner } from '../../common/bus/kafka.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { encodeAlertEvent, type AlertEventInput } from '../../common/contracts/alert-event.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { isPermanent, retryWhileRunning } from '../../common/retry.js';
import { batches, recordBytes } from '../../common/batching.js';
import { readMessageLimitsOf, sendBoundOf, type MessageLimit } from '../../common/bus/message-limit.js';
import type { Clock } from '../../common/clock.js';
import { systemClock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import { healthOf } from '../../common/health.js';
import { publishDeadLetters, type DeadLetter } from '../pipeline/dead-letters.js';
import { Counter, type Registry } from '../../common/metrics.js';
import type { AlertHistoryStore } from '../../common/store/alert-history.js';
import { readCompactedTopic } from '../../common/bus/compacted-topic.js';
import { createAlertEvaluator, type AlertEvaluator, type EvaluatedAlert, type EvaluationResult, type ScopeState, type WindowExtras } from './evaluator.js';
import { createOperStatusTracker } from './oper-status.js';
import { endedAlerts, keptStates } from './rule-set.js';
import type { SampleRecord } from '../../common/contracts/index.js';
import { createSerial } from '../../common/serial.js';
import type { WriteGate } from '../pipeline/fence.js';

/** The processor's allowed lateness (processor/pipeline/processor.ts): revisions arrive within it. */
const ALLOWED_LATENESS_MS = 5 * 60_000;

export interface AlertStage {
  readonly rules: readonly AlertRule[];
  /** Connects its producer and loads the persisted states. */
  start(kafka: Kafka): Promise<void>;
  /** Reloads the persisted states (call on partition assignment, before the next batch). */
  reload(): Promise<void>;
  /** Sees each decoded sample record before its windows are emitted (for oper_down). */
  observe(rec: SampleRecord): void;
  /** Evaluates written windows; resolves true once events and states are stored, false if stopped or fenced first. */
  handle(windows: readonly WindowResultInput[], isRunning: () => boolean, extras?: WindowExtras, gate?: WriteGate): Promise<boolean>;
  stop(): Promise<void>;
  /**
   * Swaps the rule set without a restart (rules from netmon.config, see rule-follower.ts): states of
   * removed rules, and of rules whose metric or scope changed, are dropped (tombstoned on the state
   * topic); the others continue. Runs between batches, never during one.
   */
  setRules(rules: readonly AlertRule[]): Promise<void>;
}

export function createAlertStage(log: Logger, config: Pick<NetmonConfig, 'kafka' | 'processor'>, deps: { rules: readonly AlertRule[]; tagsOf: (deviceId: string) => readonly string[]; registry: Registry; history: AlertHistoryStore; clock?: Clock }): AlertStage {
  const alog = log.child({ stage: 'alerts' });
  const limited = createRateLimitedLog(alog, 30_000);
  // Shared by the stages of one process (the processor's and the reachability watcher's).
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    (deps.registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [deps.registry] });
  const eventsTotal = counter('netmon_alerts_events_total', 'Alert events emitted by the evaluator', ['transition', 'severity']);
  const ignoredTotal = counter('netmon_alerts_ignored_windows_total', 'Windows the evaluator ignored: re-delivered (same revision) or older than the kept history', ['reason']);
  const evaluated = counter('netmon_alerts_windows_evaluated_total', 'Windows applied to an alert rule (one per rule and window), counted once stored');
  const stateWrites = counter('netmon_alerts_state_writes_total', 'Alert states persisted to the state topic');
  // The processor's dead-letter counter, looked up when used: the processor registers it after this stage is made.
  const deadLetters = () => counter<'reason'>('netmon_processor_dead_letters_total', 'Records sent to the dead-letter topic', ['reason']);
  const health = healthOf(deps.registry, deps.clock ?? systemClock);
  const windowMs = config.processor.windowSeconds * 1000;
  const topics = config.kafka.topics;
  // Windows kept per alert for revisions: the processor's allowed lateness (5 min) plus two.
  const historySize = Math.max(4, Math.ceil(ALLOWED_LATENESS_MS / windowMs) + 2);
  let rules = deps.rules;
  const newEvaluator = () => createAlertEvaluator({ rules, windowMs, tagsOf: deps.tagsOf, historySize });
  let evaluator: AlertEvaluator = newEvaluator();
  /** Events ending the alerts of rules that went away (setRules), not stored yet. */
  const ruleEnds: EvaluatedAlert[] = [];
  // Kept past the processor's allowed lateness (5 min), so revisions see their samples again.
  const oper = createOperStatusTracker({ windowMs, keepMs: 10 * 60_000 });
  const extras: WindowExtras = { operDown: (w) => (w.ifIndex === null ? null : oper.downFraction(w.deviceId, w.ifIndex, w.windowStart)), unreachable: () => null };
  let watchesOper = rules.some((r) => r.metric === 'oper_down');
  let kafka: Kafka | null = null;
  let producer: Producer | null = null;
  /** The topics' max.message.bytes, read when the producer connects. */
  let limits = new Map<string, MessageLimit>();
  /** handle and setRules run one at a time. */
  const serial = createSerial().run;
  /** Connects the producer and loads the states, once there are rules (at start, or when the first rule arrives). */
  async function ready(): Promise<void> {
    if (!kafka || producer || rules.length === 0) return;
    await deps.history.ensureDatabase();
    const p = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await p.connect();
    limits = await readMessageLimitsOf(kafka, [topics.alerts, topics.alertState, topics.deadletter], alog);
    producer = p;
    await load();
  }

  async function load(): Promise<void> {
    if (!kafka) return;
    const records = await readCompactedTopic(kafka, topics.alertState, `${config.processor.groupId}-alert-state`);
    const states: ScopeState[] = [];
    for (const [key, value] of records) {
      try {
        states.push(JSON.parse(value) as ScopeState);
      } catch (err) {
        limited('state-decode', 'warn', { key, err: (err as Error).message }, 'unreadable alert state ignored');
      }
    }
    const next = newEvaluator();
    next.restore(states);
    evaluator = next;
    alog.info({ states: states.length }, 'alert states loaded');
  }

  const retry = (what: string, fn: () => Promise<unknown>, isRunning: () => boolean, dependency = 'kafka') =>
    retryWhileRunning(what, fn, { isRunning, log: limited, rethrowPermanent: true, health: { tracker: health, dependency } });

  return {
    get rules() {
      return rules;
    },
    async start(client) {
      kafka = client;
      await serial(ready);
    },
    async reload() {
      if (rules.length === 0 || !producer) return;
      await serial(load);
    },
    observe(rec) {
      if (watchesOper) oper.observe(rec);
    },
    handle(windows, isRunning, given, gate) {
      return serial(() => handleNow(windows, isRunning, given, gate));
    },
    setRules(next) {
      return serial(async () => {
        const { kept, dropped } = keptStates(rules, next, evaluator.states());
        // Sent with the next batch's events, under its write gate (fence).
        ruleEnds.push(...endedAlerts(rules, next, evaluator.states(), windowMs));
        rules = next;
        watchesOper = rules.some((r) => r.metric === 'oper_down');
        const fresh = newEvaluator();
        fresh.restore(kept);
        evaluator = fresh;
        alog.info({ rules: rules.map((r) => r.id), keptStates: kept.length, droppedStates: dropped.length }, 'alert rules changed');
        if (dropped.length > 0 && producer) {
          const p = producer;
          try {
            await retry('alert state removal', () => p.send({ acks: -1, topic: topics.alertState, messages: dropped.map((key) => ({ key, value: null })) }), () => kafka !== null);
          } catch (err) {
            if (!isPermanent(err)) throw err;
            // Tombstones carry no value; one refused for good leaves a state the next load drops (keptStates).
            limited('state-removal', 'error', { err: errorMessage(err), states: dropped.length }, 'alert state removal refused by the broker');
          }
        }
        await ready();
      });
    },
    async stop() {
      await producer?.disconnect();
      producer = null;
      kafka = null;
    },
  };

  async function handleNow(windows: readonly WindowResultInput[], isRunning: () => boolean, given?: WindowExtras, gate?: WriteGate): Promise<boolean> {
    if (!producer || (ruleEnds.length === 0 && (windows.length === 0 || rules.length === 0))) return true;
    const r = windows.length > 0 && rules.length > 0 ? evaluator.evaluate(windows, given ?? extras) : NOTHING_EVALUATED;
    if (r.ignored.redelivered) ignoredTotal.inc({ reason: 'redelivered' }, r.ignored.redelivered);
    if (r.ignored.tooLate) ignoredTotal.inc({ reason: 'too-late' }, r.ignored.tooLate);
    const ends = ruleEnds.splice(0);
    const stored = await storeEvaluation(ends.length > 0 ? [...ends, ...r.events] : r.events, r, isRunning, gate);
    // Not stored (stopped or fenced first): the ends go with this member's next batch.
    if (!stored) ruleEnds.unshift(...ends);
    return stored;
  }

  async function storeEvaluation(events: readonly EvaluatedAlert[], r: EvaluationResult, isRunning: () => boolean, gate?: WriteGate): Promise<boolean> {
    if (r.changed.length === 0 && events.length === 0) return true;
    const p = producer!;
    let fenced = false;
    const gated = (fn: () => Promise<unknown>) => (gate ? async () => void (fenced ||= !(await gate.write(fn))) : fn);
    const live = () => isRunning() && !fenced;
    const dead: DeadLetter[] = [];
    if (events.length > 0 && !(await writeHistory(events, live, gated, dead))) return false;
    // Events, then states, in sends under the topics' limits (2,000 windows' states are ~2 MB).
    const out: Outgoing[] = [
      ...events.map((e) => ({ topic: topics.alerts, key: `${e.ruleId}|${e.deviceId}|${e.ifIndex ?? '-'}`, value: encodeAlertEvent(e) })),
      ...r.changed.map((st) => ({ topic: topics.alertState, key: st.key, value: JSON.stringify(st) })),
    ];
    const maxBytes = sendBoundOf(limits, [topics.alerts, topics.alertState]);
    for (const chunk of batches(out, recordBytes, { maxBytes })) {
      if (!(await publishChunk(p, chunk, maxBytes, live, gated, dead))) return false;
    }
    if (dead.length > 0) {
      limited('alert-rejected', 'warn', { records: dead.length, reason: dead[0].reason }, 'alert events or states refused for good; dead-lettered');
      let sent = false;
      const letters = { topic: topics.deadletter, counter: deadLetters(), log: limited, health, maxBytes: sendBoundOf(limits, [topics.deadletter]) };
      await gated(async () => void (sent = await publishDeadLetters(p, dead, live, letters)))();
      if (!sent || fenced) return false;
    }
    stateWrites.inc(r.changed.length);
    evaluated.inc(r.applied);
    for (const e of events) {
      eventsTotal.inc({ transition: e.transition, severity: e.severity });
      alog.info({ id: e.id, transition: e.transition, rule: e.ruleId, device: e.deviceId, ifIndex: e.ifIndex, value: e.value }, e.message);
    }
    return true;
  }

  /**
   * Writes the events to the alert history; a batch InfluxDB refuses for good is halved until the
   * refused events stand alone, and those become dead letters. False when stopped or fenced first.
   */
  async function writeHistory(events: readonly AlertEventInput[], live: () => boolean, gated: Gated, dead: DeadLetter[]): Promise<boolean> {
    try {
      return await retry('alert history write', gated(() => deps.history.writeEvents(events)), live, 'influxdb') && live();
    } catch (err) {
      if (!isPermanent(err)) throw err;
      if (events.length === 1) {
        const e = events[0];
        dead.push(alertDeadLetter('influxdb', `${e.ruleId}|${e.deviceId}|${e.ifIndex ?? '-'}`, encodeAlertEvent(e), `InfluxDB refused the alert event: ${errorMessage(err)}`));
        return true;
      }
      const mid = events.length >> 1;
      return (await writeHistory(events.slice(0, mid), live, gated, dead)) && (await writeHistory(events.slice(mid), live, gated, dead));
    }
  }

  /**
   * Sends one chunk (events and states); a record alone above the limit is not sent; a chunk the
   * broker refuses for good is sent again one record at a time, and what is still refused is
   * dead-lettered. False when stopped or fenced first.
   */
  async function publishChunk(p: Producer, chunk: readonly Outgoing[], maxBytes: number, live: () => boolean, gated: Gated, dead: DeadLetter[]): Promise<boolean> {
    const send = (ms: readonly Outgoing[]) => {
      const topicMessages = [topics.alerts, topics.alertState]
        .map((topic) => ({ topic, messages: ms.filter((m) => m.topic === topic).map(({ key, value }) => ({ key, value })) }))
        .filter((t) => t.messages.length > 0);
      return retry('alert publish', gated(() => p.sendBatch({ acks: -1, topicMessages })), live);
    };
    if (chunk.length === 1 && recordBytes(chunk[0]) > maxBytes) {
      dead.push(alertDeadLetter(chunk[0].topic, chunk[0].key, chunk[0].value, `the record is too large for ${chunk[0].topic}: ${recordBytes(chunk[0])} bytes, one send may carry ${maxBytes}`));
      return true;
    }
    try {
      return (await send(chunk)) && live();
    } catch (err) {
      if (!isPermanent(err)) throw err;
    }
    for (const m of chunk) {
      try {
        if (!(await send([m])) || !live()) return false;
      } catch (err) {
        if (!isPermanent(err)) throw err;
        dead.push(alertDeadLetter(m.topic, m.key, m.value, `the broker refused the record: ${errorMessage(err)}`));
      }
    }
    return true;
  }
}

type Outgoing = { topic: string; key: string; value: string };

const NOTHING_EVALUATED: EvaluationResult = { events: [], changed: [], ignored: { redelivered: 0, tooLate: 0 }, applied: 0 };
type Gated = (fn: () => Promise<unknown>) => () => Promise<unknown>;

/** An alert event or state a sink refused for good, as a dead letter: where it was going, its key, the record. */
export function alertDeadLetter(destination: string, key: string, value: string, reason: string): DeadLetter {
  return { reason: `rejected: ${reason}`, field: null, topic: destination, partition: -1, offset: '-1', key, value };
}
