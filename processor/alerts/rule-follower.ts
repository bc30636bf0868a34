// Follows the compacted config topic (kafka.topics.config) for `rule:<id>` records and hands the
// resulting rule set to the alert stages (the processor's, and the reachability watcher's for
// device_unreachable rules), so rules changed from the dashboard apply without a restart. Like the
// collector's config follower: every processor needs the whole set, so it reads the topic from the
// beginning in a consumer group of its own (unique id, offsets never committed) and keeps following.
// A bad record is counted and logged with what is wrong; the others still apply. The Kafka part is
// the shared config-topic follower (common/bus/config-follower.ts).
import { createConfigTopicFollower, type ConfigFollower } from '../../common/bus/config-follower.js';
import type { Kafka } from '../../common/bus/kafka.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import type { FailureSink } from '../../common/lifecycle.js';
import type { Logger } from '../../common/log.js';
import type { Registry } from '../../common/metrics.js';
import { createRuleSet } from './rule-set.js';

export type RuleFollower = ConfigFollower;

export function createRuleFollower(
  log: Logger,
  config: Pick<NetmonConfig, 'kafka' | 'alerts'>,
  deps: { kafka: Kafka; registry: Registry; initial: readonly AlertRule[]; apply: (rules: readonly AlertRule[]) => Promise<void>; failures?: FailureSink },
): RuleFollower {
  const set = createRuleSet(deps.initial, Object.keys(config.alerts.channels));
  return createConfigTopicFollower(log, config, deps, {
    name: 'rule-follower',
    role: 'processor-rules',
    what: 'alert rule changes',
    metric: { name: 'netmon_processor_rule_records_total', help: 'Alert rule records read from the config topic, by result' },
    accepts: (key) => key.startsWith('rule:'),
    apply: (key, change) => set.apply(key, change),
    onChanged: () => deps.apply(set.rules()),
  });
}
