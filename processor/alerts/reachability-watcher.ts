// The reachability watcher: evaluates device_unreachable rules on the collector's netmon.status
// records (one per poll) in its own consumer group, beside the processor. Status records become
// event-time device windows (status-windows.ts) that go through the same alert stage as the
// processor's windows (evaluation, InfluxDB history, netmon.alerts, persisted states). Offsets are
// committed only below the first record of a window still open, so a restart replays what it needs.
// Limit: netmon.status is compacted (latest record per device), so records not consumed before a
// compaction are gone; that can only shorten what a restart replays, never invent a poll.
import { createKafka, prepareTopics, type Consumer } from '../../common/bus/kafka.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { decodeDeviceStatus } from '../../common/contracts/device-status.js';
import { errorMessage } from '../../common/errors.js';
import type { Component } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import type { AlertStage } from './alert-stage.js';
import { createStatusWindows } from './status-windows.js';
import { windowSeriesKey } from '../../common/contracts/window-result.js';

export interface ReachabilityWatcher extends Component {
  ready(): Promise<void>;
}

export function createReachabilityWatcher(log: Logger, config: Pick<NetmonConfig, 'kafka' | 'processor'>, deps: { stage: AlertStage }): ReachabilityWatcher {
  const wlog = log.child({ component: 'reachability-watcher' });
  const limited = createRateLimitedLog(wlog, 30_000);
  const kafka = createKafka(wlog, config.kafka, 'reachability');
  const windowMs = config.processor.windowSeconds * 1000;
  let tracker = createStatusWindows({ windowMs });
  let consumer: Consumer | null = null;
  let running = false;
  let joined!: () => void;
  const joinedP = new Promise<void>((r) => (joined = r));

  return {
    name: 'reachability-watcher',
    async start() {
      await prepareTopics(kafka, config.kafka);
      await deps.stage.start(kafka);
      running = true;
      consumer = kafka.consumer({ groupId: `${config.processor.groupId}-reachability`, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 1000 });
      const c = consumer;
      let reload = true;
      // A (re)assignment replays from the committed offsets: start the windows afresh and reload the states.
      c.on(c.events.GROUP_JOIN, () => {
        tracker = createStatusWindows({ windowMs });
        reload = true;
        joined();
      });
      await c.connect();
      await c.subscribe({ topic: config.kafka.topics.status, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          if (reload) {
            await deps.stage.reload();
            reload = false;
          }
          const windows = [];
          const fractions = new Map<string, number>();
          for (const m of batch.messages) {
            try {
              const status = decodeDeviceStatus(m.value);
              for (const w of tracker.observe(status, BigInt(m.offset))) {
                windows.push(w.window);
                fractions.set(`${windowSeriesKey(w.window)}@${w.window.windowStart}`, w.unreachable);
              }
            } catch (err) {
              limited('decode', 'warn', { offset: m.offset, err: errorMessage(err) }, 'bad status record skipped');
            }
          }
          const extras = { operDown: () => null, unreachable: (w: { deviceId: string; ifIndex: number | null; windowStart: number }) => fractions.get(`${windowSeriesKey(w)}@${w.windowStart}`) ?? null };
          if (!(await deps.stage.handle(windows, () => running, extras))) return;
          const last = batch.messages[batch.messages.length - 1];
          if (!last) return;
          const next = BigInt(last.offset) + 1n;
          const open = tracker.minOpenOffset();
          const commit = open !== null && open < next ? open : next;
          payload.resolveOffset(last.offset);
          await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: commit.toString() }]);
          await payload.heartbeat();
        },
      });
    },
    async stop() {
      running = false;
      await consumer?.disconnect();
      consumer = null;
      await deps.stage.stop();
    },
    ready: () => joinedP,
  };
}
