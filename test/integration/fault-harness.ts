// The fault suite's harness: one run per fault on its own topics, consumer group and database;
// records produced in order at their due times (live, or faster than real time); processors as
// child processes (fault-procs.ts); the verdict in fault-verdict.ts. The expected output is the pure window engine
// run over the records the samples topic really holds (read back, partition by partition in offset
// order), minus the records the fault marks as rejected: independent of the pipeline under test
// (Kafka consumer, write-behind, commits, sinks, restarts) and exact, since what the processor
// writes must equal the engine's output over the same records. What InfluxDB and netmon.windows
// hold is compared with it field for field (the latest revision per window, revision included),
// and every rejected record must be in netmon.deadletter with a reason.
// Rules: bounded waits only; what a run starts, its `close()` stops.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, defaultPartitioner, prepareTopics, type Admin, type Consumer, type Kafka, type Producer } from '../../common/bus/kafka.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { decodeSampleRecord, type WindowResultInput } from '../../common/contracts/index.js';
import { silentLogger } from '../../common/log.js';
import { createInfluxClient, MEASUREMENT_DEVICE, MEASUREMENT_INTERFACE, rowToWindow } from '../../common/store/influx.js';
import { createWindowEngine } from '../../processor/core/index.js';
import { engineOptions } from '../../processor/pipeline/processor.js';
import { startMember, type Member } from './fault-procs.js';
import { PARTITIONS, sendOrder, type StreamRecord } from './fault-stream.js';
import { asPublished, asStored, clean, compare, jsonBig, keyOf, type Expected, type Outcome, type Read } from './fault-verdict.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

/** The suite's scale: 20 s windows, 5 s polls (so 10 s out-of-orderness and idle timeout), 30 s allowed lateness. */
export const WINDOW_S = 20;
export const POLL_MS = 5_000;
export const LATENESS_S = 30;
export const SESSION_S = 6;
/** A Kafka send stays under the broker's 1 MB limit. */
const SEND_BYTES = 900_000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fingerprint = (key: string | Buffer | null, value: string | Buffer | null) => createHash('sha256').update(key ?? '').update('\0').update(value ?? '').digest('hex');

/** Reads a topic from the beginning into memory, and says when it has read up to the topic's current end. */
class TopicReader {
  readonly messages: Read[] = [];
  private readonly next = new Map<number, number>();
  private constructor(private readonly consumer: Consumer, private readonly admin: Admin, private readonly topic: string) {}

  static async open(kafka: Kafka, admin: Admin, topic: string): Promise<TopicReader> {
    const consumer = kafka.consumer({ groupId: uniqueId('faults-reader'), maxBytesPerPartition: 16 << 20, maxBytes: 64 << 20 });
    const r = new TopicReader(consumer, admin, topic);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    void consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        for (const m of batch.messages) r.messages.push({ partition: batch.partition, offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value });
        const last = batch.messages[batch.messages.length - 1];
        if (last) r.next.set(batch.partition, Number(last.offset) + 1);
        return Promise.resolve();
      },
    });
    return r;
  }

  /** Waits until everything the topic holds now has been read. */
  async caughtUp(timeoutMs = 60_000): Promise<Read[]> {
    // Right after a broker restart a partition may still be electing its leader: waitFor asks again.
    const ends = await waitFor(`the end offsets of ${this.topic}`, () => this.admin.fetchTopicOffsets(this.topic), timeoutMs, 500);
    await waitFor(`${this.topic} to be read to its end`, () => ends.every((e) => Number(e.high) === 0 || (this.next.get(e.partition) ?? 0) >= Number(e.high)), timeoutMs, 100);
    return this.messages;
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}

export interface Pacing {
  /** Event time of the stream's start. */
  t0: number;
  /** Event-time milliseconds per real millisecond (1 = live). */
  speed: number;
}

/** One fault's run: topics, database and group of its own, the producer, the processors. */
export class FaultRun {
  readonly config: NetmonConfig;
  readonly dir = mkdtempSync(join(tmpdir(), 'netmon-faults-'));
  readonly members: Member[] = [];
  private readonly kafka: Kafka;
  private admin: Admin | null = null;
  private producer: Producer | null = null;
  private readers: TopicReader[] = [];
  private sent: StreamRecord[] = [];
  private startReal = 0;
  private pacing: Pacing = { t0: 0, speed: 1 };

  constructor(readonly name: string) {
    this.config = testConfig(uniqueId(`faults_${name}`), {
      kafka: { samplesPartitions: PARTITIONS },
      collector: { pollIntervalSeconds: POLL_MS / 1000 },
      processor: { windowSeconds: WINDOW_S, allowedLatenessSeconds: LATENESS_S, sessionTimeoutSeconds: SESSION_S },
    });
    this.kafka = createKafka(silentLogger, this.config.kafka, 'faults');
  }

  async open(): Promise<void> {
    await prepareTopics(this.kafka, this.config.kafka);
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.producer = this.kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  /** A processor member with the suite's scaled-down settings (the CLI in a child process). */
  async member(name: string): Promise<Member> {
    const c = this.config;
    const m = await startMember(this.dir, `${this.name}-${name}`, {
      log: { level: c.log.level },
      kafka: { brokers: c.kafka.brokers, samplesPartitions: PARTITIONS, topics: c.kafka.topics },
      influx: { url: c.influx.url, database: c.influx.database },
      collector: { pollIntervalSeconds: POLL_MS / 1000 },
      processor: { groupId: c.processor.groupId, windowSeconds: WINDOW_S, allowedLatenessSeconds: LATENESS_S, sessionTimeoutSeconds: SESSION_S },
    });
    this.members.push(m);
    return m;
  }

  /** Event time the stream's clock shows now. */
  streamTime(): number {
    return this.pacing.t0 + (Date.now() - this.startReal) * this.pacing.speed;
  }

  /** Waits until the stream's clock reaches event time `at` (the scenario's timeline). */
  async until(at: number): Promise<void> {
    const ms = (at - this.streamTime()) / this.pacing.speed;
    if (ms > 0) await sleep(ms);
  }

  /**
   * Sends the records in order, each when its due time comes (what is due together goes in one
   * send under 1 MB). A send that fails (the broker is down) is retried until it goes through, up to
   * 3 minutes, the way a collector's queue waits out an outage. Resolves when all are sent.
   */
  async stream(records: StreamRecord[], pacing: Pacing): Promise<void> {
    this.pacing = pacing;
    this.startReal = pacing.speed === 1 ? pacing.t0 : Date.now();
    const queue = sendOrder(records);
    let i = 0;
    while (i < queue.length) {
      await this.until(queue[i].at);
      const due = this.streamTime();
      const chunk: StreamRecord[] = [];
      let bytes = 0;
      while (i < queue.length && queue[i].at <= due && (chunk.length === 0 || bytes + queue[i].key.length + queue[i].value.length < SEND_BYTES)) {
        bytes += queue[i].key.length + queue[i].value.length;
        chunk.push(queue[i++]);
      }
      await this.sendRetrying(chunk);
      this.sent.push(...chunk);
    }
  }

  private async sendRetrying(chunk: StreamRecord[]): Promise<void> {
    const deadline = Date.now() + 180_000;
    const messages = chunk.map((r) => ({ partition: r.partition, key: r.key, value: r.value }));
    for (;;) {
      try {
        await this.producer!.send({ topic: this.config.kafka.topics.samples, acks: -1, messages });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`could not send ${chunk[0].label} for 3 minutes: ${(err as Error).message}`);
        await sleep(500);
      }
    }
  }

  private async reader(topic: string): Promise<TopicReader> {
    const r = await TopicReader.open(this.kafka, this.admin!, topic);
    this.readers.push(r);
    return r;
  }

  /**
   * Waits (up to `timeoutMs`) until the stores hold exactly the reference and the dead letters are
   * all there, and returns what they hold then (also when they never got there).
   */
  async settle(timeoutMs: number): Promise<Outcome> {
    const topics = this.config.kafka.topics;
    const [samplesReader, windows, dead] = await Promise.all([this.reader(topics.samples), this.reader(topics.windows), this.reader(topics.deadletter)]);
    const samples = await samplesReader.caughtUp();
    const expected = this.reference(samples);
    let last: Outcome | null = null;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      last = compare(expected, samples.length, await this.storedWindows(), await windows.caughtUp(), await dead.caughtUp(), topics.samples);
      if (clean(last) || Date.now() > deadline) return last;
      await sleep(1000);
    }
  }

  /** The pure engine over what the samples topic holds, without the records meant to be rejected. */
  private reference(samples: Read[]): Expected {
    const rejected = new Map<string, StreamRecord>();
    for (const r of this.sent) if (r.reject) rejected.set(fingerprint(r.key, r.value), r);
    // The processor's own reading of the configuration (engine options); the engine and all that follows are independent of the pipeline under test.
    const engine = createWindowEngine(engineOptions(this.config));
    const out: Expected = { stored: new Map(), published: new Map(), dead: [], sinkRejected: new Set() };
    const take = (ws: WindowResultInput[]) => {
      for (const w of ws) {
        out.stored.set(keyOf(w), asStored(w));
        out.published.set(keyOf(w), asPublished(w));
      }
    };
    const ordered = [...samples].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    for (const m of ordered) {
      const rej = rejected.get(fingerprint(m.key, m.value));
      if (rej) {
        out.dead.push({ partition: m.partition, offset: m.offset, label: rej.label, rejection: rej.reject! });
        if (rej.reject!.device) out.sinkRejected.add(rej.reject!.device);
        continue;
      }
      // Processing time: when the record was sent (its Kafka timestamp); the processor takes it at or
      // after that, and the future bound measures event time against it.
      const res = engine.ingest(decodeSampleRecord(m.value), m.partition, m.timestamp, m.offset);
      take(res.windows);
      // One dead letter per record, however many of its interfaces were late.
      const late = res.events.find((e) => e.kind === 'late');
      if (late) out.dead.push({ partition: m.partition, offset: m.offset, label: `late record of ${late.deviceId}`, rejection: { reason: /late/ } });
    }
    take(engine.tick(Number.MAX_SAFE_INTEGER).windows);
    return out;
  }

  /** Every window the run's database holds, whatever its device. */
  private async storedWindows(): Promise<Map<string, string>> {
    const influx = createInfluxClient(this.config.influx);
    const out = new Map<string, string>();
    for (const m of [MEASUREMENT_INTERFACE, MEASUREMENT_DEVICE]) {
      const rows = await influx.query<Record<string, unknown> & { time: Date }>(`SELECT * FROM "${m}"`, { precision: 'ms' }).catch((err: unknown) => {
        // A database the processor never created holds nothing.
        if (/database not found/.test((err as Error).message)) return [];
        throw err;
      });
      for (const row of rows) {
        const w = rowToWindow(row, m);
        out.set(keyOf(w), jsonBig(w));
      }
    }
    return out;
  }

  /** Stops the members, the readers and the producer (by pid and handle; never throws). */
  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop(10_000).catch(() => null)));
    await Promise.all(this.readers.map((r) => r.close().catch(() => undefined)));
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}


