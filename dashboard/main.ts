// Wires the dashboard: the Kafka feed of windows, device status and alerts; the device
// administration (devices file + netmon.config) when there is a devices file to administer; the
// rule store when there is a rules file; the acknowledgements/silences view when there are alerts
// to act on; and the fastify server, last. Returned in start order. Takes only its part of the
// configuration; device status comes from netmon.status through the feed, in every mode. With
// dashboard.shared the device and rule stores follow the config topic, and the user sync (started
// before the dashboard) keeps the users the same on every instance.
import type { AlertRule } from '../common/config/alerts-schema.js';
import type { Env } from '../common/config/interpolate.js';
import type { DeviceConfig, NetmonConfig } from '../common/config/schema.js';
import type { Component, Service, ServiceDeps } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import { createActionsView } from '../common/alerts/actions-view.js';
import { createAlertHistoryStore } from '../common/store/alert-history.js';
import { deliveryRedactor } from '../common/alerts/channel-secrets.js';
import { createInfluxStore } from '../common/store/influx.js';
import { createRuleStore } from './alerts/rule-store.js';
import { createKafkaRuleTopic } from './alerts/rule-topic.js';
import { createDeviceAdmin } from './devices/admin.js';
import { createKafkaWindowFeed } from './feed/kafka-window-feed.js';
import { createDashboard, type Dashboard } from './server.js';
import { createUserStore } from './users/user-store.js';
import { createUserSync } from './users/user-sync.js';
import { usersFilePath } from './users/users-path.js';

export type DashboardConfig = Pick<NetmonConfig, 'kafka' | 'influx' | 'dashboard' | 'alerts' | 'collector' | 'processor'> & {
  /** The device list shown when there is no devices file to administer. */
  readonly devices: readonly DeviceConfig[];
  /** The devices file the admin pages edit; null: the device list is read-only. */
  readonly devicesPath: string | null;
  /** The alert rules at start (read once by the command that runs the services). */
  readonly rules: readonly AlertRule[];
  /** The rules file the alerts page edits; null: rules are read-only. */
  readonly rulesFile: string | null;
  /** The environment the devices file's ${VAR} references are read with (LoadedConfig.env: the real environment over .stack/env). */
  readonly env: Env;
};

export interface DashboardService extends Service {
  dashboard: Dashboard;
}

export function createDashboardService(log: Logger, config: DashboardConfig, deps: ServiceDeps): DashboardService {
  const dlog = log.child({ service: 'dashboard' });
  const { registry, clock } = deps;
  const feed = createKafkaWindowFeed(dlog, config, { registry });
  // The device list file + netmon.config, administered from the dashboard (started before it).
  const admin = config.devicesPath ? createDeviceAdmin(dlog, { config, devicesPath: config.devicesPath, env: config.env }, { registry, clock }) : undefined;
  // The alerts API and page; acks and silences through the actions topic (read only when there are
  // rules to acknowledge).
  const ruleStore = config.rulesFile
    ? createRuleStore(dlog, { file: config.rulesFile, channelNames: Object.keys(config.alerts.channels), shared: config.dashboard.shared }, { topic: createKafkaRuleTopic(dlog, config.kafka, { groupIdPrefix: config.dashboard.groupIdPrefix }), clock, registry })
    : null;
  const actions = config.rules.length > 0 || ruleStore ? createActionsView(dlog, config, { groupPrefix: config.dashboard.groupIdPrefix }) : null;
  const windowSeconds = config.processor.windowSeconds;
  // Users beside the devices file (dashboard.auth.usersFile); without a config file, in memory.
  const auth = config.dashboard.auth;
  const userSync = config.dashboard.shared ? createUserSync(dlog, config.kafka, { groupIdPrefix: config.dashboard.groupIdPrefix }, { registry, now: () => clock.now() }) : null;
  const users = createUserStore(dlog, { file: usersFilePath(config.devicesPath, auth.usersFile), adminPassword: auth.adminPassword?.reveal() ?? null, adminToken: auth.adminToken?.reveal() ?? null, replica: userSync ?? undefined });
  userSync?.attach(users);
  const dashboard = createDashboard(dlog, config, {
    registry,
    clock,
    feed,
    // The processor's window length: the recent hours of the history are rolled up from the raw
    // windows here, each weighing windowSeconds of its hour.
    store: createInfluxStore(config.influx, { windowSeconds }),
    devices: () => config.devices,
    statusOf: (id) => feed.statusOf(id),
    windowSeconds,
    admin,
    alerts: { rules: config.rules, history: createAlertHistoryStore(config.influx), actions, ruleStore, redactError: deliveryRedactor(config.alerts.channels) },
    users,
  });
  const components: Component[] = [feed, ...(admin ? [admin.store] : []), ...(actions ? [actions] : []), ...(ruleStore ? [ruleStore] : []), ...(userSync ? [userSync] : []), dashboard];
  return { components, dashboard };
}
