// Kafka adapter for the compacted topic netmon.config, device side: read what it holds now (from
// the beginning up to the high watermark, bounded in time: common/bus/compacted-topic.ts) and publish
// device changes (key `device:<id>`, value the ConfigChange with revealed secrets, null = tombstone)
// in sends under the broker's batch limit. The store talks to it through the narrow ConfigTopic
// port, so its logic is tested without Kafka. Every record it writes carries its origin header, so
// a store that follows the topic (dashboard.shared) knows its own records when they come back.
import type { DeviceConfig, NetmonConfig } from '../../common/config/schema.js';
import { configKey, decodeConfigChange, encodeConfigChange, parseConfigKey } from '../../common/contracts/config-change.js';
import { followTopic, newOrigin, ORIGIN_HEADER, originOf, readTopicToEnd, type TopicTail } from '../../common/bus/compacted-topic.js';
import { batches, recordBytes } from '../../common/batching.js';
import { DEFAULT_SEND_BOUND, readMessageLimitsOf, sendBoundOf } from '../../common/bus/message-limit.js';
import { connectOrderedProducer, createKafka, type Producer } from '../../common/bus/kafka.js';
import { ErrorCodes, NetmonError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { DeviceChange } from './validate.js';

export interface ConfigTopic {
  connect(): Promise<void>;
  /** The devices the topic holds now (latest value per key, tombstones applied). */
  readDevices(): Promise<Map<string, DeviceConfig>>;
  publish(changes: readonly DeviceChange[], now: number): Promise<void>;
  /**
   * Hands every device record to `apply`, from the beginning (resolves once what the topic held is
   * handed over) and then as they arrive, until disconnect(); `own` = written by this port.
   */
  follow(apply: (record: DeviceRecord) => void | Promise<void>): Promise<void>;
  disconnect(): Promise<void>;
}

export interface DeviceRecord {
  id: string;
  device: DeviceConfig | null;
  own: boolean;
}

export function createKafkaConfigTopic(log: Logger, kafka: NetmonConfig['kafka'], opts: { groupIdPrefix: string; readTimeoutMs?: number }): ConfigTopic {
  const client = createKafka(log, kafka, 'dashboard-config');
  const topic = kafka.topics.config;
  let producer: Producer | null = null;
  let tail: TopicTail | null = null;
  const origin = newOrigin();
  const headers = { [ORIGIN_HEADER]: origin };
  let maxBytes = DEFAULT_SEND_BOUND;

  return {
    async connect() {
      producer = await connectOrderedProducer(client, kafka);
      maxBytes = sendBoundOf(await readMessageLimitsOf(client, [topic], log), [topic]);
    },

    async readDevices() {
      const devices = new Map<string, DeviceConfig>();
      await readTopicToEnd(client, topic, `${opts.groupIdPrefix}-config-sync`, (message) => {
        const key = message.key?.toString('utf8') ?? '';
        try {
          const { kind, id } = parseConfigKey(key);
          if (kind === 'device') {
            const change = decodeConfigChange(message.value);
            if (change?.device) devices.set(id, change.device);
            else devices.delete(id);
          }
        } catch (err) {
          log.warn({ key, offset: message.offset, err: errorMessage(err) }, 'unreadable record on the config topic ignored');
        }
      }, opts.readTimeoutMs ?? 30_000);
      return devices;
    },

    async publish(changes, now) {
      if (changes.length === 0) return;
      if (!producer) throw new NetmonError(ErrorCodes.KAFKA, 'config topic producer is not connected');
      const messages = changes.map((c) => ({ key: configKey('device', c.id), value: c.device ? encodeConfigChange({ ts: now, device: c.device }) : null, headers }));
      // In sends under the topic's limit (read at connect): a bulk import of thousands of devices is megabytes.
      // In order, one send at a time, so a device's records keep their order on the topic.
      for (const chunk of batches(messages, recordBytes, { maxBytes })) await producer.send({ topic, messages: chunk });
    },

    async follow(apply) {
      tail = await followTopic(client, topic, `${opts.groupIdPrefix}-config-follow`, async (message) => {
        const key = message.key?.toString('utf8') ?? '';
        let record: DeviceRecord;
        try {
          const { kind, id } = parseConfigKey(key);
          if (kind !== 'device') return;
          record = { id, device: decodeConfigChange(message.value)?.device ?? null, own: originOf(message) === origin };
        } catch (err) {
          log.warn({ key, offset: message.offset, err: errorMessage(err) }, 'unreadable record on the config topic ignored');
          return;
        }
        await apply(record);
      }, { timeoutMs: opts.readTimeoutMs ?? 30_000, onCrash: (err) => log.error({ err: errorMessage(err) }, 'following the config topic stopped') });
    },

    async disconnect() {
      const t = tail;
      tail = null;
      await t?.stop();
      const p = producer;
      producer = null;
      if (p) await p.disconnect();
    },
  };
}
