// The Kafka publisher: the one SampleSink every input feeds. Records wait in a bounded in-memory
// queue and leave in batches, in order, key = device id. While Kafka is unreachable the queue holds
// them and the send is retried with backoff; when the queue is full a new record is dropped (never one
// already handed to Kafka: dropping from the head under an in-flight batch would lose records silently),
// counted and logged (rate limited). Publishing never throws into an input. A batch is also capped in
// bytes (maxBatchBytes, under the broker's default 1 MB message.max.bytes): a 48-interface sample is
// ~14 KB, so 500 of them (a backlog after an outage) would be refused as too large, forever. A single
// record bigger than the cap is dropped and counted rather than blocking the queue.
import { batchEnd, KAFKA_MAX_BATCH_BYTES } from '../../common/batching.js';
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
  maxBatch: number;
  /** How long a record may wait for more to batch with. */
  lingerMs: number;
  /** Bytes (keys + values) per send, at most; a record alone above it is dropped. */
  maxBatchBytes: number;
}

export interface KafkaPublisher extends Component, SampleSink {
  queueDepth(): number;
  /** Resolves once everything queued so far has been sent (or stop() was called). */
  flush(): Promise<void>;
}

export function createKafkaPublisher(
  log: Logger,
  kafkaConfig: NetmonConfig['kafka'],
  deps: { kafka: Kafka; registry: Registry },
  opts: Partial<PublisherOptions> = {},
): KafkaPublisher {
  const o: PublisherOptions = { topic: kafkaConfig.topics.samples, maxQueue: 100_000, maxBatch: 500, lingerMs: 20, maxBatchBytes: KAFKA_MAX_BATCH_BYTES, ...opts };
  const limited = createRateLimitedLog(log, 30_000);
  const published = new Counter({ name: 'netmon_collector_records_published_total', help: 'Records sent to Kafka', registers: [deps.registry] });
  const dropped = new Counter({ name: 'netmon_collector_records_dropped_total', help: 'Records dropped because the publish queue was full', registers: [deps.registry] });
  const tooLarge = new Counter({ name: 'netmon_collector_records_too_large_total', help: 'Records dropped because alone they exceed the batch byte limit', registers: [deps.registry] });
  const sendErrors = new Counter({ name: 'netmon_collector_publish_errors_total', help: 'Failed Kafka sends (retried)', registers: [deps.registry] });
  new Gauge({ name: 'netmon_collector_queue_depth', help: 'Records waiting to be published', registers: [deps.registry], collect() { this.set(queue.length - head); } });

  let queue: SampleRecordOut[] = [];
  let head = 0;
  let producer: Producer | null = null;
  let running = false;
  let wake: (() => void) | null = null;
  let loop: Promise<void> | null = null;
  const flushWaiters: Array<() => void> = [];

  const depth = () => queue.length - head;
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
      const size = (r: SampleRecordOut) => r.key.length + (r.value?.length ?? 0);
      while (depth() > 0 && size(queue[head]) > o.maxBatchBytes) {
        const r = queue[head++];
        tooLarge.inc();
        limited('too-large', 'error', { key: r.key, topic: r.topic ?? o.topic, bytes: size(r), maxBatchBytes: o.maxBatchBytes }, 'record larger than the batch byte limit dropped');
      }
      if (depth() === 0) continue;
      const batch = queue.slice(head, batchEnd(queue, head, size, { maxBytes: o.maxBatchBytes, maxCount: o.maxBatch }));
      try {
        const byTopic = new Map<string, Array<{ key: string; value: string | null }>>();
        for (const r of batch) {
          const topic = r.topic ?? o.topic;
          let list = byTopic.get(topic);
          if (!list) byTopic.set(topic, (list = []));
          list.push({ key: r.key, value: r.value });
        }
        await producer!.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        head += batch.length;
        if (head > 10_000 && head * 2 > queue.length) {
          queue = queue.slice(head);
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
      if (depth() >= o.maxQueue) {
        dropped.inc();
        limited('drop', 'warn', { maxQueue: o.maxQueue }, 'publish queue full; dropping new records until Kafka takes them again');
        return;
      }
      queue.push(record);
      if (depth() >= o.maxBatch) wake?.();
    },
    queueDepth: depth,
    flush() {
      if (depth() === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        flushWaiters.push(resolve);
        wake?.();
      });
    },
  };
}
