// The collector group: collectors with the same collector.groupId share the devices through Kafka's
// group protocol. Each member consumes the compacted collector-state topic in that consumer group;
// the partitions it is assigned say which devices it polls (ownership.ts: a device is on the partition
// its state key `<groupId>:<id>` hashes to), and reading them from the
// beginning (offsets are never committed) restores the state that follows a device from collector to
// collector: its interface identity map (kafka-identity-store.ts). On a rebalance the SNMP input is
// held (no poll starts) until the new assignment is applied; a member that dies stops heartbeating
// and, after collector.sessionTimeoutMs, the others are given its partitions. Leaving (stop) holds
// the input first, then leaves the group, so the others take over at once. Losing Kafka itself does
// not stop polling (see the CRASH handler): only the group telling it to rebalance holds the input.
import type { Consumer, Kafka } from '../../common/bus/kafka.js';
import { partitionOfKey, prepareTopics } from '../../common/bus/kafka.js';
import type { DeviceConfig, NetmonConfig } from '../../common/config/schema.js';
import { errorMessage } from '../../common/errors.js';
import type { Component, FailureSink } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, Gauge, type Registry } from '../../common/metrics.js';
import type { SnmpInput } from '../inputs/snmp/snmp-input.js';
import { createOwnership } from './ownership.js';
import { stateKey, type KafkaIdentityStore } from './kafka-identity-store.js';

export interface CollectorGroup extends Component {
  /** The configured device set; this member polls its share of it. */
  setDesired(desired: ReadonlyMap<string, DeviceConfig>): void;
  /** The partitions this member holds now. */
  assigned(): number[];
  /** How many devices this member polls now. */
  ownedCount(): number;
}

export function createCollectorGroup(
  log: Logger,
  config: Pick<NetmonConfig, 'kafka' | 'collector'>,
  deps: { kafka: Kafka; registry: Registry; snmp: Pick<SnmpInput, 'applyDevices' | 'hold'>; identity: KafkaIdentityStore; initial: readonly DeviceConfig[]; failures?: FailureSink },
): CollectorGroup {
  const c = config.collector;
  const topic = config.kafka.topics.collectorState;
  const glog = log.child({ group: c.groupId });
  const limited = createRateLimitedLog(glog, 60_000);
  const reg = [deps.registry];
  const rebalances = new Counter({ name: 'netmon_collector_group_rebalances_total', help: 'Assignments received from the collector group', registers: reg });
  const partitionsGauge = new Gauge({ name: 'netmon_collector_group_partitions', help: 'Collector-state partitions this collector holds', registers: reg });
  const ownedGauge = new Gauge({ name: 'netmon_collector_group_devices', help: 'Devices this collector polls as its share of the group', registers: reg });
  const ownership = createOwnership((id, n) => partitionOfKey(stateKey(c.groupId, id), n));
  ownership.setDesired(new Map(deps.initial.map((d) => [d.id, d])));
  let consumer: Consumer | null = null;
  let generation = 0;
  let readTimer: NodeJS.Timeout | null = null;
  let owned = 0;
  /** The generation whose share was last logged. */
  let reported = -1;
  let running = false;

  function apply(): void {
    const mine = ownership.owned();
    deps.snmp.applyDevices(mine, (id) => ownership.elsewhere(id));
    if (mine.size !== owned || reported !== generation) glog.info({ devices: mine.size, partitions: ownership.assigned(), reading: ownership.pending() }, 'collector group share');
    owned = mine.size;
    reported = generation;
    ownedGauge.set(owned);
  }

  function revoke(why: string): void {
    generation++;
    if (readTimer) clearTimeout(readTimer);
    readTimer = null;
    deps.snmp.hold(true);
    ownership.revoke();
    glog.debug({ why }, 'collector group rebalancing: polls held');
  }

  async function onAssigned(assignment: Record<string, number[] | undefined>): Promise<void> {
    const gen = ++generation;
    const assigned = assignment[topic] ?? [];
    rebalances.inc();
    partitionsGauge.set(assigned.length);
    // The partition count comes from the topic itself: it may predate collectorStatePartitions.
    const admin = deps.kafka.admin();
    let offsets: Array<{ partition: number; low: string; high: string }>;
    try {
      await admin.connect();
      offsets = await admin.fetchTopicOffsets(topic);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (gen !== generation) return;
    ownership.assign(offsets.length, assigned);
    ownership.setEnds(new Map(offsets.filter((o) => assigned.includes(o.partition)).map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }])));
    apply();
    deps.snmp.hold(false);
    if (ownership.pending().length > 0) {
      // A partition that cannot be read to its end must not keep its devices unpolled for long.
      readTimer = setTimeout(() => {
        readTimer = null;
        if (gen !== generation) return;
        const late = ownership.forceReady();
        if (late.length === 0) return;
        glog.warn({ partitions: late, afterMs: c.sessionTimeoutMs }, 'collector-state partitions not read to their end in time; their devices start without their saved state');
        apply();
      }, c.sessionTimeoutMs);
    }
  }

  /** Applies an assignment; the offsets it needs are retried (bounded) while it is still the current one. */
  function assigned(assignment: Record<string, number[] | undefined>, attempt: number): void {
    onAssigned(assignment).catch((err: unknown) => {
      const gen = generation;
      limited('assign', 'warn', { err: errorMessage(err), attempt }, 'collector group: cannot read the collector-state offsets; retrying');
      if (attempt >= 20 || !running) return;
      setTimeout(() => {
        if (gen === generation && running) assigned(assignment, attempt + 1);
      }, c.heartbeatIntervalMs);
    });
  }

  return {
    name: 'collector-group',
    setDesired(desired) {
      ownership.setDesired(desired);
      if (running) apply();
    },
    assigned: () => ownership.assigned(),
    ownedCount: () => owned,
    async start() {
      await prepareTopics(deps.kafka, config.kafka);
      const cons = deps.kafka.consumer({
        groupId: c.groupId,
        sessionTimeout: c.sessionTimeoutMs,
        heartbeatInterval: c.heartbeatIntervalMs,
        // The topic is mostly idle: a short fetch wait is what makes the heartbeat (and so a rebalance) seen promptly.
        maxWaitTimeInMs: c.heartbeatIntervalMs,
        rebalanceTimeout: c.sessionTimeoutMs * 3,
        allowAutoTopicCreation: false,
      });
      consumer = cons;
      cons.on(cons.events.REBALANCING, () => revoke('rebalance'));
      cons.on(cons.events.GROUP_JOIN, ({ payload }) => {
        // Before any fetch of the new generation: records read while the offsets are looked up count.
        ownership.joined();
        assigned(payload.memberAssignment, 0);
      });
      cons.on(cons.events.CRASH, ({ payload }) => {
        // Kafka unreachable: the devices stay polled (their samples queue in the publisher) until the
        // group says otherwise. Holding them would lose every poll of the outage; at worst another
        // member that can reach the coordinator polls them too, which only adds samples (deltas
        // between samples do not double count). The next assignment re-reads everything.
        limited('crash', 'warn', { err: errorMessage(payload.error), restart: payload.restart }, 'collector group: lost contact with the group; polling the devices it had until it rejoins');
        if (!payload.restart) deps.failures?.fail('collector-group', payload.error);
      });
      await cons.connect();
      await cons.subscribe({ topic, fromBeginning: true });
      running = true;
      await cons.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) deps.identity.applyRecord(m.key?.toString('utf8') ?? '', m.value, { partition: batch.partition, offset: m.offset });
          const before = ownership.pending().length;
          if (batch.messages.length > 0) ownership.read(batch.partition, Number(batch.lastOffset()) + 1);
          if (ownership.pending().length < before) apply();
          return Promise.resolve();
        },
      });
      glog.info({ topic, groupId: c.groupId }, 'joining the collector group');
    },
    async stop() {
      running = false;
      revoke('stopping');
      const cons = consumer;
      consumer = null;
      // Leaving the group hands this member's partitions to the others now, not after the session timeout.
      await cons?.disconnect();
    },
  };
}
