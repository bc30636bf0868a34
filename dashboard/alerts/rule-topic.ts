// Kafka adapter for the alert-rule side of netmon.config: reads which rules it holds and publishes
// `rule:<id>` records (value a ConfigChange carrying the rule, null = tombstone). The rule store talks to it through the narrow
// RuleTopic port, so its logic is tested without Kafka.
import type { AlertRule } from '../../common/config/alerts-schema.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { CONFIG_CHANGE_VERSION, configKey } from '../../common/contracts/config-change.js';
import { connectOrderedProducer, createKafka, type Producer } from '../../common/bus/kafka.js';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { readCompactedTopic } from '../../common/bus/compacted-topic.js';

export interface RuleTopic {
  connect(): Promise<void>;
  /** Ids of the rules the topic holds now (tombstones applied). */
  readRuleIds(): Promise<Set<string>>;
  /** Publishes each rule (null = removed), in order. */
  publish(changes: readonly { id: string; rule: AlertRule | null }[], now: number): Promise<void>;
  disconnect(): Promise<void>;
}

export function encodeRuleChange(rule: AlertRule, now: number): string {
  return JSON.stringify({ v: CONFIG_CHANGE_VERSION, kind: 'config-change', ts: now, rule });
}

export function createKafkaRuleTopic(log: Logger, kafka: NetmonConfig['kafka'], opts: { groupIdPrefix?: string } = {}): RuleTopic {
  const client = createKafka(log, kafka, 'dashboard-rules');
  let producer: Producer | null = null;
  return {
    async connect() {
      producer = await connectOrderedProducer(client, kafka);
    },
    async readRuleIds() {
      const records = await readCompactedTopic(client, kafka.topics.config, `${opts.groupIdPrefix ?? kafka.clientId}-rules-sync`);
      return new Set([...records.keys()].filter((k) => k.startsWith('rule:')).map((k) => k.slice('rule:'.length)));
    },
    async publish(changes, now) {
      if (changes.length === 0) return;
      if (!producer) throw new NetmonError(ErrorCodes.KAFKA, 'config topic producer is not connected');
      await producer.send({
        topic: kafka.topics.config,
        messages: changes.map((c) => ({ key: configKey('rule', c.id), value: c.rule ? encodeRuleChange(c.rule, now) : null })),
      });
    },
    async disconnect() {
      const p = producer;
      producer = null;
      if (p) await p.disconnect();
    },
  };
}
