// Device administration, assembled: the device store (file + netmon.config) and the live probe,
// built from the dashboard's part of the configuration. dashboard/main.ts starts the store before
// the dashboard (it is a Component) and hands `admin` to createDashboard, which registers the routes.
import { systemClock, type Clock } from '../../common/clock.js';
import type { Env } from '../../common/config/interpolate.js';
import type { DeviceConfig, NetmonConfig } from '../../common/config/schema.js';
import type { Logger } from '../../common/log.js';
import type { Registry } from '../../common/metrics.js';
import { createKafkaConfigTopic, type ConfigTopic } from './config-topic.js';
import { createDeviceStore, type DeviceStore } from './device-store.js';
import { probeDevice, type ProbeResult } from './probe.js';

export interface DeviceAdmin {
  store: DeviceStore;
  probe: (device: DeviceConfig) => Promise<ProbeResult>;
}

export function createDeviceAdmin(log: Logger, loaded: { config: Pick<NetmonConfig, 'kafka' | 'collector' | 'dashboard'>; devicesPath: string; env: Env }, deps: { registry: Registry; clock?: Clock; topic?: ConfigTopic; debounceMs?: number }): DeviceAdmin {
  const { config } = loaded;
  const file = loaded.devicesPath;
  const topic = deps.topic ?? createKafkaConfigTopic(log, config.kafka, { groupIdPrefix: config.dashboard.groupIdPrefix });
  const store = createDeviceStore(log, { file, debounceMs: deps.debounceMs, env: loaded.env, shared: config.dashboard.shared }, { topic, clock: deps.clock ?? systemClock, registry: deps.registry });
  const c = config.collector;
  return {
    store,
    probe: (device) => probeDevice(device, { timeoutMs: c.timeoutMs, retries: c.retries, maxRepetitions: c.maxRepetitions }),
  };
}
