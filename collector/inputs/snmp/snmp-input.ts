// The SNMP input: polls every enabled device on its own fixed-rate schedule and publishes one
// CounterSample per device poll. Each device has at most one poll in flight; a poll still running
// when its next slot comes makes that slot skipped and counted, never queued. A global limit caps
// concurrent polls. A slow, dead or garbage-answering device only affects its own status.
import type { Clock } from '../../../common/clock.js';
import { encodeCounterSample } from '../../../common/contracts/counter-sample.js';
import { encodeDeviceStatus, type DeviceState, type DeviceStatusInput } from '../../../common/contracts/device-status.js';
import { ErrorCodes, NetmonError, errorMessage } from '../../../common/errors.js';
import type { DeviceConfig, NetmonConfig } from '../../../common/config/schema.js';
import { createRateLimitedLog, type Logger } from '../../../common/log.js';
import { Counter, Gauge, Histogram, type Registry } from '../../../common/metrics.js';
import type { Input, SampleSink } from '../input.js';
import { compileFilter, createIdentityMap, type IdentityMap, type InterfaceFilter } from './inventory.js';
import { discoverDevice, pollDevice, type Discovered } from './poll.js';
import { firstDue, nextDue, phaseMs } from './schedule.js';
import { createNetSnmpSession, type SessionDefaults, type SnmpSession } from './session.js';

export type DeviceStatus = DeviceStatusInput;

export type SessionFactory = (device: DeviceConfig, defaults: SessionDefaults, now: () => number) => SnmpSession;

export interface SnmpInput extends Input {
  status(): DeviceStatus[];
  statusOf(deviceId: string): DeviceStatus | undefined;
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
}

/** sysUpTime (centiseconds) went back: a reboot, unless it is the 2^32 wrap (uptime was near 497 days). */
export function rebooted(prev: number | null, cur: number): boolean {
  return prev !== null && cur < prev && prev < 2 ** 32 - 360_000;
}

export function createSnmpInput(
  log: Logger,
  config: NetmonConfig,
  deps: { devices: readonly DeviceConfig[]; sink: SampleSink; clock: Clock; registry: Registry; sessionFactory?: SessionFactory },
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
    try {
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
      deps.sink.publish({ topic: config.kafka.topics.status, key: r.device.id, value: encodeDeviceStatus(r.status) });
    }
  }

  function schedule(r: DeviceRunner): void {
    const delay = Math.max(0, r.due - deps.clock.now());
    r.timer = setTimeout(() => {
      r.timer = null;
      if (!runners.has(r.device.id)) return;
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
      const now = deps.clock.now();
      for (const device of deps.devices) {
        if (!device.enabled) continue;
        const r: DeviceRunner = {
          device,
          session: null,
          timer: null,
          due: firstDue(now, intervalMs, phaseMs(device.id, intervalMs)),
          inFlight: null,
          filter: compileFilter(device.interfaces),
          identity: createIdentityMap(),
          discovered: null,
          discoveredAt: 0,
          lastUptime: null,
          status: { deviceId: device.id, state: 'pending', lastError: null, lastPollAt: null, lastSuccessAt: null, lastPollDurationMs: null, interfaces: 0 },
        };
        runners.set(device.id, r);
        schedule(r);
      }
      log.info({ devices: runners.size, intervalSeconds: c.pollIntervalSeconds }, 'polling');
      return Promise.resolve();
    },
    async stop() {
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
