// The Kafka publisher: the one SampleSink every input feeds. Records wait in a bounded in-memory
// queue and leave in batches, in order, key = device id. While Kafka is unreachable the queue holds
// them and the send is retried with backoff. The queue is bounded twice, in records (maxQueue) and in
// UTF-8 bytes of keys and values (maxQueueBytes: a 48-interface sample is ~14 KB, so a count alone
// lets an outage hold gigabytes); when either is reached a new record is dropped (never one already
// handed to Kafka: dropping from the head under an in-flight batch would lose records silently),
// counted and logged (rate limited). Publishing never throws into an input. A batch is also capped in
// UTF-8 bytes (with the record framing), under the broker's real limit for the topics it writes to
// (read once at start, common/bus/message-limit.ts; Kafka's default until then), because the broker
// refuses a larger one forever; a record alone above that cap is refused (at publish, or when the
// limit read at start turns out lower, at the head of the queue) with the named error
// NETMON_ERR_RECORD_TOO_LARGE, counted (reason too-large), so nothing larger is ever sent.
import { batchEnd, recordBytes } from '../../common/batching.js';
import { DEFAULT_SEND_BOUND, readMessageLimitsOf, sendBoundOf } from '../../common/bus/message-limit.js';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import type { Kafka, Producer } from '../../common/bus/kafka.js';
import { defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import type { Component } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, Gauge, type Registry } from '../../common/metrics.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import type { SampleRecordOut, SampleSink } from '../inputs/input.js';

export interface PublisherOptions {
  topic: string;
  maxQueue: number;
  /** UTF-8 bytes of the queued keys and values, at most. */
  maxQueueBytes: number;
  maxBatch: number;
  /** How long a record may wait for more to batch with. */
  lingerMs: number;
  /** UTF-8 bytes (keys + values + record framing) per send, at most (lowered at start to the broker's limit); a record alone above it is refused. */
  maxBatchBytes: number;
}

export interface KafkaPublisher extends Component, SampleSink {
  queueDepth(): number;
  /** UTF-8 bytes of the records waiting. */
  queueBytes(): number;
  /** Resolves once everything queued so far has been sent (or stop() was called). */
  flush(): Promise<void>;
}

export function createKafkaPublisher(
  log: Logger,
  kafkaConfig: NetmonConfig['kafka'],
  deps: { kafka: Kafka; registry: Registry },
  opts: Partial<PublisherOptions> = {},
): KafkaPublisher {
  const o: PublisherOptions = { topic: kafkaConfig.topics.samples, maxQueue: 100_000, maxQueueBytes: 64 * 1024 * 1024, maxBatch: 500, lingerMs: 20, maxBatchBytes: DEFAULT_SEND_BOUND, ...opts };
  const limited = createRateLimitedLog(log, 30_000);
  const published = new Counter({ name: 'netmon_collector_records_published_total', help: 'Records sent to Kafka', registers: [deps.registry] });
  const dropped = new Counter({ name: 'netmon_collector_records_dropped_total', help: 'Records dropped because the publish queue was full (in records or in bytes)', registers: [deps.registry] });
  const tooLarge = new Counter({ name: 'netmon_collector_records_too_large_total', help: "Records refused because alone they exceed the broker's send limit (never sent)", registers: [deps.registry] });
  const sendErrors = new Counter({ name: 'netmon_collector_publish_errors_total', help: 'Failed Kafka sends (retried)', registers: [deps.registry] });
  new Gauge({ name: 'netmon_collector_queue_depth', help: 'Records waiting to be published', registers: [deps.registry], collect() { this.set(queue.length - head); } });
  new Gauge({ name: 'netmon_collector_queue_bytes', help: 'UTF-8 bytes of the records waiting to be published', registers: [deps.registry], collect() { this.set(bytes); } });

  let queue: SampleRecordOut[] = [];
  /** sizes[i]: the UTF-8 size of queue[i], measured once at publish. */
  let sizes: number[] = [];
  let head = 0;
  let bytes = 0;
  let producer: Producer | null = null;
  let running = false;
  let wake: (() => void) | null = null;
  let loop: Promise<void> | null = null;
  const flushWaiters: Array<() => void> = [];

  const depth = () => queue.length - head;
  /** Counts and logs a record that can never be sent: alone it is above the send bound. */
  const refuseTooLarge = (record: SampleRecordOut, size: number) => {
    tooLarge.inc();
    const err = new NetmonError(ErrorCodes.RECORD_TOO_LARGE, `record of ${size} bytes is larger than the ${o.maxBatchBytes} bytes one send to Kafka may carry; it is never sent`);
    limited('too-large', 'error', { code: err.code, reason: 'too-large', key: record.key.slice(0, 256), topic: record.topic ?? o.topic, bytes: size, maxBatchBytes: o.maxBatchBytes }, err.message);
  };
  const sleep = (ms: number) => new Promise<void>((r) => {
    const t = setTimeout(() => { wake = null; r(); }, ms);
    wake = () => { clearTimeout(t); wake = null; r(); };
  });

  async function run(): Promise<void> {
    let backoff = 200;
    while (running) {
      if (depth() === 0) {
        for (const w of flushWaiters.splice(0)) w();
        await sleep(1000);
        continue;
      }
      if (depth() < o.maxBatch) await sleep(o.lingerMs);
      if (!running) break;
      const end = batchEnd(sizes, head, (n) => n, { maxBytes: o.maxBatchBytes, maxCount: o.maxBatch });
      if (sizes[head] > o.maxBatchBytes) {
        // Queued before start() read a lower limit: refused now, as it would have been at publish.
        refuseTooLarge(queue[head], sizes[head]);
        bytes -= sizes[head];
        head++;
        continue;
      }
      const batch = queue.slice(head, end);
      try {
        const byTopic = new Map<string, Array<{ key: string; value: string | null }>>();
        for (const r of batch) {
          const topic = r.topic ?? o.topic;
          let list = byTopic.get(topic);
          if (!list) byTopic.set(topic, (list = []));
          list.push({ key: r.key, value: r.value });
        }
        await producer!.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        for (let i = head; i < end; i++) bytes -= sizes[i];
        head = end;
        if (head > 10_000 && head * 2 > queue.length) {
          queue = queue.slice(head);
          sizes = sizes.slice(head);
          head = 0;
        }
        published.inc(batch.length);
        backoff = 200;
      } catch (err) {
        sendErrors.inc();
        limited('send', 'warn', { err: (err as Error).message, queued: depth(), retryInMs: backoff }, 'Kafka send failed; records stay queued');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  return {
    name: 'kafka-publisher',
    async start() {
      await prepareTopics(deps.kafka, kafkaConfig);
      // One send may go to any of these topics at once: the smallest limit bounds it.
      const written = [o.topic, kafkaConfig.topics.status, kafkaConfig.topics.collectorState];
      o.maxBatchBytes = Math.min(o.maxBatchBytes, sendBoundOf(await readMessageLimitsOf(deps.kafka, written, log), written));
      producer = deps.kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 5 } });
      await producer.connect();
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      for (const w of flushWaiters.splice(0)) w();
      if (depth() > 0) log.warn({ unsent: depth() }, 'stopping with unsent records');
      await producer?.disconnect();
      producer = null;
    },
    publish(record) {
      const size = recordBytes(record);
      if (size > o.maxBatchBytes) {
        refuseTooLarge(record, size);
        return;
      }
      if (depth() >= o.maxQueue || bytes + size > o.maxQueueBytes) {
        dropped.inc();
        const reason = depth() >= o.maxQueue ? 'queue-full' : 'queue-bytes-full';
        limited(`drop:${reason}`, 'warn', { reason, maxQueue: o.maxQueue, maxQueueBytes: o.maxQueueBytes, queued: depth(), queuedBytes: bytes }, 'publish queue full; dropping new records until Kafka takes them again');
        return;
      }
      queue.push(record);
      sizes.push(size);
      bytes += size;
      if (depth() >= o.maxBatch) wake?.();
    },
    queueDepth: depth,
    queueBytes: () => bytes,
    flush() {
      if (depth() === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        flushWaiters.push(resolve);
        wake?.();
      });
    },
  };
}
