// Where emitted windows go: InfluxDB (idempotent: keyed by series and window start) and the
// netmon.windows topic (key = device id; consumers dedup on device, interface, start, revision).
// A write is retried with backoff until it succeeds or the processor stops, so a window is never
// silently lost while InfluxDB or Kafka is briefly away. The topic gets sends under the broker's
// record-batch limit (a backlog's windows at once would be refused as too large, forever).
// Fencing (fence.ts): with a gate, every attempt asks it immediately before sending; a refused
// attempt ends the write with false (nothing sent: the member lost the partitions' assignment).
import { batches, KAFKA_MAX_BATCH_BYTES, messageBytes } from '../../common/batching.js';
import type { Producer } from '../../common/bus/kafka.js';
import { encodeWindowResult, type WindowResultInput } from '../../common/contracts/window-result.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { retryWhileRunning } from '../../common/retry.js';
import type { WindowStore } from '../../common/store/influx.js';
import type { WriteGate } from './fence.js';

export interface WindowSink {
  write(windows: readonly WindowResultInput[], isRunning: () => boolean, gate?: WriteGate): Promise<boolean>;
}

export function createWindowSink(log: Logger, deps: { store: WindowStore; producer: Producer; topic: string }): WindowSink {
  const limited = createRateLimitedLog(log, 30_000);
  return {
    async write(windows, isRunning, gate) {
      if (windows.length === 0) return true;
      let fenced = false;
      const retry = async (what: string, fn: () => Promise<unknown>, live: () => boolean): Promise<boolean> => {
        const attempt = gate ? async () => void (fenced ||= !(await gate.write(fn))) : fn;
        return !fenced && (await retryWhileRunning(what, attempt, { isRunning: live, log: limited })) && !fenced;
      };
      // The store and the topic are independent: both are written at once, and both must succeed.
      const publish = async (): Promise<boolean> => {
        const messages = windows.map((w) => ({ key: w.deviceId, value: encodeWindowResult(w) }));
        for (const chunk of batches(messages, messageBytes, { maxBytes: KAFKA_MAX_BATCH_BYTES })) {
          if (!(await retry('windows publish', () => deps.producer.send({ topic: deps.topic, acks: -1, messages: chunk }), isRunning))) return false;
        }
        return true;
      };
      const [stored, published] = await Promise.all([retry('InfluxDB write', () => deps.store.writeWindows(windows), isRunning), publish()]);
      return stored && published && !fenced;
    },
  };
}
