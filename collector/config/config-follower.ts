// Follows the compacted config topic (kafka.topics.config) and hands the resulting device set to the
// SNMP input. A thin adapter: records are decoded and applied to the pure desired set
// (device-plan.ts), once per fetched batch; the SNMP input works out what to start, stop or update.
// Every collector instance needs the whole list, so it reads the topic from the beginning in a
// consumer group of its own (a unique id, offsets never committed) and then keeps following it.
// A bad record is counted and logged with what is wrong, and the others still apply.
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from '../../common/bus/kafka.js';
import { prepareTopics } from '../../common/bus/kafka.js';
import type { NetmonConfig, DeviceConfig } from '../../common/config/schema.js';
import { decodeConfigChange } from '../../common/contracts/config-change.js';
import { errorMessage } from '../../common/errors.js';
import type { Component, FailureSink } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import { createDesiredDevices } from '../inputs/snmp/device-plan.js';

export interface ConfigFollower extends Component {
  readonly groupId: string;
  /** Config records applied (or rejected) so far. */
  seen(): number;
}

export function createConfigFollower(
  log: Logger,
  config: NetmonConfig,
  deps: { kafka: Kafka; registry: Registry; initial: readonly DeviceConfig[]; apply: (desired: ReadonlyMap<string, DeviceConfig>) => void; failures?: FailureSink },
): ConfigFollower {
  const topic = config.kafka.topics.config;
  const groupId = `${config.kafka.clientId}-collector-config-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const limited = createRateLimitedLog(log, 60_000);
  const records = new Counter({ name: 'netmon_collector_config_records_total', help: 'Config-topic records read, by result', labelNames: ['result'], registers: [deps.registry] });
  const desired = createDesiredDevices(deps.initial);
  let consumer: Consumer | null = null;
  let count = 0;

  return {
    name: 'config-follower',
    groupId,
    seen: () => count,
    async start() {
      await prepareTopics(deps.kafka, config.kafka);
      const c = deps.kafka.consumer({ groupId, allowAutoTopicCreation: false });
      consumer = c;
      c.on(c.events.CRASH, ({ payload }) => {
        if (!payload.restart) deps.failures?.fail('config-follower', payload.error);
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatch: ({ batch }) => {
          let changed = false;
          for (const m of batch.messages) {
            count++;
            const key = m.key?.toString() ?? '';
            try {
              const applied = desired.apply(key, decodeConfigChange(m.value));
              records.inc({ result: applied ? 'applied' : 'unchanged' });
              changed ||= applied;
            } catch (err) {
              records.inc({ result: 'rejected' });
              limited(`bad:${key}`, 'warn', { topic, offset: m.offset, key, err: errorMessage(err) }, 'config record rejected');
            }
          }
          if (changed) deps.apply(desired.devices);
          return Promise.resolve();
        },
      });
      log.info({ topic, groupId }, 'following device-list changes');
    },
    async stop() {
      const c = consumer;
      consumer = null;
      await c?.disconnect();
    },
  };
}
