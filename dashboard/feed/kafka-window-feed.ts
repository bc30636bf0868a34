// The Kafka window feed: consumes netmon.windows and hands each decoded WindowResult to a memory
// feed (recent buffer + subscribers). Every dashboard instance must see every record, so each one
// joins its own consumer group (prefix-hostname-pid-random), starts at the latest offset and
// commits nothing: history comes from InfluxDB, not from replaying the topic.
// It also consumes netmon.status (compacted: read from the beginning, so the latest status of every
// device is known at once) and netmon.alerts (from the latest offset), relayed to event subscribers.
// A status tombstone (the collector stopped polling the device: it left the configuration or was
// disabled) makes the feed drop everything it keeps for that device.
// Rules: a record that does not decode is counted and logged (rate limited), never fatal; a
// consumer crash kafkajs will not restart itself is reported to the failure sink.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createKafka, prepareTopics, type Consumer } from '../../common/bus/kafka.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { decodeAlertEvent } from '../../common/contracts/alert-event.js';
import { decodeDeviceStatus, type DeviceStatus } from '../../common/contracts/device-status.js';
import { decodeWindowResult } from '../../common/contracts/window-result.js';
import { errorMessage } from '../../common/errors.js';
import type { Component, FailureSink } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, Gauge, type Registry } from '../../common/metrics.js';
import { createMemoryFeed, type WindowFeed } from './window-feed.js';

export interface KafkaWindowFeed extends Component, WindowFeed {
  /** Resolves once the consumer has joined its group (consumer.run() resolves before that). */
  ready(): Promise<void>;
  /** The consumer group this instance uses (unique per process). */
  readonly groupId: string;
  /** The latest status of a device, from netmon.status. */
  statusOf(deviceId: string): DeviceStatus | undefined;
}

export function createKafkaWindowFeed(
  log: Logger,
  config: Pick<NetmonConfig, 'kafka' | 'dashboard'>,
  deps: { registry: Registry; failures?: FailureSink },
): KafkaWindowFeed {
  const name = 'dashboard-window-feed';
  const topic = config.kafka.topics.windows;
  const statusTopic = config.kafka.topics.status;
  const alertsTopic = config.kafka.topics.alerts;
  const groupId = `${config.dashboard.groupIdPrefix}-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const kafka = createKafka(log, config.kafka, 'dashboard');
  const forgotten = new Counter({ name: 'netmon_dashboard_devices_forgotten_total', help: 'Devices whose kept windows and status the dashboard dropped: removed (status tombstone) or evicted (over the device bound)', labelNames: ['reason'], registers: [deps.registry] });
  const feed = createMemoryFeed({ perSeries: config.dashboard.recentWindows, onForget: (_id, reason) => forgotten.inc({ reason }) });
  new Gauge({ name: 'netmon_dashboard_feed_devices', help: 'Devices the dashboard keeps recent windows or a status for', registers: [deps.registry], collect() { this.set(feed.stateSize().devices); } });
  const limited = createRateLimitedLog(log, 30_000);
  const received = new Counter({ name: 'netmon_dashboard_records_received_total', help: 'Window records received from Kafka', registers: [deps.registry] });
  const bad = new Counter({ name: 'netmon_dashboard_bad_records_total', help: 'Window records that failed decoding (skipped)', registers: [deps.registry] });

  let resolveReady: () => void = () => {};
  const joined = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  let consumer: Consumer | null = null;

  /** Decodes and relays a status or alert record; a bad one is counted and skipped like a bad window. */
  function handleEvent(from: string, key: Buffer | null, value: Buffer | null, partition: number, offset: string): void {
    received.inc();
    try {
      if (from === statusTopic && value === null && key !== null) feed.forgetDevice(key.toString('utf8'), 'removed');
      else if (from === statusTopic) feed.pushStatus(decodeDeviceStatus(value));
      else feed.pushAlert(decodeAlertEvent(value));
    } catch (err) {
      bad.inc();
      limited(`decode-${from}`, 'warn', { topic: from, partition, offset, err: errorMessage(err) }, 'skipped a record that does not decode (or a subscriber failed)');
    }
  }

  function handle(value: Buffer | null, partition: number, offset: string): void {
    received.inc();
    let w;
    try {
      w = decodeWindowResult(value);
    } catch (err) {
      bad.inc();
      limited('decode', 'warn', { topic, partition, offset, err: errorMessage(err) }, 'skipped a window record that does not decode');
      return;
    }
    try {
      feed.push(w);
    } catch (err) {
      // A subscriber's bug must not make kafkajs retry (and re-deliver) the record forever.
      limited('listener', 'error', { err: errorMessage(err) }, 'a window subscriber failed');
    }
  }

  return {
    name,
    groupId,
    subscribe: (listener) => feed.subscribe(listener),
    recent: () => feed.recent(),
    top: (n) => feed.top(n),
    subscribeEvents: (listener) => feed.subscribeEvents(listener),
    subscribeForget: (listener) => feed.subscribeForget(listener),
    statuses: () => feed.statuses(),
    statusOf: (deviceId) => feed.statusOf(deviceId),
    alerts: () => feed.alerts(),
    ready: () => joined,
    async start() {
      // Creates missing topics with netmon's shape rather than letting the broker auto-create them.
      await prepareTopics(kafka, config.kafka);
      const c = kafka.consumer({ groupId, allowAutoTopicCreation: false });
      consumer = c;
      c.on(c.events.GROUP_JOIN, () => resolveReady());
      c.on(c.events.CRASH, ({ payload }) => {
        if (!payload.restart) deps.failures?.fail(name, payload.error);
      });
      await c.connect();
      await c.subscribe({ topics: [topic, alertsTopic], fromBeginning: false });
      await c.subscribe({ topic: statusTopic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        // A batch at a time: eachMessage's per-record promise, heartbeat check and seek lookup were
        // a few percent of the dashboard's CPU per window (bench:dashboard-intake's profile).
        eachBatch: async (payload) => {
          const batch = payload.batch;
          const from = batch.topic;
          for (const message of batch.messages) {
            if (from === topic) handle(message.value, batch.partition, message.offset);
            else handleEvent(from, message.key, message.value, batch.partition, message.offset);
          }
          await payload.heartbeat();
        },
      });
      log.info({ topic, statusTopic, alertsTopic, groupId }, 'consuming windows, device status and alerts');
    },
    async stop() {
      const c = consumer;
      consumer = null;
      await c?.disconnect();
    },
  };
}
