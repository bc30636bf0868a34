// Wires the processor: the window store and the consumer-group member that feeds the window engine,
// the alert stage it hands written windows to, the reachability watcher for device_unreachable
// rules (on the collector's status records), the follower that applies rule changes from the config
// topic, and the notifier when channels are configured. One InfluxDB alert-history store serves
// them all. Takes only its part of the configuration.
import { createKafka } from '../common/bus/kafka.js';
import type { AlertRule } from '../common/config/alerts-schema.js';
import type { DeviceConfig, NetmonConfig } from '../common/config/schema.js';
import type { Component, Service, ServiceDeps } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import { createActionsView } from '../common/alerts/actions-view.js';
import { createAlertHistoryStore } from '../common/store/alert-history.js';
import { createInfluxStore } from '../common/store/influx.js';
import { createAlertStage, type AlertStage } from './alerts/alert-stage.js';
import { createNotifier } from './alerts/notifier.js';
import { createReachabilityWatcher } from './alerts/reachability-watcher.js';
import { createRuleFollower } from './alerts/rule-follower.js';
import { createProcessor, type Processor } from './pipeline/processor.js';

export type ProcessorConfig = Pick<NetmonConfig, 'kafka' | 'influx' | 'processor' | 'collector' | 'alerts'> & {
  /** The alert rules at start (read once by the command that runs the services). */
  readonly rules: readonly AlertRule[];
  /** Where the rules come from; null: they cannot change at run time, so no rule follower. */
  readonly rulesFile: string | null;
  /** The device list, for the tags alert rules scope on. */
  readonly devices: readonly DeviceConfig[];
};

export interface ProcessorService extends Service {
  processor: Processor;
  alerts: AlertStage;
}

const isStatusRule = (r: AlertRule) => r.metric === 'device_unreachable';

export function createProcessorService(log: Logger, config: ProcessorConfig, deps: ServiceDeps): ProcessorService {
  const plog = log.child({ service: 'processor' });
  const { registry, clock } = deps;
  const history = createAlertHistoryStore(config.influx);
  const tags = new Map(config.devices.map((d) => [d.id, d.tags]));
  const stage = (rules: readonly AlertRule[]) => createAlertStage(plog, config, { rules, tagsOf: (id) => tags.get(id) ?? [], registry, history });

  // Alert rules are evaluated in the processor, on the windows it writes.
  const alerts = stage(config.rules.filter((r) => !isStatusRule(r)));
  const processor = createProcessor(plog, config, { registry, clock, store: createInfluxStore(config.influx, { windowSeconds: config.processor.windowSeconds }), alerts, failures: deps.failures });
  const components: Component[] = [processor];
  // device_unreachable rules are evaluated on the collector's status records, by their own consumer.
  const statusRules = config.rules.filter(isStatusRule);
  const statusStage = statusRules.length > 0 ? stage(statusRules) : null;
  if (statusStage) components.push(createReachabilityWatcher(plog, config, { stage: statusStage }));
  // Rule changes on netmon.config apply without a restart
  // (device_unreachable rules only when the processor started with at least one of them).
  if (config.rulesFile) {
    components.push(
      createRuleFollower(plog, config, {
        kafka: createKafka(plog, config.kafka, 'processor-rules'),
        registry,
        initial: config.rules,
        failures: deps.failures,
        apply: async (next) => {
          await alerts.setRules(next.filter((r) => !isStatusRule(r)));
          await statusStage?.setRules(next.filter(isStatusRule));
        },
      }),
    );
  }
  // The notifier runs beside the processor when channels are configured.
  if (Object.keys(config.alerts.channels).length > 0) {
    const nlog = log.child({ service: 'notifier' });
    const actions = createActionsView(nlog, config, { groupPrefix: config.alerts.notifierGroupId });
    components.push(actions, createNotifier(nlog, config, { registry, clock, history, actions, failures: deps.failures }));
  }
  return { components, processor, alerts };
}
