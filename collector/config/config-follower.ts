// Follows the compacted config topic for `device:<id>` records and hands the resulting device set to
// the SNMP input: records are applied to the pure desired set (device-plan.ts), and once per fetched
// batch that changed it the SNMP input works out what to start, stop or update. The Kafka part is
// the shared config-topic follower (common/bus/config-follower.ts).
import { createConfigTopicFollower, type ConfigFollower } from '../../common/bus/config-follower.js';
import type { Kafka } from '../../common/bus/kafka.js';
import type { NetmonConfig, DeviceConfig } from '../../common/config/schema.js';
import type { FailureSink } from '../../common/lifecycle.js';
import type { Logger } from '../../common/log.js';
import type { Registry } from '../../common/metrics.js';
import { createDesiredDevices } from '../inputs/snmp/device-plan.js';

export type { ConfigFollower } from '../../common/bus/config-follower.js';

export function createConfigFollower(
  log: Logger,
  config: Pick<NetmonConfig, 'kafka'>,
  deps: { kafka: Kafka; registry: Registry; initial: readonly DeviceConfig[]; apply: (desired: ReadonlyMap<string, DeviceConfig>) => void; failures?: FailureSink },
): ConfigFollower {
  const desired = createDesiredDevices(deps.initial);
  return createConfigTopicFollower(log, config, deps, {
    name: 'config-follower',
    role: 'collector-config',
    what: 'device-list changes',
    metric: { name: 'netmon_collector_config_records_total', help: 'Config-topic records read, by result' },
    apply: (key, change) => desired.apply(key, change),
    onChanged: () => deps.apply(desired.devices),
  });
}
