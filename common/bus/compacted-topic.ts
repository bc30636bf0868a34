// Reads a compacted topic (netmon.config, alert state, acknowledgements and silences) from the
// beginning to its end as it is now. Used at start and on every partition assignment; a short-lived
// consumer in a throw-away group (deleted afterwards), bounded in time.
import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { Kafka } from './kafka.js';
import { NetmonError, ErrorCodes } from '../errors.js';

/** The latest value per key (a null or empty value = deleted). */
export async function readCompactedTopic(kafka: Kafka, topic: string, groupPrefix: string, timeoutMs = 60_000): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await readTopicToEnd(kafka, topic, groupPrefix, (message) => {
    const key = message.key?.toString('utf8');
    if (key === undefined) return;
    if (message.value === null || message.value.length === 0) out.delete(key);
    else out.set(key, message.value.toString('utf8'));
  }, timeoutMs);
  return out;
}

/** Hands every record, in offset order per partition, to `onRecord` until the end the topic had when called. */
export async function readTopicToEnd(kafka: Kafka, topic: string, groupPrefix: string, onRecord: (message: KafkaMessage) => void, timeoutMs = 60_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const todo = new Map<number, bigint>();
    for (const o of offsets) if (BigInt(o.high) > BigInt(o.low)) todo.set(o.partition, BigInt(o.high));
    if (todo.size === 0) return;
    const groupId = `${groupPrefix}-reader-${randomBytes(4).toString('hex')}`;
    const consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
    await consumer.connect();
    try {
      let finish!: () => void;
      const done = new Promise<void>((r) => (finish = r));
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          onRecord(message);
          const high = todo.get(partition);
          if (high !== undefined && BigInt(message.offset) + 1n >= high) todo.delete(partition);
          if (todo.size === 0) finish();
          return Promise.resolve();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new NetmonError(ErrorCodes.KAFKA, `reading ${topic} to its end took longer than ${timeoutMs} ms`, { retriable: true })), timeoutMs);
      });
      try {
        await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}
