// The processor's alert stage: after the window sink has written a batch's windows, the evaluator
// folds them into the alert states; the resulting events go to InfluxDB (alert history) and
// netmon.alerts, the changed states to the compacted netmon.alert-state topic, all before the
// processor commits the batch's offsets. On start and on every partition assignment the states are
// read back from that topic, so a restart or a rebalance continues where the last owner stopped:
// replayed windows (same revision) are ignored, and replayed events carry the same ids.
// Fencing: the processor passes its write gate (processor/pipeline/fence.ts); each write asks it
// immediately before sending, and a refused one ends handle() with false (states in memory are then
// stale, and the next assignment reloads them from the topic).
import type { Kafka, Producer } from '../../common/bus/kafka.js';
import { defaultPartitioner } from '../../common/bus/kafka.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { encodeAlertEvent } from '../../common/contracts/alert-event.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { retryWhileRunning } from '../../common/retry.js';
import { batches, KAFKA_MAX_BATCH_BYTES, messageBytes } from '../../common/batching.js';
import { Counter, type Registry } from '../../common/metrics.js';
import type { AlertHistoryStore } from '../../common/store/alert-history.js';
import { readCompactedTopic } from '../../common/bus/compacted-topic.js';
import { createAlertEvaluator, type AlertEvaluator, type ScopeState, type WindowExtras } from './evaluator.js';
import { createOperStatusTracker } from './oper-status.js';
import { keptStates } from './rule-set.js';
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

export function createAlertStage(log: Logger, config: Pick<NetmonConfig, 'kafka' | 'processor'>, deps: { rules: readonly AlertRule[]; tagsOf: (deviceId: string) => readonly string[]; registry: Registry; history: AlertHistoryStore }): AlertStage {
  const alog = log.child({ stage: 'alerts' });
  const limited = createRateLimitedLog(alog, 30_000);
  // Shared by the stages of one process (the processor's and the reachability watcher's).
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    (deps.registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [deps.registry] });
  const eventsTotal = counter('netmon_alerts_events_total', 'Alert events emitted by the evaluator', ['transition', 'severity']);
  const ignoredTotal = counter('netmon_alerts_ignored_windows_total', 'Windows the evaluator ignored: re-delivered (same revision) or older than the kept history', ['reason']);
  const evaluated = counter('netmon_alerts_windows_evaluated_total', 'Windows applied to an alert rule (one per rule and window), counted once stored');
  const stateWrites = counter('netmon_alerts_state_writes_total', 'Alert states persisted to the state topic');
  const windowMs = config.processor.windowSeconds * 1000;
  const topics = config.kafka.topics;
  // Windows kept per alert for revisions: the processor's allowed lateness (5 min) plus two.
  const historySize = Math.max(4, Math.ceil(ALLOWED_LATENESS_MS / windowMs) + 2);
  let rules = deps.rules;
  const newEvaluator = () => createAlertEvaluator({ rules, windowMs, tagsOf: deps.tagsOf, historySize });
  let evaluator: AlertEvaluator = newEvaluator();
  // Kept past the processor's allowed lateness (5 min), so revisions see their samples again.
  const oper = createOperStatusTracker({ windowMs, keepMs: 10 * 60_000 });
  const extras: WindowExtras = { operDown: (w) => (w.ifIndex === null ? null : oper.downFraction(w.deviceId, w.ifIndex, w.windowStart)), unreachable: () => null };
  let watchesOper = rules.some((r) => r.metric === 'oper_down');
  let kafka: Kafka | null = null;
  let producer: Producer | null = null;
  /** handle and setRules run one at a time. */
  const serial = createSerial().run;
  /** Connects the producer and loads the states, once there are rules (at start, or when the first rule arrives). */
  async function ready(): Promise<void> {
    if (!kafka || producer || rules.length === 0) return;
    await deps.history.ensureDatabase();
    const p = kafka.producer({ createPartitioner: defaultPartitioner, allowAutoTopicCreation: false });
    await p.connect();
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

  const retry = (what: string, fn: () => Promise<unknown>, isRunning: () => boolean) => retryWhileRunning(what, fn, { isRunning, log: limited });

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
        rules = next;
        watchesOper = rules.some((r) => r.metric === 'oper_down');
        const fresh = newEvaluator();
        fresh.restore(kept);
        evaluator = fresh;
        alog.info({ rules: rules.map((r) => r.id), keptStates: kept.length, droppedStates: dropped.length }, 'alert rules changed');
        if (dropped.length > 0 && producer) {
          const p = producer;
          await retry('alert state removal', () => p.send({ acks: -1, topic: topics.alertState, messages: dropped.map((key) => ({ key, value: null })) }), () => kafka !== null);
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
    if (windows.length === 0 || rules.length === 0 || !producer) return true;
    const r = evaluator.evaluate(windows, given ?? extras);
    if (r.ignored.redelivered) ignoredTotal.inc({ reason: 'redelivered' }, r.ignored.redelivered);
    if (r.ignored.tooLate) ignoredTotal.inc({ reason: 'too-late' }, r.ignored.tooLate);
    if (r.changed.length === 0) return true;
    const p = producer;
    let fenced = false;
    const gated = (fn: () => Promise<unknown>) => (gate ? async () => void (fenced ||= !(await gate.write(fn))) : fn);
    if (r.events.length > 0 && (!(await retry('alert history write', gated(() => deps.history.writeEvents(r.events)), isRunning)) || fenced)) return false;
    // Events, then states, in sends under the broker's batch limit (2,000 windows' states are ~2 MB).
    const out = [
      ...r.events.map((e) => ({ topic: topics.alerts, key: `${e.ruleId}|${e.deviceId}|${e.ifIndex ?? '-'}`, value: encodeAlertEvent(e) })),
      ...r.changed.map((st) => ({ topic: topics.alertState, key: st.key, value: JSON.stringify(st) })),
    ];
    for (const chunk of batches(out, messageBytes, { maxBytes: KAFKA_MAX_BATCH_BYTES })) {
      const topicMessages = [topics.alerts, topics.alertState]
        .map((topic) => ({ topic, messages: chunk.filter((m) => m.topic === topic).map(({ key, value }) => ({ key, value })) }))
        .filter((t) => t.messages.length > 0);
      if (!(await retry('alert publish', gated(() => p.sendBatch({ acks: -1, topicMessages })), isRunning)) || fenced) return false;
    }
    stateWrites.inc(r.changed.length);
    evaluated.inc(r.applied);
    for (const e of r.events) {
      eventsTotal.inc({ transition: e.transition, severity: e.severity });
      alog.info({ id: e.id, transition: e.transition, rule: e.ruleId, device: e.deviceId, ifIndex: e.ifIndex, value: e.value }, e.message);
    }
    return true;
  }
}
