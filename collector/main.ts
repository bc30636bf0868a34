// Wires the collector: the Kafka publisher first (the sink), then the inputs that feed it; the SNMP
// input comes with its device source: the config follower (what is configured) and, unless
// collector.groupId is "", the collector group (which share of it this collector polls, with the
// interface identity maps on Kafka so they follow a device to another collector). Returned in start
// order; the supervisor stops them in reverse (the group, the follower and the inputs stop before the
// sink drains), and restarts any of them that reports a failure under its own name. Takes only its part of the configuration: Kafka, the collector settings and the devices.
import { createKafka } from '../common/bus/kafka.js';
import type { DeviceConfig, NetmonConfig } from '../common/config/schema.js';
import type { Component, Service, ServiceDeps } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import { createKafkaPublisher, type KafkaPublisher } from './publisher/kafka-publisher.js';
import { createSnmpInput, type SessionFactory, type SnmpInput } from './inputs/snmp/snmp-input.js';
import { createFileIdentityStore } from './inputs/snmp/identity-store.js';
import { createConfigFollower, type ConfigFollower } from './config/config-follower.js';
import { createCollectorGroup, type CollectorGroup } from './group/collector-group.js';
import { createKafkaIdentityStore } from './group/kafka-identity-store.js';

export type CollectorConfig = Pick<NetmonConfig, 'kafka' | 'collector'> & {
  /** The initial device list (devices.yaml); the config topic changes it at run time. */
  readonly devices: readonly DeviceConfig[];
};

export interface CollectorService extends Service {
  publisher: KafkaPublisher;
  snmp: SnmpInput;
  /** Null when collector.followConfigTopic is off. */
  configFollower: ConfigFollower | null;
  /** Null when collector.groupId is "" (this collector polls every device). */
  group: CollectorGroup | null;
}

export function createCollectorService(log: Logger, config: CollectorConfig, deps: ServiceDeps & { sessionFactory?: SessionFactory }): CollectorService {
  const clog = log.child({ service: 'collector' });
  const kafka = createKafka(clog, config.kafka, 'collector');
  const publisher = createKafkaPublisher(clog, config.kafka, { kafka, registry: deps.registry }, { maxQueue: config.collector.publishQueueSize, maxQueueBytes: config.collector.maxQueueBytes });
  const stateDir = config.collector.stateDir;
  const fileStore = stateDir ? createFileIdentityStore(stateDir) : undefined;
  const grouped = config.collector.groupId !== '';
  const kafkaStore = grouped ? createKafkaIdentityStore(clog, { topic: config.kafka.topics.collectorState, groupId: config.collector.groupId, sink: publisher, fallback: fileStore }) : undefined;
  // In a group the input starts with no device: the group's assignment says which it polls.
  const snmp = createSnmpInput(clog, config, { devices: grouped ? [] : config.devices, sink: publisher, clock: deps.clock, registry: deps.registry, sessionFactory: deps.sessionFactory, identityStore: kafkaStore ?? fileStore });
  const group = kafkaStore ? createCollectorGroup(clog, config, { kafka, registry: deps.registry, snmp, identity: kafkaStore, initial: config.devices, failures: deps.failures }) : null;
  const configFollower = config.collector.followConfigTopic
    ? createConfigFollower(clog, config, { kafka, registry: deps.registry, initial: config.devices, apply: (d) => (group ? group.setDesired(d) : snmp.applyDevices(d)), failures: deps.failures })
    : null;
  // The device sources are components of their own, started after the SNMP input they feed and
  // stopped before it: a source that fails (its consumer crashed for good) is restarted alone by the
  // supervisor under the name it reports, instead of ending the process as an unknown component.
  const components: Component[] = [publisher, snmp, ...[configFollower, group].filter((s): s is NonNullable<typeof s> => s !== null)];
  return { components, publisher, snmp, configFollower, group };
}
