// Follows the compacted config topic (kafka.topics.config): every instance of a service needs the
// whole content, so it reads the topic from the beginning in a consumer group of its own (a unique
// id, offsets never committed) and then keeps following it. Each record is decoded and handed to
// `apply` (pure state, e.g. the desired device set); once per fetched batch that changed something,
// `onChanged` runs. A bad record is counted and logged with what is wrong; the others still apply.
// Used by the collector (devices) and the processor (alert rules).
import { randomBytes } from 'node:crypto';
import { prepareTopics, type Consumer, type Kafka } from './kafka.js';
import type { NetmonConfig } from '../config/schema.js';
import { decodeConfigChange, type ConfigChange } from '../contracts/config-change.js';
import { errorMessage } from '../errors.js';
import type { Component, FailureSink } from '../lifecycle.js';
import { createRateLimitedLog, type Logger } from '../log.js';
import { Counter, type Registry } from '../metrics.js';

export interface ConfigFollower extends Component {
  readonly groupId: string;
  /** Config records seen so far. */
  seen(): number;
}

export interface ConfigFollowerSpec {
  /** Component name, also what a fatal consumer crash is reported as. */
  name: string;
  /** Part of the unique group id, e.g. "collector-config". */
  role: string;
  /** For the log line, e.g. "device-list changes". */
  what: string;
  /** Counter of records by result (applied, unchanged, rejected); shared when several followers share a registry. */
  metric: { name: string; help: string };
  /** Records whose key this follower takes (default: all). */
  accepts?: (key: string) => boolean;
  /** Applies one record (null = tombstone); true when it changed something. Throws on a bad record. */
  apply: (key: string, change: ConfigChange | null) => boolean;
  /** After a batch that changed something. */
  onChanged: () => void | Promise<void>;
}

export function createConfigTopicFollower(log: Logger, config: Pick<NetmonConfig, 'kafka'>, deps: { kafka: Kafka; registry: Registry; failures?: FailureSink }, spec: ConfigFollowerSpec): ConfigFollower {
  const topic = config.kafka.topics.config;
  const groupId = `${config.kafka.clientId}-${spec.role}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const limited = createRateLimitedLog(log, 60_000);
  const records =
    (deps.registry.getSingleMetric(spec.metric.name) as Counter<'result'> | undefined) ??
    new Counter({ name: spec.metric.name, help: spec.metric.help, labelNames: ['result'], registers: [deps.registry] });
  let consumer: Consumer | null = null;
  let count = 0;

  return {
    name: spec.name,
    groupId,
    seen: () => count,
    async start() {
      await prepareTopics(deps.kafka, config.kafka);
      const c = deps.kafka.consumer({ groupId, allowAutoTopicCreation: false });
      consumer = c;
      c.on(c.events.CRASH, ({ payload }) => {
        if (!payload.restart) deps.failures?.fail(spec.name, payload.error);
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          let changed = false;
          for (const m of batch.messages) {
            count++;
            const key = m.key?.toString() ?? '';
            if (spec.accepts && !spec.accepts(key)) continue;
            try {
              const applied = spec.apply(key, decodeConfigChange(m.value));
              records.inc({ result: applied ? 'applied' : 'unchanged' });
              changed ||= applied;
            } catch (err) {
              records.inc({ result: 'rejected' });
              limited(`bad:${key}`, 'warn', { topic, offset: m.offset, key, err: errorMessage(err) }, `${spec.name}: config record rejected`);
            }
          }
          if (changed) await spec.onChanged();
        },
      });
      log.info({ topic, groupId }, `following ${spec.what}`);
    },
    async stop() {
      const c = consumer;
      consumer = null;
      await c?.disconnect();
    },
  };
}
