// The notifier component: consumes netmon.alerts in its own consumer group and delivers each event
// that should be notified (see common/alerts/actions.ts: not pending/cancelled, not silenced, a
// repeat not acknowledged) to the rule's channels. Each delivery is retried with exponential backoff up to alerts.maxAttempts,
// then recorded as failed (InfluxDB alert_delivery, metric netmon_alerts_notifications_total{status="failed"});
// an event's offset is committed only after the outcome of every one of its deliveries is recorded,
// so a notifier that stops mid-retry delivers after its restart, and nothing is dropped silently.
// Duplicates (replayed events, a restart) are dropped by (event id, channel) against the recorded outcomes.
// Recording an outcome is retried while InfluxDB is away (health shows it down); one InfluxDB refuses
// for good (a 4xx, common/retry.ts isPermanent) cannot block the topic: it is logged with the outcome,
// counted (netmon_alerts_delivery_records_refused_total) and the event's offset committed.
// A delivery error is logged and recorded only after every channel secret is redacted from it.
import { createKafka, prepareTopics, restartOnFinalCrash, type Consumer } from '../../common/bus/kafka.js';
import type { Clock } from '../../common/clock.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { decodeAlertEvent, type AlertEvent } from '../../common/contracts/alert-event.js';
import { errorMessage } from '../../common/errors.js';
import type { Component, FailureSink } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { isPermanent, retryWhileRunning } from '../../common/retry.js';
import { healthOf } from '../../common/health.js';
import { Counter, type Registry } from '../../common/metrics.js';
import { notificationDecision } from '../../common/alerts/actions.js';
import { deliveryRedactor } from '../../common/alerts/channel-secrets.js';
import type { ActionsView } from '../../common/alerts/actions-view.js';
import type { AlertHistoryStore, DeliveryRecord } from '../../common/store/alert-history.js';
import { deliver as realDeliver, type Notification } from './channels.js';

export interface Notifier extends Component {
  /** Resolves when the consumer has joined its group. */
  ready(): Promise<void>;
}

export interface NotifierDeps {
  registry: Registry;
  clock: Clock;
  history: AlertHistoryStore;
  actions: ActionsView;
  /** How long recorded outcomes are looked back on at start, for dedup (default 7 days). */
  dedupLookbackMs?: number;
  /** Where a failure while running goes (the supervisor restarts the notifier). */
  failures?: FailureSink;
}

/** The wait before retry `attempt` (1-based: the wait after the first failure is initial). */
export function backoffMs(attempt: number, initial: number, max: number): number {
  return Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
}

/**
 * Records a delivery outcome through `persist` (retrying while the store is away): true once recorded
 * or refused for good (then `refused` is told, and the notifier goes on), false when it stopped first.
 */
export async function recordOutcome(persist: () => Promise<boolean>, refused: (err: unknown) => void): Promise<boolean> {
  try {
    return await persist();
  } catch (err) {
    if (!isPermanent(err)) throw err;
    refused(err);
    return true;
  }
}

export function createNotifier(log: Logger, config: Pick<NetmonConfig, 'kafka' | 'alerts'>, deps: NotifierDeps): Notifier {
  const nlog = log.child({ component: 'notifier' });
  const limited = createRateLimitedLog(nlog, 30_000);
  const reg = [deps.registry];
  const notifications = new Counter({ name: 'netmon_alerts_notifications_total', help: 'Notifications by outcome: delivered, or failed after the retry limit', labelNames: ['channel', 'status'], registers: reg });
  const attemptsTotal = new Counter({ name: 'netmon_alerts_delivery_attempts_total', help: 'Delivery attempts by result', labelNames: ['channel', 'result'], registers: reg });
  const suppressed = new Counter({ name: 'netmon_alerts_notifications_suppressed_total', help: 'Events not notified: pending/cancelled, acknowledged repeats, silenced, duplicates', labelNames: ['reason'], registers: reg });
  const recordsRefused = new Counter({ name: 'netmon_alerts_delivery_records_refused_total', help: 'Delivery outcomes InfluxDB refused for good (logged, not recorded; the event is not delivered again)', registers: reg });
  const badEvents = new Counter({ name: 'netmon_alerts_bad_events_total', help: 'Alert-topic records that failed decoding (skipped, logged)', registers: reg });
  const a = config.alerts;
  const redact = deliveryRedactor(a.channels);
  const kafka = createKafka(nlog, config.kafka, 'notifier');
  let consumer: Consumer | null = null;
  let running = false;
  // (event id|channel) -> when it was recorded; entries older than the lookback are dropped (bounded).
  const recorded = new Map<string, number>();
  const lookbackMs = deps.dedupLookbackMs ?? 7 * 86_400_000;
  let lastPrune = 0;
  const remember = (key: string) => {
    const now = deps.clock.now();
    recorded.set(key, now);
    if (now - lastPrune > 3_600_000) {
      lastPrune = now;
      for (const [k, at] of recorded) if (at < now - lookbackMs) recorded.delete(k);
    }
  };
  let joined!: () => void;
  const joinedP = new Promise<void>((r) => (joined = r));
  const stopWaiters = new Set<() => void>();
  /** A wait that stop() cuts short. */
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(t);
      stopWaiters.delete(wake);
      resolve();
    };
    const t = setTimeout(wake, ms);
    stopWaiters.add(wake);
  });

  /** Retries `fn` (storage writes) until it succeeds or the notifier stops. */
  const health = healthOf(deps.registry, deps.clock);
  const persist = (what: string, fn: () => Promise<void>) =>
    retryWhileRunning(what, fn, { isRunning: () => running, log: limited, sleep, rethrowPermanent: true, health: { tracker: health, dependency: 'influxdb' } });

  const record = (outcome: DeliveryRecord) => recordOutcome(() => persist('delivery record write', () => deps.history.writeDeliveries([outcome])), (err) => {
    recordsRefused.inc();
    limited('record-refused', 'error', { outcome, err: redact(errorMessage(err)) }, 'delivery outcome refused by InfluxDB; logged here instead');
  });

  /** One delivery with its retries; null when the notifier stopped before an outcome. */
  async function deliverWithRetries(n: Notification): Promise<DeliveryRecord | null> {
    const ch = a.channels[n.channel];
    const base = { eventId: n.event.id ?? '', ruleId: n.event.ruleId, deviceId: n.event.deviceId, channel: n.channel };
    if (!ch) {
      return { ...base, status: 'failed', attempts: 0, error: `unknown channel "${n.channel}"; defined: ${Object.keys(a.channels).join(', ') || '(none)'}`, at: deps.clock.now() };
    }
    let lastError = '';
    for (let attempt = 1; attempt <= a.maxAttempts; attempt++) {
      if (!running) return null;
      try {
        await realDeliver(n, ch);
        attemptsTotal.inc({ channel: n.channel, result: 'ok' });
        return { ...base, status: 'delivered', attempts: attempt, error: null, at: deps.clock.now() };
      } catch (err) {
        lastError = redact(errorMessage(err));
        attemptsTotal.inc({ channel: n.channel, result: 'error' });
        limited(`deliver:${n.channel}`, 'warn', { channel: n.channel, id: n.event.id, attempt, err: lastError }, 'delivery failed');
        if (attempt < a.maxAttempts) await sleep(backoffMs(attempt, a.initialBackoffMs, a.maxBackoffMs));
      }
    }
    if (!running) return null;
    return { ...base, status: 'failed', attempts: a.maxAttempts, error: lastError.slice(0, 1024), at: deps.clock.now() };
  }

  /** Handles one event; false when the notifier stopped before all outcomes were recorded. */
  async function handle(e: AlertEvent): Promise<boolean> {
    const decision = notificationDecision(e, deps.actions.actions, deps.clock.now());
    if (!decision.notify) {
      suppressed.inc({ reason: decision.reason });
      return true;
    }
    // The channels of one event are delivered in parallel: one that is down does not hold up the others.
    const results = await Promise.all((e.channels ?? []).map(async (channel) => {
      const key = `${e.id ?? ''}|${channel}`;
      if (recorded.has(key)) {
        suppressed.inc({ reason: 'duplicate' });
        return true;
      }
      const outcome = await deliverWithRetries({ channel, event: e });
      if (!outcome) return false;
      if (!(await record(outcome))) return false;
      remember(key);
      notifications.inc({ channel, status: outcome.status });
      if (outcome.status === 'failed') nlog.error({ channel, id: e.id, attempts: outcome.attempts, err: outcome.error }, 'notification failed after the retry limit');
      else nlog.info({ channel, id: e.id, attempts: outcome.attempts }, 'notification delivered');
      return true;
    }));
    if (results.includes(false)) return false;
    return true;
  }

  return {
    name: 'notifier',
    async start() {
      await prepareTopics(kafka, config.kafka);
      await deps.history.ensureDatabase();
      for (const k of await deps.history.recordedDeliveries(deps.clock.now() - lookbackMs)) recorded.set(k, deps.clock.now());
      running = true;
      consumer = kafka.consumer({ groupId: a.notifierGroupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 1000 });
      consumer.on(consumer.events.GROUP_JOIN, () => joined());
      restartOnFinalCrash(consumer, 'notifier', { log: nlog, limited, failures: deps.failures });
      await consumer.connect();
      await consumer.subscribe({ topic: config.kafka.topics.alerts, fromBeginning: true });
      const c = consumer;
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          for (const m of batch.messages) {
            if (!running || !payload.isRunning() || payload.isStale()) return;
            let ev: AlertEvent | null = null;
            try {
              ev = decodeAlertEvent(m.value);
            } catch (err) {
              badEvents.inc();
              limited('decode', 'warn', { offset: m.offset, err: errorMessage(err) }, 'bad alert event skipped');
            }
            if (ev && !(await handle(ev))) return;
            payload.resolveOffset(m.offset);
            await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(m.offset) + 1n).toString() }]);
            await payload.heartbeat();
          }
        },
      });
    },
    async stop() {
      running = false;
      for (const w of stopWaiters) w();
      stopWaiters.clear();
      await consumer?.disconnect();
      consumer = null;
    },
    ready: () => joinedP,
  };
}
