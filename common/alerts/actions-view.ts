// A live view of the alert-actions topic (acknowledgements, silences): read from the beginning at
// start (start() resolves once caught up with the topic's end, bounded in time), then kept up to date;
// publish() writes an action durably (acks = all) and applies it locally at once. Each holder (the
// notifier, each dashboard) reads in its own throw-away consumer group: they all see every action.
import { randomBytes } from 'node:crypto';
import { partitionEnds } from '../bus/compacted-topic.js';
import { createKafka, defaultPartitioner, prepareTopics, type Consumer, type Producer } from '../bus/kafka.js';
import type { NetmonConfig } from '../config/schema.js';
import { errorMessage, NetmonError, ErrorCodes } from '../errors.js';
import type { Component } from '../lifecycle.js';
import { createRateLimitedLog, type Logger } from '../log.js';
import { actionKey, AlertActions, type AlertAction } from './actions.js';

export interface ActionsView extends Component {
  readonly actions: AlertActions;
  publish(a: AlertAction): Promise<void>;
  /** Deletes an action (a tombstone), e.g. lifting a silence. */
  remove(key: string): Promise<void>;
}

export function createActionsView(log: Logger, config: Pick<NetmonConfig, 'kafka'>, opts: { groupPrefix: string; catchUpTimeoutMs?: number }): ActionsView {
  const limited = createRateLimitedLog(log, 30_000);
  const topic = config.kafka.topics.alertActions;
  const actions = new AlertActions();
  const kafka = createKafka(log, config.kafka, 'alert-actions');
  let consumer: Consumer | null = null;
  let producer: Producer | null = null;
  const groupId = `${opts.groupPrefix}-actions-${randomBytes(4).toString('hex')}`;

  function apply(key: string | undefined, value: Buffer | null): void {
    if (key === undefined) return;
    try {
      actions.apply(key, value);
    } catch (err) {
      limited('action-decode', 'warn', { key, err: errorMessage(err) }, 'unreadable alert action ignored');
    }
  }

  return {
    name: 'alert-actions',
    actions,
    async start() {
      await prepareTopics(kafka, config.kafka);
      const todo = await partitionEnds(kafka, topic);
      producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let caughtUp!: () => void;
      const done = new Promise<void>((r) => (caughtUp = r));
      if (todo.size === 0) caughtUp();
      await consumer.run({
        autoCommit: false,
        eachMessage: ({ partition, message }) => {
          apply(message.key?.toString('utf8'), message.value);
          const high = todo.get(partition);
          if (high !== undefined && BigInt(message.offset) + 1n >= high) {
            todo.delete(partition);
            if (todo.size === 0) caughtUp();
          }
          return Promise.resolve();
        },
      });
      const timeoutMs = opts.catchUpTimeoutMs ?? 60_000;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([done, new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new NetmonError(ErrorCodes.KAFKA, `reading ${topic} took longer than ${timeoutMs} ms`, { retriable: true })), timeoutMs);
        })]);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop() {
      await consumer?.disconnect();
      await producer?.disconnect();
      consumer = null;
      producer = null;
      const admin = kafka.admin();
      await admin.connect().then(() => admin.deleteGroups([groupId])).catch(() => undefined).finally(() => void admin.disconnect());
    },
    async publish(a) {
      if (!producer) throw new NetmonError(ErrorCodes.KAFKA, 'alert actions: not started', { retriable: true });
      const key = actionKey(a);
      const value = JSON.stringify(a);
      await producer.send({ topic, acks: -1, messages: [{ key, value }] });
      actions.apply(key, value);
    },
    async remove(key) {
      if (!producer) throw new NetmonError(ErrorCodes.KAFKA, 'alert actions: not started', { retriable: true });
      await producer.send({ topic, acks: -1, messages: [{ key, value: null }] });
      actions.apply(key, null);
    },
  };
}
