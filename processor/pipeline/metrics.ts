// The processor's metrics, registered with the service's registry when the processor is created.
// Rules: everything that moves gets a counter; the per-partition gauges are removed when the
// partition leaves this member (partitions.ts).
import { Counter, Gauge, type Registry } from '../../common/metrics.js';

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;

export function createProcessorMetrics(registry: Registry) {
  const reg = [registry];
  return {
    records: new Counter({ name: 'netmon_processor_records_total', help: 'Records consumed from the samples topic', registers: reg }),
    deadLetters: new Counter({ name: 'netmon_processor_dead_letters_total', help: 'Records sent to the dead-letter topic', labelNames: ['reason'], registers: reg }),
    windowsEmitted: new Counter({ name: 'netmon_processor_windows_emitted_total', help: 'Window results emitted', labelNames: ['kind'], registers: reg }),
    windowsWritten: new Counter({ name: 'netmon_processor_windows_written_total', help: 'Window results written to InfluxDB and the windows topic (emitted minus written: the write-behind backlog)', registers: reg }),
    revisions: new Counter({ name: 'netmon_processor_window_revisions_total', help: 'Window results re-emitted as a new revision', registers: reg }),
    events: new Counter({ name: 'netmon_processor_events_total', help: 'Counter events: resets (discontinuities), gaps, implausible rates, out-of-order and late data', labelNames: ['kind'], registers: reg }),
    staleBatches: new Counter({ name: 'netmon_processor_stale_batches_total', help: 'Batches that finished after the group was joined again: not resolved to kafkajs, their partitions read again from the commit', registers: reg }),
    replayed: new Counter({ name: 'netmon_processor_replayed_records_total', help: 'Records replayed after a restart or rebalance to rebuild state (their output was written before)', registers: reg }),
    lag: new Gauge({ name: 'netmon_processor_consumer_lag', help: 'Records in the samples topic not yet consumed, per partition', labelNames: ['partition'], registers: reg }),
    replaySpan: new Gauge({ name: 'netmon_processor_checkpoint_replay_records', help: 'Records a restart would replay (batch end minus committed offset), per partition', labelNames: ['partition'], registers: reg }),
  };
}
