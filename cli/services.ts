// Assembles the long-running services from one validated configuration: the collector, the
// processor, the dashboard, or all three in one process (same components, one shared metrics
// registry), and runs them under the supervisor.
import { systemClock } from '../common/clock.js';
import type { LoadedConfig } from '../common/config/load.js';
import { createSupervisor, type Component, type FailureSink } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import { createMetricsServer, createRegistry } from '../common/metrics.js';
import { createInfluxStore } from '../common/store/influx.js';
import { createCollector } from '../collector/main.js';
import { createProcessorService } from '../processor/main.js';
import { createDashboard } from '../dashboard/server.js';
import { createKafkaWindowFeed } from '../dashboard/feed/kafka-window-feed.js';
import { createDeviceAdmin } from '../dashboard/devices/admin.js';
import { createAlertStage } from '../processor/alerts/alert-stage.js';
import { createAlertHistoryStore } from '../common/store/alert-history.js';
import { loadAlertRules } from '../common/config/alert-rules.js';
import { createActionsView } from '../common/alerts/actions-view.js';
import { createNotifier } from '../processor/alerts/notifier.js';
import { createReachabilityWatcher } from '../processor/alerts/reachability-watcher.js';
import { createKafka } from '../common/bus/kafka.js';
import { alertRulesFilePath } from '../common/config/alerts-file.js';
import { createRuleFollower } from '../processor/alerts/rule-follower.js';
import { createRuleStore } from '../dashboard/alerts/rule-store.js';
import { createKafkaRuleTopic } from '../dashboard/alerts/rule-topic.js';

export type ServiceName = 'collector' | 'processor' | 'dashboard' | 'all';
type Part = 'collector' | 'processor' | 'dashboard';

export const SERVICE_COMMANDS: Record<ServiceName, readonly Part[]> = {
  collector: ['collector'],
  processor: ['processor'],
  dashboard: ['dashboard'],
  all: ['collector', 'processor', 'dashboard'],
};

export interface Assembled {
  components: Component[];
  dashboardUrl: () => string | null;
}

export function assemble(log: Logger, loaded: LoadedConfig, parts: readonly Part[], failures?: FailureSink): Assembled {
  const registry = createRegistry();
  const clock = systemClock;
  const components: Component[] = [];
  let statusOf: ((id: string) => unknown) | undefined;
  if (parts.includes('collector')) {
    const c = createCollector(log, loaded, { registry, clock, failures });
    components.push(...c.components);
    statusOf = (id) => c.snmp.statusOf(id);
  }
  if (parts.includes('processor')) {
    // Alert rules are evaluated in the processor, on the windows it writes.
    const rules = loadAlertRules(loaded.config, loaded.configPath);
    const tags = new Map(loaded.devices.map((d) => [d.id, d.tags]));
    const stage = (ruleSet: typeof rules) => createAlertStage(log.child({ service: 'processor' }), loaded.config, { rules: ruleSet, tagsOf: (id) => tags.get(id) ?? [], registry, history: createAlertHistoryStore(loaded.config.influx) });
    const alerts = stage(rules.filter((r) => r.metric !== 'device_unreachable'));
    components.push(...createProcessorService(log, loaded.config, { registry, clock, alerts }).components);
    // device_unreachable rules are evaluated on the collector's status records, by their own consumer.
    const statusRules = rules.filter((r) => r.metric === 'device_unreachable');
    const statusStage = statusRules.length > 0 ? stage(statusRules) : null;
    if (statusStage) components.push(createReachabilityWatcher(log.child({ service: 'processor' }), loaded.config, { stage: statusStage }));
    // Rule changes on netmon.config apply without a restart
    // (device_unreachable rules only when the processor started with at least one of them).
    if (alertRulesFilePath(loaded.config, loaded.configPath)) {
      const plog = log.child({ service: 'processor' });
      components.push(createRuleFollower(plog, loaded.config, {
        kafka: createKafka(plog, loaded.config.kafka, 'processor-rules'),
        registry,
        initial: rules,
        failures,
        apply: async (next) => {
          await alerts.setRules(next.filter((r) => r.metric !== 'device_unreachable'));
          await statusStage?.setRules(next.filter((r) => r.metric === 'device_unreachable'));
        },
      }));
    }
    // The notifier runs beside the processor when channels are configured.
    if (Object.keys(loaded.config.alerts.channels).length > 0) {
      const nlog = log.child({ service: 'notifier' });
      const actions = createActionsView(nlog, loaded.config, { groupPrefix: loaded.config.alerts.notifierGroupId });
      components.push(actions, createNotifier(nlog, loaded.config, { registry, clock, history: createAlertHistoryStore(loaded.config.influx), actions }));
    }
  }
  let url: () => string | null = () => null;
  if (parts.includes('dashboard')) {
    const dlog = log.child({ service: 'dashboard' });
    const feed = createKafkaWindowFeed(dlog, loaded.config, { registry });
    // The device list file + netmon.config, administered from the dashboard (started before it).
    // Without a config file there is no devices file to administer: the list is read-only.
    const admin = loaded.devicesPath ? createDeviceAdmin(dlog, { config: loaded.config, devicesPath: loaded.devicesPath }, { registry, clock }) : undefined;

    // The alerts API and page; acks and silences through the actions topic (read
    // only when there are rules to acknowledge).
    const alertRules = loadAlertRules(loaded.config, loaded.configPath);
    const rulesFile = alertRulesFilePath(loaded.config, loaded.configPath);
    const ruleStore = rulesFile ? createRuleStore(dlog, { file: rulesFile, channelNames: Object.keys(loaded.config.alerts.channels) }, { topic: createKafkaRuleTopic(dlog, loaded.config.kafka, { groupIdPrefix: loaded.config.dashboard.groupIdPrefix }), clock, registry }) : null;
    const alertActions = alertRules.length > 0 || ruleStore ? createActionsView(dlog, loaded.config, { groupPrefix: loaded.config.dashboard.groupIdPrefix }) : null;
    const dashboard = createDashboard(dlog, loaded.config, {
      registry,
      feed,
      store: createInfluxStore(loaded.config.influx),
      devices: () => loaded.devices,
      statusOf,
      windowSeconds: loaded.config.processor.windowSeconds,
      admin,
      alerts: { rules: alertRules, history: createAlertHistoryStore(loaded.config.influx), actions: alertActions, ruleStore },
    });
    components.push(feed, ...(admin ? [admin.store] : []), ...(alertActions ? [alertActions] : []), ...(ruleStore ? [ruleStore] : []), dashboard);
    url = () => dashboard.url();
  }
  // Without a dashboard in the process, each service serves its own /metrics.
  const listen = parts.includes('dashboard') ? '' : parts.includes('collector') ? loaded.config.collector.metricsListen : loaded.config.processor.metricsListen;
  if (listen) {
    const i = listen.lastIndexOf(':');
    components.unshift(createMetricsServer(log, { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) }, registry));
  }
  return { components, dashboardUrl: url };
}

export async function runServices(log: Logger, loaded: LoadedConfig, parts: readonly Part[]): Promise<number> {
  const supervisor = createSupervisor(log);
  // A component that cannot go on (e.g. the collector's config follower) shuts the process down.
  const { components, dashboardUrl } = assemble(log, loaded, parts, supervisor);
  // Started last, so the line appears once everything is up: the one thing a person looks for.
  const announce: Component = {
    name: 'announce',
    start() {
      const url = dashboardUrl();
      process.stderr.write(url ? `netmon: dashboard at ${url}\n` : `netmon: ${parts.join(' + ')} running\n`);
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  };
  const done = supervisor.run([...components, announce]);
  return done.finally(() => {
    const url = dashboardUrl();
    if (url) log.info({ url }, 'dashboard stopped');
  });
}
