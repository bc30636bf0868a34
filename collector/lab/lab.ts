// The traffic lab: N simulated switches on loopback, each a real SNMP agent on its own UDP port
// (basePort + i) with P interfaces whose counters are computed at request time from the traffic
// model. A Component: createLab validates the options and allocates the device models (no sockets);
// start() binds every agent (and on any failure closes the ones it bound), stop() closes them.
// Tests, benchmarks and the demo drive it through the same object: reboot, slow, dead, counter clears,
// saturation and oper status of an interface, and counterAt, the ground truth of what a device reports
// at a given time.
import type { Clock } from '../../common/clock.js';
import { systemClock } from '../../common/clock.js';
import { ConfigError, errorMessage } from '../../common/errors.js';
import type { Component } from '../../common/lifecycle.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { createLabAgent, emptyStats, type AgentStats, type LabAgent } from './agent.js';
import { createDeviceModel, type DeviceModel, type LabCounters, type SaturateOptions } from './device.js';
import { buildShape, type MibShape } from './mib.js';
import { resolveLabOptions, type LabOptions, type ResolvedLabOptions } from './options.js';
import type { TrafficClass } from './traffic.js';
import { findVariant, variantUser, type V3Variant } from './v3-users.js';

export type { LabOptions } from './options.js';
export type { LabCounters, SaturateDirection, SaturateOptions } from './device.js';
export type { AgentStats as LabStats } from './agent.js';

export interface LabInterfaceInfo {
  readonly ifIndex: number;
  readonly name: string;
  readonly alias: string;
  readonly speedBps: number;
  readonly adminUp: boolean;
  readonly operUp: boolean;
  readonly traffic: { readonly klass: TrafficClass };
}

export interface LabDevice {
  readonly index: number;
  /** Device id and sysName, e.g. "lab-0007". */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Interfaces (ifIndex 1..ports). */
  readonly ports: number;
  /** false: 32-bit only, no ifXTable. */
  readonly hc: boolean;
  readonly nearWrap: boolean;
  /** Current state (changed by setSlow / setDead / reboot). */
  readonly slowMs: number;
  readonly dead: boolean;
  readonly reboots: number;
  readonly interfaces: readonly LabInterfaceInfo[];
}

/** A device entry for devices.yaml / deviceSchema (plain values: the lab's own credentials). */
export interface LabDeviceEntry {
  id: string;
  host: string;
  port: number;
  tags: string[];
  snmp:
    | { version: '1' | '2c'; community: string }
    | { version: '3'; username: string; level: V3Variant['level']; authProtocol?: V3Variant['authProtocol']; authKey?: string; privProtocol?: V3Variant['privProtocol']; privKey?: string };
}

export interface Lab extends Component {
  readonly options: ResolvedLabOptions;
  readonly devices: readonly LabDevice[];
  /** Counters and sysUpTime restart from 0 now (new boot). */
  reboot(i: number): void;
  /** Counters of one interface (or all) restart from 0 without a reboot; ifCounterDiscontinuityTime = sysUpTime now. */
  clearCounters(i: number, ifIndex?: number): void;
  /** Renumbers device i's interfaces: ifIndex = position + offset (0 = as at start), names unchanged,
   * as after a line-card swap or a reboot of a device without persistent ifIndex values. */
  renumber(i: number, offset: number): void;
  /** Answer after `ms` (0 = at once). */
  setSlow(i: number, ms: number): void;
  /** Drives device i's interface near its line rate from now for a while (see SaturateOptions). */
  saturate(i: number, ifIndex: number, o: SaturateOptions): void;
  /** Takes device i's interface oper-down (it carries nothing) or up again; false when it already was. */
  setOperUp(i: number, ifIndex: number, up: boolean): boolean;
  /** A dead device stays bound but answers nothing. */
  setDead(i: number, dead: boolean): void;
  /** What device i reports for ifIndex at tsMs (epoch ms, the lab clock): HC octets and packets, errors, discards. */
  counterAt(i: number, ifIndex: number, tsMs: number): LabCounters;
  /** sysUpTime (centiseconds) of device i at tsMs. */
  sysUpTimeAt(i: number, tsMs: number): number;
  /** When the lab started (epoch ms, the lab clock); counters are 0 (or their near-wrap start) then. */
  readonly startedAt: number | null;
  stats(): Readonly<AgentStats>;
  /** The devices as a device list for the collector (version 3 needs the lab's v3 user; `v3Variant` picks
   * one of the lab's v3 users by suffix, see V3_VARIANTS; default the user itself, authPriv SHA + AES). */
  deviceEntries(version?: '1' | '2c' | '3', v3Variant?: string): LabDeviceEntry[];
}

export interface LabDeps {
  /** The lab clock (default the system clock); counters are integrals up to clock.now(). */
  clock?: Clock;
}

const BIND_CONCURRENCY = 256;

export function createLab(log: Logger, raw: LabOptions, deps: LabDeps = {}): Lab {
  const options = resolveLabOptions(raw);
  const clock = deps.clock ?? systemClock;
  const limited = createRateLimitedLog(log, 60_000, () => clock.now());
  const stats = emptyStats();
  const only32 = new Set(options.only32bit);
  const nearWrap = new Set(options.nearWrap);
  const shortMib = new Set(options.shortMib);
  const slow = new Set(options.slow);
  const dead = new Set(options.dead);
  const width = Math.max(4, String(options.devices - 1).length);
  const shapes = new Map<string, MibShape>();
  const offsets: number[] = [];
  const shapeFor = (hc: boolean, short: boolean, offset: number) => {
    const key = `${options.ports}:${hc}:${short}:${offset}`;
    let s = shapes.get(key);
    if (!s) shapes.set(key, (s = buildShape(options.ports, hc, short, offset)));
    return s;
  };
  let originMs: number | null = null;
  const now = () => clock.now() - originMs!;

  const models: DeviceModel[] = [];
  const devices: LabDevice[] = [];
  const agents: LabAgent[] = [];
  for (let i = 0; i < options.devices; i++) {
    const spec = { index: i, id: `${options.idPrefix}-${String(i).padStart(width, '0')}`, ports: options.ports, hc: !only32.has(i), nearWrap: nearWrap.has(i), seed: options.seed, daySeconds: options.daySeconds };
    const model = createDeviceModel(spec);
    if (slow.has(i)) model.slowMs = options.slowMs;
    if (dead.has(i)) model.dead = true;
    models.push(model);
    const port = options.basePort + i;
    devices.push({
      index: i,
      id: spec.id,
      host: options.host,
      port,
      ports: spec.ports,
      hc: spec.hc,
      nearWrap: spec.nearWrap,
      get slowMs() {
        return model.slowMs;
      },
      get dead() {
        return model.dead;
      },
      get reboots() {
        return model.reboots;
      },
      interfaces: model.interfaces,
    });
    agents.push(
      createLabAgent({
        device: model,
        shape: () => shapeFor(spec.hc, shortMib.has(i), offsets[i] ?? 0),
        host: options.host,
        port,
        community: options.community,
        v3: options.v3,
        now,
        stats,
        onError: (kind, err) => limited(`lab-${kind}`, kind === 'rejected' ? 'info' : 'warn', { kind, device: spec.id, err: errorMessage(err) }, kind === 'rejected' ? 'lab agent refused a message (unknown community or user, bad authentication, garbage)' : 'lab agent error'),
      }),
    );
  }

  const model = (i: number): DeviceModel => {
    const m = models[i];
    if (!Number.isInteger(i) || !m) throw new RangeError(`no lab device ${i} (0..${models.length - 1})`);
    return m;
  };
  const running = () => {
    if (originMs === null) throw new Error('the lab is not started');
    return now();
  };

  return {
    name: 'lab',
    options,
    devices,
    get startedAt() {
      return originMs;
    },
    async start() {
      originMs = clock.now();
      for (let from = 0; from < agents.length; from += BIND_CONCURRENCY) {
        const batch = agents.slice(from, from + BIND_CONCURRENCY);
        const results = await Promise.allSettled(batch.map((a) => a.start()));
        const failed = results.findIndex((r) => r.status === 'rejected');
        if (failed >= 0) {
          await Promise.allSettled(agents.map((a) => a.stop()));
          originMs = null;
          const port = options.basePort + from + failed;
          const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
          throw new ConfigError('lab.basePort', `cannot bind ${options.host}:${port} for ${devices[from + failed].id}: ${errorMessage(reason)}; choose another base port`, reason);
        }
      }
      log.info({ devices: options.devices, ports: options.ports, host: options.host, firstPort: options.basePort, lastPort: options.basePort + options.devices - 1, v3: options.v3 !== undefined }, 'lab devices listening');
    },
    async stop() {
      await Promise.allSettled(agents.map((a) => a.stop()));
      log.info({ ...stats }, 'lab stopped');
    },
    reboot(i) {
      model(i).reboot(running());
    },
    clearCounters(i, ifIndex) {
      model(i).clearCounters(running(), ifIndex);
    },
    renumber(i, offset) {
      model(i);
      if (!(Number.isInteger(offset) && offset >= 0 && offset <= 1_000_000)) throw new RangeError(`renumber offset must be 0..1000000, got ${offset}`);
      offsets[i] = offset;
    },
    setSlow(i, ms) {
      if (!(Number.isInteger(ms) && ms >= 0 && ms <= 600_000)) throw new RangeError(`slow delay must be 0..600000 ms, got ${ms}`);
      model(i).slowMs = ms;
    },
    saturate(i, ifIndex, o) {
      model(i).saturate(running(), ifIndex, o);
    },
    setOperUp(i, ifIndex, up) {
      return model(i).setOperUp(running(), ifIndex, up);
    },
    setDead(i, dead) {
      model(i).dead = dead;
    },
    counterAt(i, ifIndex, tsMs) {
      const m = model(i);
      if (originMs === null) throw new Error('the lab is not started');
      return m.countersAt(ifIndex, tsMs - originMs);
    },
    sysUpTimeAt(i, tsMs) {
      const m = model(i);
      if (originMs === null) throw new Error('the lab is not started');
      return m.sysUpTimeAt(tsMs - originMs);
    },
    stats: () => ({ ...stats }),
    deviceEntries(version = '2c', v3Variant = '') {
      const v3 = options.v3;
      if (version === '3' && !v3) throw new ConfigError('lab.v3', 'the lab has no SNMPv3 user (give --v3-user, --v3-auth-key and --v3-priv-key)');
      const variant = findVariant(v3Variant);
      return devices.map((d) => ({
        id: d.id,
        host: d.host,
        port: d.port,
        tags: ['lab', d.hc ? 'hc' : '32bit', ...(d.nearWrap ? ['near-wrap'] : [])],
        snmp:
          version === '3'
            ? {
                version: '3',
                username: variantUser(v3!.user, variant),
                level: variant.level,
                ...(variant.authProtocol ? { authProtocol: variant.authProtocol, authKey: v3!.authKey } : {}),
                ...(variant.privProtocol ? { privProtocol: variant.privProtocol, privKey: v3!.privKey } : {}),
              }
            : { version, community: options.community },
      }));
    },
  };
}
