// The processor component: a kafkajs consumer-group member that decodes sample records, feeds the
// pure window engine, and hands emitted windows to the sinks before committing offsets. Records that
// fail decoding go to the dead-letter topic with the reason; the pipeline never stops for them.
// Batches and the idle tick run one at a time (the engine is single-threaded state).
import type { Clock } from '../../common/clock.js';
import { createKafka, defaultPartitioner, prepareTopics, type Consumer, type KafkaMessage, type Producer } from '../../common/bus/kafka.js';
import { decodeSampleRecord } from '../../common/contracts/index.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { DecodeError, errorMessage } from '../../common/errors.js';
import { outOfOrdernessMs, type NetmonConfig } from '../../common/config/schema.js';
import type { Component } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import type { WindowStore } from '../../common/store/influx.js';
import { createWindowEngine, type EngineOutput } from '../core/index.js';
import { createWindowSink } from './window-sink.js';
import type { AlertStage } from '../alerts/alert-stage.js';

export interface Processor extends Component {
  /** Resolves when the consumer has joined its group (partitions assigned). */
  ready(): Promise<void>;
}

export interface DeadLetter {
  reason: string;
  field: string | null;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

type RecordRef = Omit<DeadLetter, 'reason' | 'field'>;

/** Where a record came from, with its bytes (cut at 64 KiB), for a dead letter. */
function refOf(topic: string, partition: number, m: KafkaMessage): RecordRef {
  return { topic, partition, offset: m.offset, key: m.key?.toString('utf8') ?? null, value: m.value?.toString('utf8').slice(0, 65536) ?? null };
}

export function createProcessor(log: Logger, config: NetmonConfig, deps: { registry: Registry; clock: Clock; store: WindowStore; alerts?: AlertStage }): Processor {
  const plog = log;
  const limited = createRateLimitedLog(plog, 30_000);
  const reg = [deps.registry];
  const records = new Counter({ name: 'netmon_processor_records_total', help: 'Records consumed from the samples topic', registers: reg });
  const deadLetters = new Counter({ name: 'netmon_processor_dead_letters_total', help: 'Records sent to the dead-letter topic', labelNames: ['reason'], registers: reg });
  const windowsEmitted = new Counter({ name: 'netmon_processor_windows_emitted_total', help: 'Window results emitted', labelNames: ['kind'], registers: reg });
  const revisions = new Counter({ name: 'netmon_processor_window_revisions_total', help: 'Window results re-emitted as a new revision', registers: reg });
  const events = new Counter({ name: 'netmon_processor_events_total', help: 'Counter events: resets (discontinuities), gaps, implausible rates, out-of-order and late data', labelNames: ['kind'], registers: reg });

  const topics = config.kafka.topics;
  const windowMs = config.processor.windowSeconds * 1000;
  const pollMs = config.collector.pollIntervalSeconds * 1000;
  const engine = createWindowEngine({
    windowMs,
    outOfOrdernessMs: outOfOrdernessMs(config),
    allowedLatenessMs: 5 * 60_000,
    maxGapMs: Math.round(config.processor.maxGapPolls * pollMs),
    maxRateFactor: config.processor.maxRateFactor,
    idleTimeoutMs: Math.max(2 * pollMs, 10_000),
  });

  const kafka = createKafka(plog, config.kafka, 'processor');
  let consumer: Consumer | null = null;
  let producer: Producer | null = null;
  let running = false;
  let tickTimer: NodeJS.Timeout | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let joined!: () => void;
  const joinedP = new Promise<void>((r) => (joined = r));
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const isRunning = () => running;

  /** Counts what the engine emitted; late data is dead-lettered with the record it came from. */
  function account(out: EngineOutput, into: WindowResultInput[], dead: DeadLetter[] | null, source?: () => RecordRef): void {
    for (const w of out.windows) {
      windowsEmitted.inc({ kind: w.ifIndex === null ? 'device' : 'interface' });
      if (w.revision > 0) revisions.inc();
      into.push(w);
    }
    for (const e of out.events) {
      events.inc({ kind: e.kind });
      if (e.kind === 'reset' || e.kind === 'implausible' || e.kind === 'gap') {
        limited(`${e.kind}:${e.deviceId}`, 'info', { device: e.deviceId, ifIndex: e.ifIndex, reason: e.reason }, `counter ${e.kind}`);
      }
      if (e.kind === 'late' && dead && source) {
        dead.push({ ...source(), reason: `late: ${e.reason ?? 'window already closed'} (interface ${e.ifIndex}, event time ${new Date(e.ts).toISOString()})`, field: null });
      }
    }
  }

  async function publishDeadLetters(dead: DeadLetter[]): Promise<void> {
    if (dead.length === 0 || !producer) return;
    for (const d of dead) deadLetters.inc({ reason: d.reason.split(':')[0] ?? 'invalid' });
    await producer.send({ topic: topics.deadletter, messages: dead.map((d) => ({ key: d.key, value: JSON.stringify(d) })) });
  }

  const sink = () => createWindowSink(plog, { store: deps.store, producer: producer!, topic: topics.windows });

  return {
    name: 'processor',
    async start() {
      await deps.store.ensureDatabase();
      await prepareTopics(kafka, config.kafka);
      producer = kafka.producer({ createPartitioner: defaultPartitioner, allowAutoTopicCreation: false });
      await producer.connect();
      // alerts (issue 6): load the persisted alert states before the first batch.
      await deps.alerts?.start(kafka);
      consumer = kafka.consumer({ groupId: config.processor.groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
      consumer.on(consumer.events.GROUP_JOIN, () => joined());
      // alerts (issue 6): after a (re)assignment, reload the alert states (queued before the next batch).
      const alerts = deps.alerts;
      if (alerts) consumer.on(consumer.events.GROUP_JOIN, () => void serial(() => alerts.reload()).catch((err: unknown) => limited('alert-reload', 'error', { err: errorMessage(err) }, 'alert state reload failed')));
      consumer.on(consumer.events.CRASH, (e) => limited('crash', 'error', { err: errorMessage(e.payload.error) }, 'consumer crashed; kafkajs restarts it'));
      await consumer.connect();
      await consumer.subscribe({ topic: topics.samples, fromBeginning: true });
      running = true;
      const windowSink = sink();
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) =>
          serial(async () => {
            const { batch } = payload;
            const out: WindowResultInput[] = [];
            const dead: DeadLetter[] = [];
            for (const m of batch.messages) {
              records.inc();
              let rec;
              try {
                rec = decodeSampleRecord(m.value);
              } catch (err) {
                const field = err instanceof DecodeError ? err.field : null;
                dead.push({ ...refOf(batch.topic, batch.partition, m), reason: `invalid: ${errorMessage(err)}`, field });
                limited('decode', 'warn', { partition: batch.partition, offset: m.offset, err: errorMessage(err) }, 'bad record dead-lettered');
                continue;
              }
              deps.alerts?.observe(rec); // alerts (issue 6): oper status for the oper_down metric
              account(engine.ingest(rec, batch.partition, deps.clock.now()), out, dead, () => refOf(batch.topic, batch.partition, m));
            }
            if (!(await windowSink.write(out, isRunning))) return;
            // alerts (issue 6): evaluate the written windows; events and states are stored before the commit.
            if (deps.alerts && !(await deps.alerts.handle(out, isRunning))) return;
            await publishDeadLetters(dead);
            const last = batch.messages[batch.messages.length - 1];
            if (last) {
              payload.resolveOffset(last.offset);
              await consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
            }
            await payload.heartbeat();
          }),
      });
      tickTimer = setInterval(() => {
        void serial(async () => {
          const out: WindowResultInput[] = [];
          account(engine.tick(deps.clock.now()), out, null);
          // alerts (issue 6): the idle tick's windows are evaluated too.
          if ((await windowSink.write(out, isRunning)) && deps.alerts) await deps.alerts.handle(out, isRunning);
        });
      }, 1000);
    },
    async stop() {
      running = false;
      if (tickTimer) clearInterval(tickTimer);
      await consumer?.disconnect();
      await chain;
      await producer?.disconnect();
      await deps.alerts?.stop(); // alerts (issue 6)
      consumer = null;
      producer = null;
    },
    ready: () => joinedP,
  };
}
