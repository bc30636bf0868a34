// Kafka adapter for the alert-rule side of netmon.config: publishes `rule:<id>` records (value a
// ConfigChange carrying the rule, null = tombstone). The rule store talks to it through the narrow
// RuleTopic port, so its logic is tested without Kafka.
import type { AlertRule } from '../../common/config/alerts-schema.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { CONFIG_CHANGE_VERSION, configKey } from '../../common/contracts/config-change.js';
import { createKafka, defaultPartitioner, ensureTopics, type Producer } from '../../common/bus/kafka.js';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';

export interface RuleTopic {
  connect(): Promise<void>;
  /** Publishes each rule (null = removed), in order. */
  publish(changes: readonly { id: string; rule: AlertRule | null }[], now: number): Promise<void>;
  disconnect(): Promise<void>;
}

export function encodeRuleChange(rule: AlertRule, now: number): string {
  return JSON.stringify({ v: CONFIG_CHANGE_VERSION, kind: 'config-change', ts: now, rule });
}

export function createKafkaRuleTopic(log: Logger, kafka: NetmonConfig['kafka']): RuleTopic {
  const client = createKafka(log, kafka, 'dashboard-rules');
  let producer: Producer | null = null;
  return {
    async connect() {
      const admin = client.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, kafka);
      } finally {
        await admin.disconnect();
      }
      const p = client.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      producer = p;
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
