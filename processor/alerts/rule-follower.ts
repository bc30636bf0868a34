// Follows the compacted config topic (kafka.topics.config) for `rule:<id>` records and hands the
// resulting rule set to the alert stages (the processor's, and the reachability watcher's for
// device_unreachable rules), so rules changed from the dashboard apply without a restart. Like the
// collector's config follower: every processor needs the whole set, so it reads the topic from the
// beginning in a consumer group of its own (unique id, offsets never committed) and keeps following.
// A bad record is counted and logged with what is wrong; the others still apply.
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from '../../common/bus/kafka.js';
import { prepareTopics } from '../../common/bus/kafka.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { decodeConfigChange } from '../../common/contracts/config-change.js';
import { errorMessage } from '../../common/errors.js';
import type { Component, FailureSink } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import { createRuleSet } from './rule-set.js';

export interface RuleFollower extends Component {
  readonly groupId: string;
  /** Config records seen so far. */
  seen(): number;
}

export function createRuleFollower(
  log: Logger,
  config: NetmonConfig,
  deps: { kafka: Kafka; registry: Registry; initial: readonly AlertRule[]; apply: (rules: readonly AlertRule[]) => Promise<void>; failures?: FailureSink },
): RuleFollower {
  const topic = config.kafka.topics.config;
  const groupId = `${config.kafka.clientId}-processor-rules-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const limited = createRateLimitedLog(log, 60_000);
  const records = (deps.registry.getSingleMetric('netmon_processor_rule_records_total') as Counter<'result'> | undefined)
    ?? new Counter({ name: 'netmon_processor_rule_records_total', help: 'Alert rule records read from the config topic, by result', labelNames: ['result'], registers: [deps.registry] });
  const set = createRuleSet(deps.initial, Object.keys(config.alerts.channels));
  let consumer: Consumer | null = null;
  let count = 0;

  return {
    name: 'rule-follower',
    groupId,
    seen: () => count,
    async start() {
      await prepareTopics(deps.kafka, config.kafka);
      const c = deps.kafka.consumer({ groupId, allowAutoTopicCreation: false });
      consumer = c;
      c.on(c.events.CRASH, ({ payload }) => {
        if (!payload.restart) deps.failures?.fail('rule-follower', payload.error);
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          let changed = false;
          for (const m of batch.messages) {
            count++;
            const key = m.key?.toString() ?? '';
            if (!key.startsWith('rule:')) continue;
            try {
              const applied = set.apply(key, decodeConfigChange(m.value));
              records.inc({ result: applied ? 'applied' : 'unchanged' });
              changed ||= applied;
            } catch (err) {
              records.inc({ result: 'rejected' });
              limited(`bad:${key}`, 'warn', { topic, offset: m.offset, key, err: errorMessage(err) }, 'alert rule record rejected');
            }
          }
          if (changed) await deps.apply(set.rules());
        },
      });
      log.info({ topic, groupId }, 'following alert rule changes');
    },
    async stop() {
      const c = consumer;
      consumer = null;
      await c?.disconnect();
    },
  };
}
