// Reads a compacted topic (alert state, acknowledgements and silences) from the beginning to its end
// as it is now: the latest value per key (a null value = deleted). Used at start and on every
// partition assignment; a short-lived consumer in a throw-away group (deleted afterwards), bounded in time.
import { randomBytes } from 'node:crypto';
import type { Kafka } from '../../common/bus/kafka.js';
import { NetmonError, ErrorCodes } from '../../common/errors.js';

export async function readCompactedTopic(kafka: Kafka, topic: string, groupPrefix: string, timeoutMs = 60_000): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const todo = new Map<number, bigint>();
    for (const o of offsets) if (BigInt(o.high) > BigInt(o.low)) todo.set(o.partition, BigInt(o.high));
    if (todo.size === 0) return out;
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
          const key = message.key?.toString('utf8');
          if (key !== undefined) {
            if (message.value === null || message.value.length === 0) out.delete(key);
            else out.set(key, message.value.toString('utf8'));
          }
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
    return out;
  } finally {
    await admin.disconnect();
  }
}
