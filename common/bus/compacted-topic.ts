// Reads a compacted topic (netmon.config, alert state, acknowledgements and silences) from the
// beginning to its end as it is now. Used at start and on every partition assignment; a short-lived
// consumer in a throw-away group (deleted afterwards), bounded in time. A tail (followTopic) does the
// same and then keeps following: what a dashboard instance that shares the topic with others needs.
import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { topicOffsets, type Consumer, type Kafka } from './kafka.js';
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

/** The end (high watermark) of each partition of `topic` that holds records now: what "read to the end" must reach. */
export async function partitionEnds(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const todo = new Map<number, bigint>();
    for (const o of await topicOffsets(admin, topic)) if (BigInt(o.high) > BigInt(o.low)) todo.set(o.partition, BigInt(o.high));
    return todo;
  } finally {
    await admin.disconnect();
  }
}

/** Hands every record, in offset order per partition, to `onRecord` until the end the topic had when called. */
export async function readTopicToEnd(kafka: Kafka, topic: string, groupPrefix: string, onRecord: (message: KafkaMessage) => void, timeoutMs = 60_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await topicOffsets(admin, topic);
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

export interface TopicTail {
  /** Stops following and leaves (and deletes) the throw-away group. */
  stop(): Promise<void>;
}

/**
 * Hands every record of `topic` to `onRecord`, in offset order per partition, from the beginning and
 * then as new ones arrive; resolves once the records the topic held when called have all been handed
 * over (bounded by `timeoutMs`), and keeps following until stop(). A consumer of its own in a group of
 * its own (never committed), so every instance sees every record.
 */
export async function followTopic(kafka: Kafka, topic: string, groupPrefix: string, onRecord: (message: KafkaMessage) => void | Promise<void>, opts: { timeoutMs?: number; onCrash?: (err: Error) => void } = {}): Promise<TopicTail> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const todo = await partitionEnds(kafka, topic);
  const groupId = `${groupPrefix}-tail-${randomBytes(4).toString('hex')}`;
  const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, allowAutoTopicCreation: false });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) opts.onCrash?.(payload.error);
  });
  let finish!: () => void;
  const caughtUp = new Promise<void>((r) => (finish = r));
  if (todo.size === 0) finish();
  const stop = async () => {
    await consumer.disconnect();
    const a = kafka.admin();
    await a.connect();
    await a.deleteGroups([groupId]).catch(() => undefined);
    await a.disconnect();
  };
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        await onRecord(message);
        const high = todo.get(partition);
        if (high !== undefined && BigInt(message.offset) + 1n >= high) {
          todo.delete(partition);
          if (todo.size === 0) finish();
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NetmonError(ErrorCodes.KAFKA, `reading ${topic} to its end took longer than ${timeoutMs} ms`, { retriable: true })), timeoutMs);
    });
    try {
      await Promise.race([caughtUp, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { stop };
}

/** The header a writer of a shared compacted topic marks its records with, so it knows its own when it reads them back. */
export const ORIGIN_HEADER = 'netmon-origin';

export function originOf(message: KafkaMessage): string | undefined {
  const h = message.headers?.[ORIGIN_HEADER];
  const v = Array.isArray(h) ? h[0] : h;
  return v === undefined ? undefined : v.toString();
}

/** A random id for one writer (one store of one process). */
export function newOrigin(): string {
  return randomBytes(8).toString('hex');
}
