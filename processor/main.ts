// Wires the processor: the InfluxDB store and the consumer-group member that feeds the window engine.
import type { Clock } from '../common/clock.js';
import type { NetmonConfig } from '../common/config/schema.js';
import type { Logger } from '../common/log.js';
import type { Registry } from '../common/metrics.js';
import { createInfluxStore } from '../common/store/influx.js';
import { createProcessor, type Processor } from './pipeline/processor.js';
import type { AlertStage } from './alerts/alert-stage.js';

export function createProcessorService(log: Logger, config: NetmonConfig, deps: { registry: Registry; clock: Clock; alerts?: AlertStage }): { components: [Processor]; processor: Processor } {
  const plog = log.child({ service: 'processor' });
  const store = createInfluxStore(config.influx, { windowSeconds: config.processor.windowSeconds });
  const processor = createProcessor(plog, config, { registry: deps.registry, clock: deps.clock, store, alerts: deps.alerts });
  return { components: [processor], processor };
}
