// The collector group: collectors with the same collector.groupId share the devices through Kafka's
// group protocol. Each member consumes the compacted collector-state topic in that consumer group;
// the partitions it is assigned say which devices it polls (ownership.ts: a device is on the partition
// its state key `<groupId>:<id>` hashes to), and reading them from the
// beginning (offsets are never committed) restores the state that follows a device from collector to
// collector: its interface identity map (kafka-identity-store.ts). On a rebalance the SNMP input is
// held (no poll starts) until the new assignment is applied; a member that dies stops heartbeating
// and, after collector.sessionTimeoutMs, the others are given its partitions. Leaving (stop) holds
// the input first, then leaves the group, so the others take over at once. Losing Kafka itself does
// not stop polling: the samples of an outage wait in the publisher's queue. But as soon as the broker
// answers anything again (its own consumer's requests or a probe's) while this member has had no
// heartbeat for a session timeout, or after its consumer crashed, its share is held until the group
// assigns it one again (membership.ts): a coordinator back from an outage gives the share away only a
// session timeout after it loaded the group, so the old owner has stopped long before the new one
// starts, and no device is polled by two members in one slot. A held share whose member turns out to
// be alive (a heartbeat of the same member succeeds) resumes without re-reading its partitions.
// Because an old owner may hear the broker late, a member that saw such trouble itself polls the
// partitions new to it only once their old owner must have stopped (takeover.ts).
import type { Consumer, Kafka } from '../../common/bus/kafka.js';
import { CONNECTION_TIMEOUT_MS, MAX_RETRY_WAIT_MS, partitionOfKey, prepareTopics, topicOffsets } from '../../common/bus/kafka.js';
import type { DeviceConfig, NetmonConfig } from '../../common/config/schema.js';
import { errorMessage } from '../../common/errors.js';
import type { Component, FailureSink } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, Gauge, type Registry } from '../../common/metrics.js';
import type { SnmpInput } from '../inputs/snmp/snmp-input.js';
import { createMembershipWatch, crashedUnreachable, heldTooLong } from './membership.js';
import { createOwnership } from './ownership.js';
import { createTakeoverGuard, groupRetryWaitMs, takeoverWaitMs } from './takeover.js';
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
  /** Polls are held (a rebalance, an orphaned share or stopping) until the next assignment is applied. */
  let revoked = true;
  let membership = createMembershipWatch(c, Date.now());
  let watchTimer: NodeJS.Timeout | null = null;
  /** Since when polls are held without an assignment (0: a share is applied). */
  let heldSince = 0;
  const consumerRestarts = new Counter({ name: 'netmon_collector_group_consumer_restarts_total', help: 'Times the group consumer was started again because it had no share for longer than a rebalance may take', registers: reg });
  /** Start times of the probes in flight (a probe of a broker that accepts connections but does not answer hangs until its timeout). */
  const probing = new Set<number>();
  /** The last assignment applied, for a held share that resumes. */
  let lastAssignment: Record<string, number[] | undefined> | null = null;
  const orphans = new Counter({ name: 'netmon_collector_group_orphaned_total', help: 'Times this collector held its share because the broker answered while its group membership had lapsed', registers: reg });
  const retryWaitMs = groupRetryWaitMs(c, MAX_RETRY_WAIT_MS);
  const waitMs = takeoverWaitMs(c, { maxRetryWaitMs: retryWaitMs, connectionTimeoutMs: CONNECTION_TIMEOUT_MS });
  const takeover = createTakeoverGuard(waitMs);
  ownership.setGate((p) => takeover.mayPoll(Date.now(), p));
  let takeoverTimer: NodeJS.Timeout | null = null;
  const takeoverWaits = new Counter({ name: 'netmon_collector_group_takeover_waits_total', help: 'Assignments whose partitions new to this collector waited before their first poll, because their old owner may not have learned yet that it lost them (after a broker outage or members dropped by the coordinator)', registers: reg });

  function apply(): void {
    const mine = ownership.owned();
    deps.snmp.applyDevices(mine, (id) => ownership.elsewhere(id));
    if (mine.size !== owned || reported !== generation) glog.info({ devices: mine.size, partitions: ownership.assigned(), reading: ownership.pending() }, 'collector group share');
    owned = mine.size;
    reported = generation;
    ownedGauge.set(owned);
  }

  /** Holds every poll until the next assignment; `keep`: partitions read now need no re-reading if ours again (false when the member may have been dropped, so another may have held them). */
  function revoke(why: string, keep = true): void {
    generation++;
    revoked = true;
    if (heldSince === 0) heldSince = Date.now();
    if (readTimer) clearTimeout(readTimer);
    readTimer = null;
    if (takeoverTimer) clearTimeout(takeoverTimer);
    takeoverTimer = null;
    // The coordinator dropped this member without a rebalance announced: it may have dropped others too.
    if (!keep) takeover.unclean(Date.now());
    deps.snmp.hold(true);
    ownership.revoke(keep);
    glog.debug({ why, keep }, 'collector group: polls held until the next assignment');
  }

  /** Holds the share because the broker answers while it is in doubt (membership.ts decided). */
  function orphaned(why: string): void {
    orphans.inc();
    takeover.unclean(Date.now());
    glog.warn({ devices: owned, why }, 'collector group: the broker answers but this collector has no confirmed membership; polls held until the group assigns it a share again');
    revoke('orphaned', false);
    ownedGauge.set(0);
  }

  /** Any response of the broker (an error response too) while the share is in doubt holds it. */
  function answered(): void {
    if (running && !revoked && membership.answered(Date.now())) orphaned('answer');
  }

  /**
   * While the share is in doubt, asks the broker about the group: any answer counts (answered), none
   * within a session timeout means it is unreachable. A new probe starts every heartbeat interval
   * while fewer than three are in flight, so one that hangs does not delay seeing the broker back.
   */
  function probe(): void {
    const now = Date.now();
    if (!running || revoked || !membership.inDoubt(now)) return;
    if (probing.size >= 3 || [...probing].some((t) => now - t < c.heartbeatIntervalMs)) return;
    probing.add(now);
    const admin = deps.kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
    admin.on(admin.events.REQUEST, answered);
    let timer: NodeJS.Timeout | null = null;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, c.sessionTimeoutMs)));
    const ask = (async () => {
      await admin.connect();
      await admin.describeGroups([c.groupId]);
    })().catch(() => {
      if (running && !revoked && membership.inDoubt(Date.now())) limited('doubt', 'warn', {}, 'collector group: no heartbeat for a session timeout and the broker does not answer; polling the devices it had until it answers');
    });
    void Promise.race([ask, timeout]).finally(() => {
      if (timer) clearTimeout(timer);
      probing.delete(now);
      void admin.disconnect().catch(() => undefined);
    });
  }

  /** A held share whose member is alive after all: the same assignment again, its partitions read all along by this member's consumer. */
  function resume(): void {
    if (!running || !lastAssignment) return;
    glog.info('collector group: a heartbeat of this member succeeded again; its share resumes');
    assigned(lastAssignment, 0, true);
  }

  /** `trusted`: this member's consumer has read every assigned partition all along (a resumed share). */
  async function onAssigned(assignment: Record<string, number[] | undefined>, trusted: boolean): Promise<void> {
    const gen = ++generation;
    lastAssignment = assignment;
    const assigned = assignment[topic] ?? [];
    rebalances.inc();
    partitionsGauge.set(assigned.length);
    // The partition count comes from the topic itself: it may predate collectorStatePartitions.
    const admin = deps.kafka.admin();
    let offsets: Array<{ partition: number; low: string; high: string }>;
    try {
      await admin.connect();
      offsets = await topicOffsets(admin, topic);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (gen !== generation) return;
    revoked = false;
    const waitUntil = takeover.assign(Date.now(), assigned);
    ownership.assign(offsets.length, assigned);
    ownership.setEnds(new Map(offsets.filter((o) => assigned.includes(o.partition)).map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }])));
    if (trusted) ownership.forceReady();
    heldSince = 0;
    apply();
    deps.snmp.hold(false);
    if (waitUntil > 0) {
      takeoverWaits.inc();
      glog.warn({ waitMs: waitUntil - Date.now(), partitions: assigned.filter((p) => !takeover.mayPoll(Date.now(), p)) }, 'collector group: partitions taken over after a broker outage or dropped members wait before their first poll, until their old owner must have stopped');
      takeoverTimer = setTimeout(() => {
        takeoverTimer = null;
        if (gen === generation) apply();
      }, Math.max(0, waitUntil - Date.now()));
    }
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
  function assigned(assignment: Record<string, number[] | undefined>, attempt: number, trusted = false): void {
    onAssigned(assignment, trusted).catch((err: unknown) => {
      const gen = generation;
      limited('assign', 'warn', { err: errorMessage(err), attempt }, 'collector group: cannot read the collector-state offsets; retrying');
      if (attempt >= 20 || !running) return;
      setTimeout(() => {
        if (gen === generation && running) assigned(assignment, attempt + 1, trusted);
      }, c.heartbeatIntervalMs);
    });
  }

  /** A new group consumer (at start, and when the last one has not been given a share for too long); events of an older one are ignored. */
  async function startConsumer(): Promise<void> {
    const cons = deps.kafka.consumer({
      groupId: c.groupId,
      sessionTimeout: c.sessionTimeoutMs,
      heartbeatInterval: c.heartbeatIntervalMs,
      // The topic is mostly idle: a short fetch wait is what makes the heartbeat (and so a rebalance) seen promptly.
      maxWaitTimeInMs: c.heartbeatIntervalMs,
      rebalanceTimeout: c.sessionTimeoutMs * 3,
      allowAutoTopicCreation: false,
      retry: { retries: 5, maxRetryTime: retryWaitMs },
    });
    consumer = cons;
    const current = () => consumer === cons;
    cons.on(cons.events.REBALANCING, () => current() && revoke('rebalance'));
    cons.on(cons.events.GROUP_JOIN, ({ payload }) => {
      // A replaced consumer whose join went through after all: it leaves, or its partitions would sit with nobody polling them.
      if (!current()) return void cons.disconnect().catch(() => undefined);
      membership.joined(Date.now(), payload.memberId);
      // Joined without a rebalance announced first (the coordinator had dropped this member): the old
      // share stops now, before the new one is worked out, and everything is read again.
      if (!revoked) revoke('rejoined', false);
      // Before any fetch of the new generation: records read while the offsets are looked up count.
      ownership.joined();
      assigned(payload.memberAssignment, 0);
    });
    cons.on(cons.events.HEARTBEAT, ({ payload }) => {
      if (current() && membership.heartbeat(Date.now(), payload.memberId) && revoked) resume();
    });
    cons.on(cons.events.REQUEST, ({ payload }) => {
      if (!current()) return;
      // The consumer joins the group again without a rebalance announced (the coordinator no longer
      // knows this member): the group is forming a generation that may give the share away, so it
      // is held from the first JoinGroup answer (a new member's first one is answered at once).
      if (payload.apiName === 'JoinGroup' && running && !revoked) revoke('rejoining', false);
      // Anything the broker answers ends an outage: a share in doubt is held at once.
      else answered();
    });
    cons.on(cons.events.CRASH, ({ payload }) => {
      if (!current()) return;
      // kafkajs left the group (if the broker answered) and joins again later as a new member. Kafka
      // unreachable: the devices stay polled (their samples queue in the publisher) until the broker
      // answers again; holding them would lose every poll of the outage. Otherwise the others may be
      // given the share any moment: hold now.
      const unreachable = crashedUnreachable(payload.error);
      limited('crash', 'warn', { err: errorMessage(payload.error), restart: payload.restart, unreachable }, unreachable ? 'collector group: lost contact with the group; polling the devices it had until the broker answers' : 'collector group: the group consumer crashed');
      if (running && !revoked && membership.crashed(Date.now(), unreachable)) orphaned('crash');
      else probe();
      // kafkajs joins again as a new member; the old one (if it had a share) is dropped a session
      // timeout later. A crash before any share (a broker still starting) says nothing of the others.
      if (lastAssignment) takeover.unclean(Date.now());
      if (!payload.restart) deps.failures?.fail('collector-group', payload.error);
    });
    await cons.connect();
    await cons.subscribe({ topic, fromBeginning: true });
    await cons.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) deps.identity.applyRecord(m.key?.toString('utf8') ?? '', m.value, { partition: batch.partition, offset: m.offset });
        if (!current()) return;
        const before = ownership.pending().length;
        if (batch.messages.length > 0) ownership.read(batch.partition, Number(batch.lastOffset()) + 1);
        if (ownership.pending().length < before) apply();
        return Promise.resolve();
      },
    });
    // Replaced while its first join hung (restartConsumer): it must not stay a member of the group.
    if (!current()) await cons.disconnect().catch(() => undefined);
  }

  /**
   * A consumer that has not been given a share for longer than any rebalance may take starts again:
   * after a broker SIGSTOP past every timeout, kafkajs was seen to stay in a join that never ended
   * (no log, no error, no assignment) while the others shared the devices without it. The old one
   * is left to disconnect on its own (that may hang too) and its events are ignored.
   */
  async function restartConsumer(): Promise<void> {
    const old = consumer;
    consumerRestarts.inc();
    glog.warn({ heldMs: Date.now() - heldSince }, 'collector group: no share assigned for longer than a rebalance may take; the group consumer starts again');
    // The next try (if this one is not given a share either) comes as long again after this one
    // starts, not after it returns: the start itself waits for the first join, which may hang as well
    // (an earlier version waited for it, and a restarted consumer stuck in its join stopped the watchdog for good).
    heldSince = Date.now();
    consumer = null;
    void old?.disconnect().catch(() => undefined);
    try {
      await startConsumer();
    } catch (err) {
      limited('restart', 'warn', { err: errorMessage(err) }, 'collector group: cannot start the group consumer again; trying again later');
    }
  }

  function tick(): void {
    const now = Date.now();
    // A share in doubt: the group may be dropping members that do not know it yet (this one too).
    if (running && membership.inDoubt(now)) takeover.unclean(now);
    probe();
    if (running && heldTooLong(heldSince, now, c)) void restartConsumer();
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
      membership = createMembershipWatch(c, Date.now());
      running = true;
      await startConsumer();
      watchTimer = setInterval(tick, c.heartbeatIntervalMs);
      glog.info({ topic, groupId: c.groupId }, 'joining the collector group');
    },
    async stop() {
      running = false;
      if (watchTimer) clearInterval(watchTimer);
      watchTimer = null;
      if (takeoverTimer) clearTimeout(takeoverTimer);
      takeoverTimer = null;
      revoke('stopping');
      const cons = consumer;
      consumer = null;
      // Leaving the group hands this member's partitions to the others now, not after the session timeout.
      await cons?.disconnect();
    },
  };
}
