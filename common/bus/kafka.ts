// Kafka adapter: builds kafkajs clients from config with logs routed into pino, and creates
// netmon's topics with the right shape (samples partitioned by device, config compacted).
// Only this file and the few consumers/producers that need kafkajs types import kafkajs.
import kafkajs from 'kafkajs';
import type { Kafka, logCreator, Admin, ITopicConfig, Producer } from 'kafkajs';
import type { Logger } from '../log.js';
import type { NetmonConfig } from '../config/schema.js';

const { Kafka: KafkaClient, logLevel, Partitioners } = kafkajs;

/** The murmur2 partitioner (Java client compatible): a device id maps to the same partition from any client. */
export const defaultPartitioner = Partitioners.DefaultPartitioner;

export type { Kafka, Producer, Consumer, Admin, EachBatchPayload, KafkaMessage } from 'kafkajs';

function pinoLogCreator(log: Logger): logCreator {
  return () => ({ level, log: entry }) => {
    const { message, ...rest } = entry as { message: string; namespace?: string; [key: string]: unknown };
    const obj = { kafka: rest.namespace ?? undefined, ...rest };
    if (level === logLevel.ERROR) log.error(obj, message);
    else if (level === logLevel.WARN) log.warn(obj, message);
    else if (level === logLevel.INFO) log.debug(obj, message);
    else log.trace(obj, message);
  };
}

export function createKafka(log: Logger, kafka: NetmonConfig['kafka'], clientSuffix: string): Kafka {
  return new KafkaClient({
    clientId: `${kafka.clientId}-${clientSuffix}`,
    brokers: [...kafka.brokers],
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(log.child({ kafkaClient: clientSuffix })),
    connectionTimeout: 3000,
    // Retries are bounded: a component that cannot reach Kafka reports it instead of hanging.
    retry: { initialRetryTime: 300, retries: 8 },
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
  ];
}

type TopicAdmin = Pick<Admin, 'listTopics' | 'createTopics' | 'fetchTopicMetadata'>;

/**
 * Creates missing topics (existing ones are left as they are) and returns once every partition
 * of the new ones has a leader. A just-started broker can answer "unknown topic" (retriable) for
 * a moment after creating them; that is waited out, up to `settleMs`, then reported by name.
 */
export async function ensureTopics(admin: TopicAdmin, kafka: NetmonConfig['kafka'], opts: { settleMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = netmonTopics(kafka).filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return [];
  const names = missing.map((t) => t.topic);
  const retriable = (err: unknown) => (err as { retriable?: boolean }).retriable === true;
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (err) {
    if (!retriable(err)) throw err;
  }
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (opts.settleMs ?? 30_000);
  for (;;) {
    let why: string;
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const leaderless = topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
      if (leaderless.length === 0) return names;
      why = `no leader yet for ${leaderless.join(', ')}`;
    } catch (err) {
      if (!retriable(err)) throw err;
      why = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`Kafka topics ${names.join(', ')} were created but did not become usable within ${opts.settleMs ?? 30_000} ms: ${why}`);
    await sleep(250);
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
