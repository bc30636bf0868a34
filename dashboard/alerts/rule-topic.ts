// Kafka adapter for the alert-rule side of netmon.config: reads which rules it holds and publishes
// `rule:<id>` records (value a ConfigChange carrying the rule, null = tombstone). The rule store talks to it through the narrow
// RuleTopic port, so its logic is tested without Kafka. Its records carry its origin header, so a
// store that follows the topic (dashboard.shared) knows its own when they come back.
import type { AlertRule } from '../../common/config/alerts-schema.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { CONFIG_CHANGE_VERSION, configKey, decodeConfigChange } from '../../common/contracts/config-change.js';
import { connectOrderedProducer, createKafka, type Producer } from '../../common/bus/kafka.js';
import { batches, recordBytes } from '../../common/batching.js';
import { DEFAULT_SEND_BOUND, readMessageLimitsOf, sendBoundOf } from '../../common/bus/message-limit.js';
import { ErrorCodes, NetmonError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { followTopic, newOrigin, ORIGIN_HEADER, originOf, readCompactedTopic, type TopicTail } from '../../common/bus/compacted-topic.js';

export interface RuleTopic {
  connect(): Promise<void>;
  /** Ids of the rules the topic holds now (tombstones applied). */
  readRuleIds(): Promise<Set<string>>;
  /** Publishes each rule (null = removed), in order. */
  publish(changes: readonly { id: string; rule: AlertRule | null }[], now: number): Promise<void>;
  /** Hands every rule record to `apply` (the rule not yet validated), from the beginning (resolves once what the topic held is handed over), then as they arrive, until disconnect(). */
  follow(apply: (record: RuleRecord) => void | Promise<void>): Promise<void>;
  disconnect(): Promise<void>;
}

export interface RuleRecord {
  id: string;
  rule: Record<string, unknown> | null;
  own: boolean;
}

export function encodeRuleChange(rule: AlertRule, now: number): string {
  return JSON.stringify({ v: CONFIG_CHANGE_VERSION, kind: 'config-change', ts: now, rule });
}

export function createKafkaRuleTopic(log: Logger, kafka: NetmonConfig['kafka'], opts: { groupIdPrefix?: string } = {}): RuleTopic {
  const client = createKafka(log, kafka, 'dashboard-rules');
  let producer: Producer | null = null;
  let tail: TopicTail | null = null;
  const origin = newOrigin();
  const headers = { [ORIGIN_HEADER]: origin };
  let maxBytes = DEFAULT_SEND_BOUND;
  return {
    async connect() {
      producer = await connectOrderedProducer(client, kafka);
      maxBytes = sendBoundOf(await readMessageLimitsOf(client, [kafka.topics.config], log), [kafka.topics.config]);
    },
    async readRuleIds() {
      const records = await readCompactedTopic(client, kafka.topics.config, `${opts.groupIdPrefix ?? kafka.clientId}-rules-sync`);
      return new Set([...records.keys()].filter((k) => k.startsWith('rule:')).map((k) => k.slice('rule:'.length)));
    },
    async publish(changes, now) {
      if (changes.length === 0) return;
      if (!producer) throw new NetmonError(ErrorCodes.KAFKA, 'config topic producer is not connected');
      const messages = changes.map((c) => ({ key: configKey('rule', c.id), value: c.rule ? encodeRuleChange(c.rule, now) : null, headers }));
      // In sends under the topic's limit (read at connect), in order, one at a time.
      for (const chunk of batches(messages, recordBytes, { maxBytes })) await producer.send({ topic: kafka.topics.config, messages: chunk });
    },
    async follow(apply) {
      tail = await followTopic(client, kafka.topics.config, `${opts.groupIdPrefix ?? kafka.clientId}-rules-follow`, async (message) => {
        const key = message.key?.toString('utf8') ?? '';
        if (!key.startsWith('rule:')) return;
        let record: RuleRecord;
        try {
          record = { id: key.slice('rule:'.length), rule: decodeConfigChange(message.value)?.rule ?? null, own: originOf(message) === origin };
        } catch (err) {
          log.warn({ key, offset: message.offset, err: errorMessage(err) }, 'unreadable record on the config topic ignored');
          return;
        }
        await apply(record);
      }, { onCrash: (err) => log.error({ err: errorMessage(err) }, 'following the config topic (rules) stopped') });
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
