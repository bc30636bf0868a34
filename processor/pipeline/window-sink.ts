// Where emitted windows go: InfluxDB (idempotent: keyed by series and window start) and the
// netmon.windows topic (key = device id; consumers dedup on device, interface, start, revision).
// Two kinds of failure (common/retry.ts): a transient one (network, timeouts, 5xx, broker away) is
// retried with backoff until it succeeds or the processor stops, the dependency shown down in the
// process's health meanwhile, so a window is never silently lost; a permanent one (InfluxDB refuses
// a point, the broker refuses a record) sends just the refused windows to the dead-letter topic with
// the reason, and the rest is written. The topic gets sends under its max.message.bytes (`maxBytes`,
// read by the processor at start: a backlog's windows at once would be refused as too large,
// forever); a window record alone above it is refused without a send, as `rejected: ... too large`.
// Fencing (fence.ts): with a gate, every attempt asks it immediately before sending; a refused
// attempt ends the write with false (nothing sent: the member lost the partitions' assignment).
// Cost (one window record per interface-sample at 60 s polls): each value is encoded to bytes once,
// here, and sized from its length; a send carries at most MAX_RECORDS_PER_SEND records, because
// kafkajs groups a send's records per partition by copying the partition's list for every record
// (quadratic in the records per partition of one send).
import { batches, RECORD_OVERHEAD_BYTES } from '../../common/batching.js';
import { DEFAULT_SEND_BOUND } from '../../common/bus/message-limit.js';
import type { Producer } from '../../common/bus/kafka.js';
import { encodeWindowResult, type WindowResultInput } from '../../common/contracts/window-result.js';
import { errorMessage } from '../../common/errors.js';
import type { Health } from '../../common/health.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { isPermanent, retryWhileRunning } from '../../common/retry.js';
import type { RejectedWindow, WindowStore } from '../../common/store/influx.js';
import { publishDeadLetters, type DeadLetter, type DeadLetterDeps } from './dead-letters.js';
import type { WriteGate } from './fence.js';

export interface WindowSink {
  write(windows: readonly WindowResultInput[], isRunning: () => boolean, gate?: WriteGate): Promise<boolean>;
}

type Message = { key: string; value: Buffer };

/**
 * Records per windows-topic send, at most. Smaller costs a round trip per send; larger, kafkajs's
 * per-partition grouping (see the header): on 12 partitions it took 1.6 s per 539,000 records in
 * sends of 1,700 (what 1 MB holds) and 0.7 s in sends of 1,000; 250 drained no cheaper than 1,000.
 */
export const MAX_RECORDS_PER_SEND = 1000;

/** What a window record takes in a record batch, at most (as common/batching.ts recordBytes, for a byte value). */
function messageSize(m: Message): number {
  return Buffer.byteLength(m.key) + m.value.length + RECORD_OVERHEAD_BYTES;
}
/** Wraps one send attempt (in the fence's gate, when there is one). */
type Through = (fn: () => Promise<unknown>) => () => Promise<unknown>;

/** A window a sink refused, as a dead letter: where it was going, its device as the key, the window as the value. */
export function windowDeadLetter(destination: string, w: WindowResultInput, reason: string): DeadLetter {
  return { reason: `rejected: ${reason}`, field: null, topic: destination, partition: -1, offset: '-1', key: w.deviceId, value: encodeWindowResult(w) };
}

export function createWindowSink(log: Logger, deps: { store: WindowStore; producer: Producer; topic: string; deadLetters?: Omit<DeadLetterDeps, 'log'>; health?: Health; maxBytes?: number }): WindowSink {
  const maxBytes = deps.maxBytes ?? DEFAULT_SEND_BOUND;
  const limited = createRateLimitedLog(log, 30_000);
  const retry = (what: string, dependency: string, fn: () => Promise<unknown>, isRunning: () => boolean) =>
    retryWhileRunning(what, fn, { isRunning, log: limited, rethrowPermanent: true, health: deps.health ? { tracker: deps.health, dependency } : undefined });

  /** Sends a chunk; a chunk the broker refuses for good is sent one message at a time, and what is still refused comes back. */
  async function publishChunk(chunk: Message[], windows: readonly WindowResultInput[], isRunning: () => boolean, refused: RejectedWindow[], through: Through): Promise<boolean> {
    const send = (messages: Message[]) => retry('windows publish', 'kafka', through(() => deps.producer.send({ topic: deps.topic, acks: -1, messages })), isRunning);
    if (chunk.length === 1 && messageSize(chunk[0]) > maxBytes) {
      // The broker would refuse it for good: not sent at all.
      refused.push({ window: windows[0], reason: `the window record is too large for ${deps.topic}: ${messageSize(chunk[0])} bytes, one send may carry ${maxBytes}` });
      return true;
    }
    try {
      return await send(chunk);
    } catch (err) {
      if (!isPermanent(err)) throw err;
    }
    for (const [i, m] of chunk.entries()) {
      try {
        if (!(await send([m]))) return false;
      } catch (err) {
        if (!isPermanent(err)) throw err;
        refused.push({ window: windows[i], reason: `the broker refused the window record: ${errorMessage(err)}` });
      }
    }
    return true;
  }

  return {
    async write(windows, isRunning, gate) {
      if (windows.length === 0) return true;
      // Each attempt through the fence; once it refuses, nothing more is tried and the write is false.
      let fenced = false;
      const through: Through = (fn) => (gate ? async () => void (fenced ||= !(await gate.write(fn))) : fn);
      const live = () => isRunning() && !fenced;
      const storeRefused: RejectedWindow[] = [];
      const topicRefused: RejectedWindow[] = [];
      // The store and the topic are independent: both are written at once, and both must succeed.
      const store = () => retry('InfluxDB write', 'influxdb', through(async () => {
        storeRefused.length = 0;
        storeRefused.push(...((await deps.store.writeWindows(windows)) ?? []));
      }), live);
      const publish = async (): Promise<boolean> => {
        const messages = windows.map((w): Message => ({ key: w.deviceId, value: Buffer.from(encodeWindowResult(w)) }));
        let at = 0;
        for (const chunk of batches(messages, messageSize, { maxBytes, maxCount: MAX_RECORDS_PER_SEND })) {
          if (!(await publishChunk(chunk, windows.slice(at, at + chunk.length), live, topicRefused, through))) return false;
          at += chunk.length;
        }
        return true;
      };
      const [stored, published] = await Promise.all([store(), publish()]);
      if (!stored || !published || fenced) return false;
      const dead = [
        ...storeRefused.map((r) => windowDeadLetter('influxdb', r.window, r.reason)),
        ...topicRefused.map((r) => windowDeadLetter(deps.topic, r.window, r.reason)),
      ];
      if (dead.length === 0) return true;
      limited('window-rejected', 'warn', { windows: dead.length, reason: dead[0].reason }, 'windows refused for good; dead-lettered');
      if (!deps.deadLetters) return true;
      const letters = deps.deadLetters;
      let sent = false;
      await through(async () => void (sent = await publishDeadLetters(deps.producer, dead, live, { ...letters, log: limited })))();
      return sent && !fenced;
    },
  };
}
