// The SNMP input: polls every enabled device on its own fixed-rate schedule and publishes one
// CounterSample per device poll. Each device has at most one poll in flight; a poll still running
// when its next slot comes makes that slot skipped and counted, never queued. A global limit caps
// concurrent polls. A slow, dead or garbage-answering device only affects its own status.
// The device set can change while running (applyDevices, fed by the config topic): new devices start
// within one interval, changed ones take their new settings at their next poll, removed or disabled
// ones stop and their status record is tombstoned. Interface identity maps are restored from and
// saved to the identity store, so renumbering survives a collector restart.
// Before each poll the host's wall clock is checked against a monotonic clock (clock-watch.ts): a
// step is logged, counted and carried in every device status from then on (lastClockJump), because
// the samples' event time is that wall clock.
import type { Clock } from '../../../common/clock.js';
import { encodeCounterSample } from '../../../common/contracts/counter-sample.js';
import { encodeDeviceStatus, type DeviceState, type DeviceStatusInput } from '../../../common/contracts/device-status.js';
import { ErrorCodes, NetmonError, errorMessage } from '../../../common/errors.js';
import type { DeviceConfig, NetmonConfig } from '../../../common/config/schema.js';
import { createRateLimitedLog, type Logger } from '../../../common/log.js';
import { Counter, Gauge, Histogram, type Registry } from '../../../common/metrics.js';
import type { Input, SampleSink } from '../input.js';
import { createClockWatch, type ClockJump } from './clock-watch.js';
import { planDeviceActions } from './device-plan.js';
import type { IdentityStore } from './identity-store.js';
import { compileFilter, createIdentityMap, type IdentityMap, type InterfaceFilter } from './inventory.js';
import { discoverDevice, pollDevice, type Discovered } from './poll.js';
import { firstDue, nextDue, phaseMs } from './schedule.js';
import { createNetSnmpSession, type SessionDefaults, type SnmpSession } from '../../../common/snmp/session.js';

export type DeviceStatus = DeviceStatusInput;

export type SessionFactory = (device: DeviceConfig, defaults: SessionDefaults, now: () => number) => SnmpSession;

export interface SnmpInput extends Input {
  status(): DeviceStatus[];
  statusOf(deviceId: string): DeviceStatus | undefined;
  /** Makes the polled set follow `desired` (every device in it; disabled ones are not polled). */
  applyDevices(desired: ReadonlyMap<string, DeviceConfig>): void;
}

interface DeviceRunner {
  device: DeviceConfig;
  session: SnmpSession | null;
  timer: NodeJS.Timeout | null;
  due: number;
  inFlight: Promise<void> | null;
  status: DeviceStatus;
  filter: InterfaceFilter;
  identity: IdentityMap;
  discovered: Map<number, Discovered> | null;
  discoveredAt: number;
  lastUptime: number | null;
  /** The settings changed: open a new session at the next poll. */
  staleSession: boolean;
  savedRevision: number;
}

/** sysUpTime (centiseconds) went back: a reboot, unless it is the 2^32 wrap (uptime was near 497 days). */
export function rebooted(prev: number | null, cur: number): boolean {
  return prev !== null && cur < prev && prev < 2 ** 32 - 360_000;
}

export function createSnmpInput(
  log: Logger,
  config: Pick<NetmonConfig, 'kafka' | 'collector'>,
  deps: {
    devices: readonly DeviceConfig[];
    sink: SampleSink;
    /** The wall clock: event time. */
    clock: Clock;
    /** A monotonic clock in ms (default performance.now), against which the wall clock's steps are seen. */
    monotonic?: () => number;
    registry: Registry;
    sessionFactory?: SessionFactory;
    identityStore?: IdentityStore;
  },
): SnmpInput {
  const intervalMs = Math.round(config.collector.pollIntervalSeconds * 1000);
  const c = config.collector;
  const sessionFactory = deps.sessionFactory ?? createNetSnmpSession;
  const limited = createRateLimitedLog(log, 60_000, () => deps.clock.now());
  const reg = [deps.registry];
  const polls = new Counter({ name: 'netmon_collector_polls_total', help: 'Device polls by result', labelNames: ['result'], registers: reg });
  const skipped = new Counter({ name: 'netmon_collector_polls_skipped_total', help: 'Poll slots skipped because the previous poll was still running or the process was late', registers: reg });
  const duration = new Histogram({ name: 'netmon_collector_poll_duration_seconds', help: 'Duration of successful device polls', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: reg });
  const samples = new Counter({ name: 'netmon_collector_interface_samples_total', help: 'Interface samples produced', registers: reg });
  const badIfaces = new Counter({ name: 'netmon_collector_interfaces_skipped_total', help: 'Interfaces left out of a sample because of garbage values', registers: reg });
  const discoveries = new Counter({ name: 'netmon_collector_discoveries_total', help: 'Interface discoveries (first poll, periodic, after a reboot)', registers: reg });
  const reboots = new Counter({ name: 'netmon_collector_reboots_detected_total', help: 'Device reboots seen as sysUpTime going back', registers: reg });
  const renumberings = new Counter({ name: 'netmon_collector_interfaces_renumbered_total', help: 'Interfaces whose ifIndex changed and kept their identity by name', registers: reg });
  const excludedGauge = new Gauge({ name: 'netmon_collector_interfaces_excluded', help: 'Interfaces left out by the configured selection, per device', labelNames: ['device'], registers: reg });
  const upGauge = new Gauge({ name: 'netmon_collector_device_up', help: '1 when the last poll of the device succeeded', labelNames: ['device'], registers: reg });
  const deviceChanges = new Counter({ name: 'netmon_collector_device_changes_total', help: 'Device-list changes applied without restart', labelNames: ['action'], registers: reg });
  const stateErrors = new Counter({ name: 'netmon_collector_state_errors_total', help: 'Interface identity state that could not be read or written', registers: reg });
  const clockJumps = new Counter({ name: 'netmon_collector_clock_jumps_total', help: "Steps of the collector host's wall clock (against its monotonic clock) larger than collector.clockJumpThresholdMs", registers: reg });
  const monotonic = deps.monotonic ?? (() => performance.now());
  const clockWatch = createClockWatch(c.clockJumpThresholdMs);
  let lastClockJump: ClockJump | null = null;

  function checkClock(wall: number): void {
    const jump = clockWatch.check(wall, monotonic());
    if (!jump) return;
    clockJumps.inc();
    lastClockJump = jump;
    log.warn({ stepMs: jump.stepMs, at: new Date(jump.at).toISOString(), thresholdMs: c.clockJumpThresholdMs }, 'the collector host clock stepped; sample times around it are off by the step');
  }

  const runners = new Map<string, DeviceRunner>();
  let active = 0;
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (active < c.concurrency) {
      active++;
      return;
    }
    await new Promise<void>((r) => waiting.push(r));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };

  function classify(err: unknown): DeviceState {
    if (err instanceof NetmonError) {
      if (err.code === ErrorCodes.SNMP_TIMEOUT) return 'unreachable';
      if (err.code === ErrorCodes.SNMP_AUTH) return 'auth-failure';
    }
    return 'error';
  }

  async function pollOnce(r: DeviceRunner): Promise<void> {
    await acquire();
    const started = deps.clock.now();
    checkClock(started);
    try {
      if (r.staleSession) {
        r.session?.close();
        r.session = null;
        r.staleSession = false;
      }
      r.session ??= sessionFactory(r.device, { timeoutMs: c.timeoutMs, retries: c.retries }, () => deps.clock.now());
      if (!r.discovered || started - r.discoveredAt >= c.rediscoverMinutes * 60_000) {
        r.discovered = await discoverDevice(r.session, { maxRepetitions: c.maxRepetitions });
        r.discoveredAt = started;
        discoveries.inc();
      }
      const result = await pollDevice(r.session, r.device.id, {
        maxRepetitions: c.maxRepetitions,
        speedOverrides: r.device.speedOverrides,
        filter: r.filter,
        identity: r.identity,
        discovered: r.discovered,
      });
      if (rebooted(r.lastUptime, result.sample.sysUpTime)) {
        reboots.inc();
        r.discovered = null;
        log.info({ device: r.device.id, sysUpTime: result.sample.sysUpTime, before: r.lastUptime }, 'device rebooted; interfaces are re-discovered on the next poll');
      }
      r.lastUptime = result.sample.sysUpTime;
      if (result.renumbered.length > 0) {
        renumberings.inc(result.renumbered.length);
        log.info({ device: r.device.id, renumbered: result.renumbered }, 'interfaces renumbered by the agent keep their identity by name');
      }
      saveIdentity(r);
      excludedGauge.set({ device: r.device.id }, result.excluded);
      deps.sink.publish({ key: r.device.id, value: encodeCounterSample(result.sample) });
      samples.inc(result.sample.interfaces.length);
      if (result.skipped.length > 0) {
        badIfaces.inc(result.skipped.length);
        limited(`skip:${r.device.id}`, 'warn', { device: r.device.id, skipped: result.skipped }, 'interfaces left out of the sample');
      }
      const took = deps.clock.now() - started;
      duration.observe(took / 1000);
      polls.inc({ result: 'ok' });
      upGauge.set({ device: r.device.id }, 1);
      Object.assign(r.status, { state: 'up', lastError: null, lastPollAt: started, lastSuccessAt: started, lastPollDurationMs: took, interfaces: result.sample.interfaces.length });
    } catch (err) {
      const state = classify(err);
      polls.inc({ result: state });
      upGauge.set({ device: r.device.id }, 0);
      Object.assign(r.status, { state, lastError: errorMessage(err), lastPollAt: started, lastPollDurationMs: deps.clock.now() - started });
      limited(`poll:${r.device.id}`, 'warn', { device: r.device.id, state, err: errorMessage(err) }, 'poll failed');
      // A fresh session next time: a v3 engine rediscovery or a new socket may be what it takes.
      r.session?.close();
      r.session = null;
    } finally {
      release();
      r.status.lastClockJump = lastClockJump;
      // A device stopped while this poll ran has had its status tombstoned: do not bring it back.
      if (runners.get(r.device.id) === r) deps.sink.publish({ topic: config.kafka.topics.status, key: r.device.id, value: encodeDeviceStatus(r.status) });
    }
  }

  function saveIdentity(r: DeviceRunner): void {
    if (!deps.identityStore || r.identity.revision === r.savedRevision) return;
    try {
      deps.identityStore.save(r.device.id, r.identity.snapshot());
      r.savedRevision = r.identity.revision;
    } catch (err) {
      stateErrors.inc();
      limited(`state-save:${r.device.id}`, 'warn', { device: r.device.id, err: errorMessage(err) }, 'cannot save the interface identity map');
    }
  }

  function restoreIdentity(device: DeviceConfig): IdentityMap {
    if (!deps.identityStore) return createIdentityMap();
    try {
      const snap = deps.identityStore.load(device.id);
      if (snap) log.info({ device: device.id, interfaces: snap.taken.length }, 'interface identity map restored');
      return createIdentityMap(snap ?? undefined);
    } catch (err) {
      stateErrors.inc();
      log.warn({ device: device.id, err: errorMessage(err) }, 'interface identity state unusable; starting with an empty map');
      return createIdentityMap();
    }
  }

  function newRunner(device: DeviceConfig, now: number): DeviceRunner {
    return {
      device,
      session: null,
      timer: null,
      due: firstDue(now, intervalMs, phaseMs(device.id, intervalMs)),
      inFlight: null,
      filter: compileFilter(device.interfaces),
      identity: restoreIdentity(device),
      discovered: null,
      discoveredAt: 0,
      lastUptime: null,
      staleSession: false,
      savedRevision: 0,
      status: { deviceId: device.id, state: 'pending', lastError: null, lastPollAt: null, lastSuccessAt: null, lastPollDurationMs: null, interfaces: 0, lastClockJump },
    };
  }

  function stopRunner(r: DeviceRunner, reason: string): void {
    runners.delete(r.device.id);
    if (r.timer) clearTimeout(r.timer);
    r.timer = null;
    void (r.inFlight ?? Promise.resolve()).then(() => r.session?.close());
    upGauge.remove({ device: r.device.id });
    excludedGauge.remove({ device: r.device.id });
    deps.sink.publish({ topic: config.kafka.topics.status, key: r.device.id, value: null });
    log.info({ device: r.device.id, reason }, 'device no longer polled');
  }

  let started = false;
  let desired: ReadonlyMap<string, DeviceConfig> = new Map(deps.devices.map((d) => [d.id, d]));

  function reconcile(): void {
    const running = new Map([...runners].map(([id, r]) => [id, r.device]));
    const now = deps.clock.now();
    for (const a of planDeviceActions(desired, running)) {
      deviceChanges.inc({ action: a.kind });
      if (a.kind === 'start') {
        const r = newRunner(a.device, now);
        runners.set(a.device.id, r);
        schedule(r);
        if (started) log.info({ device: a.device.id }, 'device added');
      } else if (a.kind === 'stop') {
        const r = runners.get(a.id);
        if (r) stopRunner(r, a.reason);
      } else {
        const r = runners.get(a.device.id);
        if (!r) continue;
        r.device = a.device;
        r.filter = compileFilter(a.device.interfaces);
        if (a.reconnect) r.staleSession = true;
        if (a.rediscover) r.discovered = null;
        log.info({ device: a.device.id, reconnect: a.reconnect, rediscover: a.rediscover }, 'device settings changed; they apply from its next poll');
      }
    }
  }

  function schedule(r: DeviceRunner): void {
    const delay = Math.max(0, r.due - deps.clock.now());
    r.timer = setTimeout(() => {
      r.timer = null;
      if (runners.get(r.device.id) !== r) return;
      if (r.inFlight) {
        skipped.inc();
      } else {
        r.inFlight = pollOnce(r).finally(() => {
          r.inFlight = null;
        });
      }
      const next = nextDue(r.due, deps.clock.now(), intervalMs);
      if (next.missed > 0) skipped.inc(next.missed);
      r.due = next.due;
      schedule(r);
    }, delay);
  }

  return {
    name: 'snmp-input',
    start() {
      reconcile();
      started = true;
      log.info({ devices: runners.size, intervalSeconds: c.pollIntervalSeconds }, 'polling');
      return Promise.resolve();
    },
    applyDevices(next) {
      desired = next;
      if (started) reconcile();
    },
    async stop() {
      started = false;
      const all = [...runners.values()];
      runners.clear();
      for (const r of all) if (r.timer) clearTimeout(r.timer);
      await Promise.all(all.map((r) => r.inFlight ?? Promise.resolve()));
      for (const r of all) r.session?.close();
    },
    status: () => [...runners.values()].map((r) => ({ ...r.status })),
    statusOf: (id) => {
      const r = runners.get(id);
      return r ? { ...r.status } : undefined;
    },
  };
}
