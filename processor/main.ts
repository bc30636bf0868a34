// Wires the processor: the InfluxDB store and the consumer-group member that feeds the window engine.
import type { Clock } from '../common/clock.js';
import type { NetmonConfig } from '../common/config/schema.js';
import type { Logger } from '../common/log.js';
import type { Registry } from '../common/metrics.js';
import { createInfluxStore } from '../common/store/influx.js';
import { createProcessor, type Processor } from './pipeline/processor.js';

export function createProcessorService(log: Logger, config: NetmonConfig, deps: { registry: Registry; clock: Clock }): { components: [Processor]; processor: Processor } {
  const plog = log.child({ service: 'processor' });
  const store = createInfluxStore(config.influx, { windowSeconds: config.processor.windowSeconds });
  const processor = createProcessor(plog, config, { registry: deps.registry, clock: deps.clock, store });
  return { components: [processor], processor };
}
