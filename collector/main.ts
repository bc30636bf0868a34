// Wires the collector: the Kafka publisher first (the sink), then the inputs that feed it.
// Returned in start order; the supervisor stops them in reverse (inputs stop before the sink drains).
import type { Clock } from '../common/clock.js';
import type { LoadedConfig } from '../common/config/load.js';
import { createKafka } from '../common/bus/kafka.js';
import type { Component } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import type { Registry } from '../common/metrics.js';
import { createKafkaPublisher, type KafkaPublisher } from './publisher/kafka-publisher.js';
import { createSnmpInput, type SessionFactory, type SnmpInput } from './inputs/snmp/snmp-input.js';

export interface Collector {
  components: Component[];
  publisher: KafkaPublisher;
  snmp: SnmpInput;
}

export function createCollector(log: Logger, loaded: LoadedConfig, deps: { registry: Registry; clock: Clock; sessionFactory?: SessionFactory }): Collector {
  const clog = log.child({ service: 'collector' });
  const kafka = createKafka(clog, loaded.config.kafka, 'collector');
  const publisher = createKafkaPublisher(clog, loaded.config.kafka, { kafka, registry: deps.registry }, { maxQueue: loaded.config.collector.publishQueueSize });
  const snmp = createSnmpInput(clog, loaded.config, { devices: loaded.devices, sink: publisher, clock: deps.clock, registry: deps.registry, sessionFactory: deps.sessionFactory });
  return { components: [publisher, snmp], publisher, snmp };
}
