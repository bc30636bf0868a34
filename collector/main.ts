// Wires the collector: the Kafka publisher first (the sink), then the inputs that feed it; the SNMP
// input comes with the config follower that changes its device set. Returned in start order; the
// supervisor stops them in reverse (the follower and the inputs stop before the sink drains).
import type { Clock } from '../common/clock.js';
import type { LoadedConfig } from '../common/config/load.js';
import { createKafka } from '../common/bus/kafka.js';
import type { Component, FailureSink } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import type { Registry } from '../common/metrics.js';
import { createKafkaPublisher, type KafkaPublisher } from './publisher/kafka-publisher.js';
import { createSnmpInput, type SessionFactory, type SnmpInput } from './inputs/snmp/snmp-input.js';
import { createFileIdentityStore } from './inputs/snmp/identity-store.js';
import { createConfigFollower, type ConfigFollower } from './config/config-follower.js';

export interface Collector {
  components: Component[];
  publisher: KafkaPublisher;
  snmp: SnmpInput;
  /** Null when collector.followConfigTopic is off. */
  configFollower: ConfigFollower | null;
}

export function createCollector(log: Logger, loaded: LoadedConfig, deps: { registry: Registry; clock: Clock; sessionFactory?: SessionFactory; failures?: FailureSink }): Collector {
  const clog = log.child({ service: 'collector' });
  const kafka = createKafka(clog, loaded.config.kafka, 'collector');
  const publisher = createKafkaPublisher(clog, loaded.config.kafka, { kafka, registry: deps.registry }, { maxQueue: loaded.config.collector.publishQueueSize });
  const stateDir = loaded.config.collector.stateDir;
  const identityStore = stateDir ? createFileIdentityStore(stateDir) : undefined;
  const snmp = createSnmpInput(clog, loaded.config, { devices: loaded.devices, sink: publisher, clock: deps.clock, registry: deps.registry, sessionFactory: deps.sessionFactory, identityStore });
  const configFollower = loaded.config.collector.followConfigTopic
    ? createConfigFollower(clog, loaded.config, { kafka, registry: deps.registry, initial: loaded.devices, apply: (d) => snmp.applyDevices(d), failures: deps.failures })
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
