// The processor's alert stage: after the window sink has written a batch's windows, the evaluator
// folds them into the alert states; the resulting events go to InfluxDB (alert history) and
// netmon.alerts, the changed states to the compacted netmon.alert-state topic, all before the
// processor commits the batch's offsets. On start and on every partition assignment the states are
// read back from that topic, so a restart or a rebalance continues where the last owner stopped:
// replayed windows (same revision) are ignored, and replayed events carry the same ids.
import type { Kafka, Producer } from '../../common/bus/kafka.js';
import { defaultPartitioner } from '../../common/bus/kafka.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { encodeAlertEvent } from '../../common/contracts/alert-event.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import type { AlertHistoryStore } from './alert-history.js';
import { readCompactedTopic } from './compacted-topic.js';
import { createAlertEvaluator, type AlertEvaluator, type ScopeState, type WindowExtras } from './evaluator.js';
import { createOperStatusTracker } from './oper-status.js';
import type { SampleRecord } from '../../common/contracts/index.js';

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
  /** Evaluates written windows; resolves true once events and states are stored, false if stopped first. */
  handle(windows: readonly WindowResultInput[], isRunning: () => boolean, extras?: WindowExtras): Promise<boolean>;
  stop(): Promise<void>;
}

export function createAlertStage(log: Logger, config: NetmonConfig, deps: { rules: readonly AlertRule[]; tagsOf: (deviceId: string) => readonly string[]; registry: Registry; history: AlertHistoryStore }): AlertStage {
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
  const newEvaluator = () => createAlertEvaluator({ rules: deps.rules, windowMs, tagsOf: deps.tagsOf, historySize });
  let evaluator: AlertEvaluator = newEvaluator();
  // Kept past the processor's allowed lateness (5 min), so revisions see their samples again.
  const oper = createOperStatusTracker({ windowMs, keepMs: 10 * 60_000 });
  const extras: WindowExtras = { operDown: (w) => (w.ifIndex === null ? null : oper.downFraction(w.deviceId, w.ifIndex, w.windowStart)), unreachable: () => null };
  const watchesOper = deps.rules.some((r) => r.metric === 'oper_down');
  let kafka: Kafka | null = null;
  let producer: Producer | null = null;

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

  async function retry(what: string, fn: () => Promise<unknown>, isRunning: () => boolean): Promise<boolean> {
    let backoff = 250;
    for (;;) {
      try {
        await fn();
        return true;
      } catch (err) {
        limited(what, 'warn', { err: (err as Error).message, retryInMs: backoff }, `${what} failed; retrying`);
        if (!isRunning()) return false;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  return {
    rules: deps.rules,
    async start(client) {
      kafka = client;
      if (deps.rules.length === 0) return;
      await deps.history.ensureDatabase();
      producer = client.producer({ createPartitioner: defaultPartitioner, allowAutoTopicCreation: false });
      await producer.connect();
      await load();
    },
    async reload() {
      if (deps.rules.length === 0) return;
      await load();
    },
    observe(rec) {
      if (watchesOper) oper.observe(rec);
    },
    async handle(windows, isRunning, given) {
      if (windows.length === 0 || deps.rules.length === 0 || !producer) return true;
      const r = evaluator.evaluate(windows, given ?? extras);
      if (r.ignored.redelivered) ignoredTotal.inc({ reason: 'redelivered' }, r.ignored.redelivered);
      if (r.ignored.tooLate) ignoredTotal.inc({ reason: 'too-late' }, r.ignored.tooLate);
      if (r.changed.length === 0) return true;
      const p = producer;
      if (r.events.length > 0 && !(await retry('alert history write', () => deps.history.writeEvents(r.events), isRunning))) return false;
      const ok = await retry('alert publish', () => p.sendBatch({
        acks: -1,
        topicMessages: [
          { topic: topics.alerts, messages: r.events.map((e) => ({ key: `${e.ruleId}|${e.deviceId}|${e.ifIndex ?? '-'}`, value: encodeAlertEvent(e) })) },
          { topic: topics.alertState, messages: r.changed.map((s) => ({ key: s.key, value: JSON.stringify(s) })) },
        ].filter((t) => t.messages.length > 0),
      }), isRunning);
      if (!ok) return false;
      stateWrites.inc(r.changed.length);
      evaluated.inc(r.applied);
      for (const e of r.events) {
        eventsTotal.inc({ transition: e.transition, severity: e.severity });
        alog.info({ id: e.id, transition: e.transition, rule: e.ruleId, device: e.deviceId, ifIndex: e.ifIndex, value: e.value }, e.message);
      }
      return true;
    },
    async stop() {
      await producer?.disconnect();
      producer = null;
    },
  };
}
