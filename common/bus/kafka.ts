// Kafka adapter: builds kafkajs clients from config with logs routed into pino, and creates
// netmon's topics with the right shape (samples partitioned by device, config compacted).
// Only this file and the few consumers/producers that need kafkajs types import kafkajs.
import kafkajs from 'kafkajs';
import type { Kafka, logCreator, Admin, ITopicConfig } from 'kafkajs';
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

/** Creates missing topics (existing ones are left as they are). */
export async function ensureTopics(admin: Admin, kafka: NetmonConfig['kafka']): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = netmonTopics(kafka).filter((t) => !existing.has(t.topic));
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  return missing.map((t) => t.topic);
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
