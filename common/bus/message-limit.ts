// How many bytes one send to a topic may carry: the broker's real limit, read once at start. Kafka
// refuses a record batch above the topic's `max.message.bytes` (which falls back to the broker's
// `message.max.bytes`, 1,048,588 by default) forever, so every writer cuts its sends under it.
// Rules: the limit is read through the admin API (describeConfigs) for each topic a component writes
// to; a refused or failed read (ACLs, an old broker) falls back to Kafka's documented default and is
// logged once per read, never fatal. A send is bounded by the limit minus a stated margin for the
// record-batch header, and each record counts its UTF-8 key and value plus a per-record overhead
// (batching.ts recordBytes), so a batch that fits our count fits the broker's (uncompressed sends).
import kafkajs from 'kafkajs';
import type { Admin, Kafka } from 'kafkajs';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** Kafka's default message.max.bytes: what a broker that says nothing (or may not be asked) takes. */
export const KAFKA_DEFAULT_MESSAGE_MAX_BYTES = 1_048_588;

/**
 * The record-batch framing (v2: offset 8, length 4, leader epoch 4, magic 1, CRC 4, attributes 2,
 * last offset delta 4, first/max timestamp 16, producer id 8, epoch 2, sequence 4, count 4: 61
 * bytes), with room to spare: subtracted from the limit once per send.
 */
export const BATCH_OVERHEAD_BYTES = 128;

/** Where a limit came from: the topic's own config, the broker's, or the documented default. */
export type LimitSource = 'topic' | 'broker' | 'default';

export interface MessageLimit {
  /** The broker's limit for one record batch to the topic. */
  limitBytes: number;
  source: LimitSource;
}

function parseBytes(v: string | null | undefined): number | null {
  if (v === null || v === undefined || !/^\d+$/.test(v.trim())) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** The limit from what describeConfigs said: the topic's max.message.bytes, else the broker's message.max.bytes, else the default. */
export function pickMessageLimit(said: { topic?: string | null; broker?: string | null }): MessageLimit {
  const topic = parseBytes(said.topic);
  if (topic !== null) return { limitBytes: topic, source: 'topic' };
  const broker = parseBytes(said.broker);
  if (broker !== null) return { limitBytes: broker, source: 'broker' };
  return { limitBytes: KAFKA_DEFAULT_MESSAGE_MAX_BYTES, source: 'default' };
}

/** What one send may carry (sum of recordBytes): the limit less the batch framing. */
export function sendBound(limit: MessageLimit | number): number {
  const bytes = typeof limit === 'number' ? limit : limit.limitBytes;
  return Math.max(0, bytes - BATCH_OVERHEAD_BYTES);
}

/** The bound of a send that goes to several topics at once: the smallest of theirs. */
export function sendBoundOf(limits: ReadonlyMap<string, MessageLimit>, topics: readonly string[]): number {
  let min = Infinity;
  for (const t of topics) min = Math.min(min, sendBound(limits.get(t) ?? KAFKA_DEFAULT_MESSAGE_MAX_BYTES));
  return Number.isFinite(min) ? min : sendBound(KAFKA_DEFAULT_MESSAGE_MAX_BYTES);
}

/** The default bound, for a send made before the limits were read (a queue filling before start). */
export const DEFAULT_SEND_BOUND = sendBound(KAFKA_DEFAULT_MESSAGE_MAX_BYTES);

type ConfigAdmin = Pick<Admin, 'describeConfigs' | 'describeCluster'>;

const { ConfigResourceTypes } = kafkajs;

/**
 * The limit of each topic, read from the broker. Any failure (refused by ACLs, a topic not there
 * yet, a broker too old) gives the documented default for what could not be read, logged once.
 */
export async function readMessageLimits(admin: ConfigAdmin, topics: readonly string[], log: Logger): Promise<Map<string, MessageLimit>> {
  const names = [...new Set(topics)];
  const said = new Map<string, { topic?: string | null; broker?: string | null }>(names.map((t) => [t, {}]));
  const failures: string[] = [];
  try {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })) });
    for (const r of resources) {
      if (r.errorCode !== 0) failures.push(`${r.resourceName}: ${r.errorMessage ?? `error code ${r.errorCode}`}`);
      const entry = r.configEntries.find((e) => e.configName === 'max.message.bytes');
      const s = said.get(r.resourceName);
      if (s && entry) s.topic = entry.configValue;
    }
  } catch (err) {
    failures.push(`topics: ${errorMessage(err)}`);
  }
  if ([...said.values()].some((s) => parseBytes(s.topic) === null)) {
    try {
      const { brokers } = await admin.describeCluster();
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(brokers[0]?.nodeId ?? 0), configNames: ['message.max.bytes'] }] });
      const value = resources[0]?.configEntries.find((e) => e.configName === 'message.max.bytes')?.configValue ?? null;
      for (const s of said.values()) s.broker = value;
    } catch (err) {
      failures.push(`broker: ${errorMessage(err)}`);
    }
  }
  const out = new Map<string, MessageLimit>();
  for (const [t, s] of said) out.set(t, pickMessageLimit(s));
  const defaulted = [...out].filter(([, l]) => l.source === 'default').map(([t]) => t);
  if (defaulted.length > 0) {
    log.warn({ topics: defaulted, limitBytes: KAFKA_DEFAULT_MESSAGE_MAX_BYTES, errors: failures }, "could not read the broker's message size limit; using Kafka's default");
  } else {
    log.debug({ limits: Object.fromEntries(out) }, 'broker message size limits read');
  }
  return out;
}

/** readMessageLimits through an admin client of its own, connected for the read only. */
export async function readMessageLimitsOf(client: Kafka, topics: readonly string[], log: Logger): Promise<Map<string, MessageLimit>> {
  const admin = client.admin();
  try {
    await admin.connect();
    return await readMessageLimits(admin, topics, log);
  } catch (err) {
    // Not even connected: the documented default, said once.
    log.warn({ topics, limitBytes: KAFKA_DEFAULT_MESSAGE_MAX_BYTES, err: errorMessage(err) }, "could not read the broker's message size limit; using Kafka's default");
    return new Map(topics.map((t) => [t, pickMessageLimit({})]));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
