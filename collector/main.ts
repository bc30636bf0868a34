// Wires the collector: the Kafka publisher first (the sink), then the inputs that feed it; the SNMP
// input comes with the config follower that changes its device set. Returned in start order; the
// supervisor stops them in reverse (the follower and the inputs stop before the sink drains).
// Takes only its part of the configuration: Kafka, the collector settings and the device list.
import { createKafka } from '../common/bus/kafka.js';
import type { DeviceConfig, NetmonConfig } from '../common/config/schema.js';
import type { Component, Service, ServiceDeps } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import { createKafkaPublisher, type KafkaPublisher } from './publisher/kafka-publisher.js';
import { createSnmpInput, type SessionFactory, type SnmpInput } from './inputs/snmp/snmp-input.js';
import { createFileIdentityStore } from './inputs/snmp/identity-store.js';
import { createConfigFollower, type ConfigFollower } from './config/config-follower.js';

export type CollectorConfig = Pick<NetmonConfig, 'kafka' | 'collector'> & {
  /** The initial device list (devices.yaml); the config topic changes it at run time. */
  readonly devices: readonly DeviceConfig[];
};

export interface CollectorService extends Service {
  publisher: KafkaPublisher;
  snmp: SnmpInput;
  /** Null when collector.followConfigTopic is off. */
  configFollower: ConfigFollower | null;
}

export function createCollectorService(log: Logger, config: CollectorConfig, deps: ServiceDeps & { sessionFactory?: SessionFactory }): CollectorService {
  const clog = log.child({ service: 'collector' });
  const kafka = createKafka(clog, config.kafka, 'collector');
  const publisher = createKafkaPublisher(clog, config.kafka, { kafka, registry: deps.registry }, { maxQueue: config.collector.publishQueueSize, maxQueueBytes: config.collector.maxQueueBytes });
  const stateDir = config.collector.stateDir;
  const identityStore = stateDir ? createFileIdentityStore(stateDir) : undefined;
  const snmp = createSnmpInput(clog, config, { devices: config.devices, sink: publisher, clock: deps.clock, registry: deps.registry, sessionFactory: deps.sessionFactory, identityStore });
  const configFollower = config.collector.followConfigTopic
    ? createConfigFollower(clog, config, { kafka, registry: deps.registry, initial: config.devices, apply: (d) => snmp.applyDevices(d), failures: deps.failures })
    : null;
  // The follower is the SNMP input's device source: it starts after the input and stops before it,
  // as one component (so the service layout stays publisher -> snmp-input).
  const snmpComponent: Component = configFollower
    ? {
        name: snmp.name,
        async start() {
          await snmp.start();
          await configFollower.start();
        },
        async stop() {
          await configFollower.stop();
          await snmp.stop();
        },
      }
    : snmp;
  return { components: [publisher, snmpComponent], publisher, snmp, configFollower };
}
