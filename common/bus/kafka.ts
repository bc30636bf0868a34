// Kafka adapter: builds kafkajs clients from config with logs routed into pino, and creates
// netmon's topics with the right shape (samples partitioned by device, config compacted).
// Only this file and the few consumers/producers that need kafkajs types import kafkajs.
import kafkajs from 'kafkajs';
import type { Kafka, logCreator, Admin, Consumer, ITopicConfig, PartitionMetadata, Producer } from 'kafkajs';
import { errorMessage } from '../errors.js';
import type { FailureSink } from '../lifecycle.js';
import type { createRateLimitedLog, Logger } from '../log.js';
import type { NetmonConfig } from '../config/schema.js';

const { Kafka: KafkaClient, logLevel, Partitioners } = kafkajs;

/** The murmur2 partitioner (Java client compatible): a device id maps to the same partition from any client. */
export const defaultPartitioner = Partitioners.DefaultPartitioner;

export type { Kafka, Producer, Consumer, Admin, EachBatchPayload, KafkaMessage } from 'kafkajs';

/** How long after a client is made its connection chatter counts as warm-up (a broker still starting). */
export const KAFKA_WARMUP_MS = 60_000;

/** kafkajs entries about conditions it retries by itself: refused connections, elections, coordinators loading or moved, a member rejoining after its session lapsed (kafkajs puts the broker's words in `error`, not the code). */
const RETRIED = /ECONNREFUSED|ECONNRESET|Connection (error|timeout)|Failed to connect|connect to seed broker|LEADER_NOT_AVAILABLE|NOT_LEADER|leadership election|NOT_COORDINATOR|COORDINATOR_NOT_AVAILABLE|COORDINATOR_LOAD_IN_PROGRESS|coordinator is (loading|not available)|not the correct coordinator|not aware of this member|generation id is not valid|not the leader for that topic-partition|broker is not available|UNKNOWN_TOPIC_OR_PARTITION|does not host this topic-partition|REBALANCE_IN_PROGRESS|rebalanc/i;

/** Warnings about settings netmon chose on purpose (it bounds the producer's retries itself). */
const CHOSEN = /Limiting retries for the idempotent producer/;

export type KafkaLogLevel = 'error' | 'warn' | 'debug' | 'trace';

/**
 * The pino level for a kafkajs entry. Its ERRORs and WARNs about conditions it retries are debug
 * while the client warms up (a broker that is still starting is not news) and warn after (an
 * outage is, but kafkajs is handling it); anything else keeps its weight. INFO is debug: kafkajs
 * narrates every join and commit.
 */
export function kafkaLogLevel(level: kafkajs.logLevel, text: string, sinceStartMs: number): KafkaLogLevel {
  if (level === logLevel.ERROR || level === logLevel.WARN) {
    if (CHOSEN.test(text)) return 'debug';
    if (RETRIED.test(text)) return sinceStartMs < KAFKA_WARMUP_MS ? 'debug' : 'warn';
    return level === logLevel.ERROR ? 'error' : 'warn';
  }
  return level === logLevel.INFO ? 'debug' : 'trace';
}

function pinoLogCreator(log: Logger, brokers: readonly string[], now: () => number = Date.now): logCreator {
  const started = now();
  let waitingSaid = false;
  return () => ({ level, log: entry }) => {
    // kafkajs' own timestamp and logger name repeat what pino records.
    const { message, timestamp: _t, logger: _l, ...rest } = entry as { message: string; namespace?: string; timestamp?: unknown; logger?: unknown; [key: string]: unknown };
    const obj = { kafka: rest.namespace ?? undefined, ...rest };
    const text = `${message} ${typeof rest.error === 'string' ? rest.error : ''}`;
    const to = kafkaLogLevel(level, text, now() - started);
    // Quiet is not silent: the first retried failure of a warming-up client says, once, what it waits for.
    if (to === 'debug' && !waitingSaid && (level === logLevel.ERROR || level === logLevel.WARN) && !CHOSEN.test(text)) {
      waitingSaid = true;
      log.info({ brokers, reason: message }, 'waiting for Kafka (kafkajs retries; its messages are at debug level for the first minute)');
    }
    log[to](obj, message);
  };
}

/**
 * A consumer crash. kafkajs restarts the consumer itself only after a retriable error; after one it
 * calls final ("Failed to find group coordinator" while a restarted broker elects one) the consumer
 * stays stopped and the component would sit idle for good, so that one fails the component and the
 * supervisor restarts it (it rejoins and reads again from its last commit).
 */
export function restartOnFinalCrash(consumer: Consumer, component: string, deps: { log: Logger; limited: ReturnType<typeof createRateLimitedLog>; failures?: FailureSink }): void {
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart) {
      deps.limited('crash', 'error', { err: errorMessage(e.payload.error) }, `${component} consumer crashed; kafkajs restarts it`);
      return;
    }
    deps.log.error({ err: errorMessage(e.payload.error) }, `${component} consumer crashed and kafkajs does not restart it; restarting the ${component}`);
    deps.failures?.fail(component, e.payload.error);
  });
}

/** How long a connection attempt to a broker may take. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/**
 * The longest wait between two attempts of any netmon client (kafkajs's default is 30 s): after an
 * outage every producer tries again within this of the broker's return (processor.ts counts no
 * idle time until then).
 */
export const MAX_RETRY_WAIT_MS = 10_000;

export function createKafka(log: Logger, kafka: NetmonConfig['kafka'], clientSuffix: string): Kafka {
  return new KafkaClient({
    clientId: `${kafka.clientId}-${clientSuffix}`,
    brokers: [...kafka.brokers],
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(log.child({ kafkaClient: clientSuffix }), kafka.brokers),
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    // Retries are bounded: a component that cannot reach Kafka reports it instead of hanging.
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: MAX_RETRY_WAIT_MS },
  });
}

/** The topics netmon uses, with partition counts and configs. */
export function netmonTopics(kafka: NetmonConfig['kafka']): ITopicConfig[] {
  const t = kafka.topics;
  return [
    { topic: t.samples, numPartitions: kafka.samplesPartitions },
    { topic: t.windows, numPartitions: kafka.samplesPartitions },
    { topic: t.alerts, numPartitions: 1 },
    { topic: t.deadletter, numPartitions: 1 },
    { topic: t.config, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    { topic: t.status, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    // Alerts: evaluation state per (rule, scope), acknowledgements and silences.
    { topic: t.alertState, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    { topic: t.alertActions, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    // Collector group: its partitions are the units of work; a device belongs to partitionOfKey(id).
    { topic: t.collectorState, numPartitions: kafka.collectorStatePartitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
  ];
}

const keyPartitioner = defaultPartitioner();
const partitionLists = new Map<number, PartitionMetadata[]>();

/** The partition a record keyed `key` lands on in a topic of `partitions` partitions: what the producer's murmur2 partitioner picks. */
export function partitionOfKey(key: string, partitions: number): number {
  let list = partitionLists.get(partitions);
  if (!list) {
    list = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    partitionLists.set(partitions, list);
  }
  return keyPartitioner({ topic: '', partitionMetadata: list, message: { key, value: null } });
}

type TopicAdmin = Pick<Admin, 'listTopics' | 'createTopics' | 'fetchTopicMetadata'>;

/**
 * Creates missing topics (existing ones are left as they are) and returns, with the names it
 * created, once every partition of every netmon topic has a leader. A just-started broker can
 * answer "unknown topic" (retriable) for a moment after creating them; that is waited out, up to
 * `settleMs`, then reported by name.
 */
export async function ensureTopics(admin: TopicAdmin, kafka: NetmonConfig['kafka'], opts: { settleMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const wanted = netmonTopics(kafka);
  const missing = wanted.filter((t) => !existing.has(t.topic));
  // Every topic is waited for, not only the ones made here: services started together on a new
  // broker find the topics another one has just created, still without leaders ("not the leader").
  const names = wanted.map((t) => t.topic);
  const retriable = (err: unknown) => (err as { retriable?: boolean }).retriable === true;
  if (missing.length > 0) {
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
    } catch (err) {
      if (!retriable(err)) throw err;
    }
  }
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (opts.settleMs ?? 30_000);
  for (;;) {
    let why: string;
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const leaderless = topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
      if (leaderless.length === 0) return missing.map((t) => t.topic);
      why = `no leader yet for ${leaderless.join(', ')}`;
    } catch (err) {
      if (!retriable(err)) throw err;
      why = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`Kafka topics ${names.join(', ')} did not become usable within ${opts.settleMs ?? 30_000} ms: ${why}`);
    await sleep(250);
  }
}

/**
 * Each partition's low and high offsets of `topic`, asked again while Kafka answers with a retriable
 * error, up to `settleMs`: a broker can list a fresh topic's leader in its metadata a moment before
 * that leader answers ListOffsets ("not the leader for that topic-partition"), and a leader moves
 * after a broker restart. Other errors, and the last one after `settleMs`, go to the caller.
 */
export async function topicOffsets(admin: { fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; low: string; high: string }>> }, topic: string, opts: { settleMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<Array<{ partition: number; low: string; high: string }>> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const settleMs = opts.settleMs ?? 30_000;
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      if ((err as { retriable?: boolean }).retriable !== true || waited >= settleMs) throw err;
      const wait = Math.min(2_000, 100 * 2 ** attempt);
      waited += wait;
      await sleep(wait);
    }
  }
}

/** Connects an admin client, creates missing topics, disconnects. */
export async function prepareTopics(client: Kafka, kafka: NetmonConfig['kafka']): Promise<string[]> {
  const admin = client.admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, kafka);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates missing topics, then connects an ordered producer (idempotent, one request in flight):
 * what the dashboard's writers of the compacted config topic need, device and rule records alike.
 */
export async function connectOrderedProducer(client: Kafka, kafka: NetmonConfig['kafka']): Promise<Producer> {
  await prepareTopics(client, kafka);
  const producer = client.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return producer;
}
