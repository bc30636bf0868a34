// One simulated switch (pure): its identity, its interfaces and their counters at a given time.
// Time is ms since the lab started (passed in, never read here). Counters come from the traffic model
// (traffic.ts) relative to the interface's current epoch: a reboot starts a new epoch for every
// interface (counters and sysUpTime back to 0), a counter clear one for a single interface (counters
// back to 0, ifCounterDiscontinuityTime = sysUpTime at that moment). A "near wrap" device starts its
// first epoch with every counter just below 2^64 (so its 32-bit views just below 2^32) and each one
// wraps at a chosen second within the first minute. An interface can be driven near its line rate for
// a while (saturate) and taken oper-down and up again (setOperUp): both are rate overrides from the
// moment they are made (traffic.ts), so counters stay exact integrals and never step; a down port
// carries nothing.
//
// The hot path (an SNMP request) works in doubles: counts stay exact integers below 2^53 (a 10 Gb/s
// port at its 80 % peak gets there after about 100 days of lab uptime), and the 2^64 offsets are kept
// as 32-bit halves, so a Counter64 costs no BigInt. The ground-truth path (countersAt) is written
// separately with BigInt: tests compare the two. A time before the current epoch (a test clock set
// back after a reboot) reads as the epoch's start, never as a negative count.
import { COUNTER, COUNTER_KINDS, countAt, createRng, directionBytes, makeTraffic, mixSeed, overrideAt, overrideFrom, pickClass, type CounterKind, type InterfaceTraffic, type TrafficClass } from './traffic.js';

const TWO32 = 4294967296;
const MASK64 = (1n << 64n) - 1n;

export interface DeviceSpec {
  /** Position in the lab, 0-based. */
  index: number;
  /** Device id and sysName, e.g. "lab-0007". */
  id: string;
  /** Interfaces, ifIndex 1..ports. */
  ports: number;
  /** Has the ifXTable (ifName, 64-bit HC counters, ifHighSpeed, ifAlias); false = an old 32-bit-only device. */
  hc: boolean;
  /** First epoch starts every counter just below 2^64 so it wraps within the first minute. */
  nearWrap: boolean;
  /** Traffic seed of the lab. */
  seed: number;
  /** Period of the slow "diurnal" sine, seconds. */
  daySeconds: number;
}

export interface Epoch {
  /** When it began (ms since the lab started). */
  readonly startMs: number;
  /** Counts at the start, per counter kind (subtracted, so counters restart at 0). */
  readonly zero: readonly number[];
  /** Near wrap only: per kind, the 2^64 offset as [hi, lo] 32-bit halves; null = none. */
  readonly offsets: readonly number[] | null;
  /** ifCounterDiscontinuityTime for this epoch (TimeTicks). */
  readonly discontinuityTicks: number;
}

export interface LabInterface {
  readonly ifIndex: number;
  readonly name: string;
  readonly descr: string;
  readonly alias: string;
  /** Link speed in bit/s. */
  readonly speedBps: number;
  readonly adminUp: boolean;
  /** ifOperStatus up (changed by setOperUp). */
  operUp: boolean;
  readonly mtu: number;
  readonly traffic: InterfaceTraffic;
  /** Near wrap only: seconds after the start at which the counters wrap. */
  readonly wrapAtS: number | null;
  /** Epoch history, the current one last. */
  readonly epochs: Epoch[];
  // Per-request cache: bytes of both directions at cacheMs (one evaluation serves every column).
  cacheMs: number;
  cacheIn: number;
  cacheOut: number;
}

export type SaturateDirection = 'in' | 'out' | 'both';

export interface SaturateOptions {
  /** How long, seconds. */
  seconds: number;
  /** Fraction of the link speed, (0, 1]. */
  fraction: number;
  direction: SaturateDirection;
}

/** Ground truth for one interface at one time, as the agent reports it (HC values modulo 2^64). */
export interface LabCounters {
  inOctets: bigint;
  outOctets: bigint;
  /** Unicast + multicast + broadcast, modulo 2^64 (what the poller publishes). */
  inPackets: bigint;
  outPackets: bigint;
  /** Counter32 values. */
  inErrors: bigint;
  outErrors: bigint;
  inDiscards: bigint;
  outDiscards: bigint;
  discontinuityTicks: number;
}

export interface DeviceModel {
  readonly spec: DeviceSpec;
  /** SNMP engine ID (RFC 3411 format, net-snmp's enterprise): stable for a given seed and index. */
  readonly engineId: Buffer;
  /** By ifIndex - 1. */
  readonly interfaces: readonly LabInterface[];
  /** Reboots so far. */
  readonly reboots: number;
  /** Answer only after this delay (0 = at once). */
  slowMs: number;
  /** Bound but never answering. */
  dead: boolean;
  sysUpTime(tMs: number): number;
  /** The Counter64 of `kind` at tMs as BER content bytes (minimal, big-endian). */
  counter64(iface: LabInterface, kind: CounterKind, tMs: number): Buffer;
  /** The low 32 bits of the same counter (Counter32 columns). */
  counter32(iface: LabInterface, kind: CounterKind, tMs: number): number;
  /** ifIn/OutNUcastPkts: multicast + broadcast, low 32 bits. */
  nonUnicast32(iface: LabInterface, inbound: boolean, tMs: number): number;
  discontinuityTicks(iface: LabInterface): number;
  reboot(tMs: number): void;
  /** Resets one interface's counters (or all, without a reboot): a counter discontinuity. */
  clearCounters(tMs: number, ifIndex?: number): void;
  /** Runs an oper-up interface at `fraction` of its link speed from tMs for `seconds`, then back to its curve. */
  saturate(tMs: number, ifIndex: number, o: SaturateOptions): void;
  /** Takes an interface oper-down (it carries nothing) or up again (back to its curve) at tMs; false when it already was. */
  setOperUp(tMs: number, ifIndex: number, up: boolean): boolean;
  /** Whether a saturation is in force on the interface at tMs. */
  saturatedAt(ifIndex: number, tMs: number): boolean;
  /** Ground truth (BigInt path), at any time since the lab started, across reboots and clears. */
  countersAt(ifIndex: number, tMs: number): LabCounters;
  /** sysUpTime at any time since the lab started, across reboots. */
  sysUpTimeAt(tMs: number): number;
}

/** The interface layout of a P-port switch: 1G access ports, then 10G uplinks (1 per 12 ports). */
export function portLayout(ports: number): Array<{ name: string; speedBps: number; uplink: boolean }> {
  const uplinks = ports >= 4 ? Math.max(1, Math.round(ports / 12)) : 0;
  const access = ports - uplinks;
  const out: Array<{ name: string; speedBps: number; uplink: boolean }> = [];
  for (let i = 0; i < access; i++) out.push({ name: `ge-0/0/${i}`, speedBps: 1e9, uplink: false });
  for (let i = 0; i < uplinks; i++) out.push({ name: `xe-0/1/${i}`, speedBps: 1e10, uplink: true });
  return out;
}

/** Minimal big-endian two's-complement content octets of the non-negative hi·2^32 + lo. */
export function encodeCounter64(hi: number, lo: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = 0;
  b.writeUInt32BE(hi >>> 0, 1);
  b.writeUInt32BE(lo >>> 0, 5);
  let start = 0;
  // Drop a leading 0x00 while the next octet's top bit is clear (it would not be read as negative).
  while (start < 8 && b[start] === 0 && b[start + 1] < 0x80) start++;
  return b.subarray(start);
}

/** 0x80 | enterprise 8072 (net-snmp) | format 0x80 + 12 octets: "lab" marker, seed and index. */
export function engineIdOf(spec: Pick<DeviceSpec, 'seed' | 'index'>): Buffer {
  const b = Buffer.alloc(17);
  b.write('80001f8880', 0, 'hex');
  b.write('6c6162', 5, 'hex');
  b.writeUInt32BE(spec.seed >>> 0, 8);
  b.writeUInt32BE(spec.index >>> 0, 12);
  b[16] = 1;
  return b;
}

/** The counts at the lab's start: all zero (shared by every first epoch; never written). */
const ZERO: readonly number[] = new Array<number>(COUNTER_KINDS).fill(0);

function nearWrapOffsets(tr: InterfaceTraffic, wrapAtS: number): number[] {
  const offsets = new Array<number>(COUNTER_KINDS * 2).fill(0);
  for (let k = 0; k < COUNTER_KINDS; k++) {
    const off = ((1n << 64n) - BigInt(countAt(tr, k as CounterKind, wrapAtS))) & MASK64;
    offsets[k * 2] = Number(off >> 32n);
    offsets[k * 2 + 1] = Number(off & 0xffffffffn);
  }
  return offsets;
}

function makeInterface(spec: DeviceSpec, ifIndex: number, port: { name: string; speedBps: number; uplink: boolean }, dayPhase: number): LabInterface {
  const rng = createRng(mixSeed(spec.seed, spec.index, ifIndex));
  let klass: TrafficClass = pickClass(rng);
  if (port.uplink && (klass === 'down' || klass === 'idle')) klass = 'normal';
  const adminUp = klass !== 'down' || rng() < 0.5;
  const traffic = makeTraffic(rng, { speedBps: port.speedBps, klass, daySeconds: spec.daySeconds, dayPhase });
  const wrapAtS = spec.nearWrap ? 10 + Math.floor(rng() * 41) : null;
  const n = ifIndex - 1;
  const alias = port.uplink ? `uplink to core-${(spec.index % 4) + 1} ${port.name}` : klass === 'down' ? '' : `server rack ${1 + (n >> 3)} slot ${n & 7}`;
  return {
    ifIndex,
    name: port.name,
    descr: port.name,
    alias,
    speedBps: port.speedBps,
    adminUp,
    operUp: klass !== 'down',
    mtu: port.uplink ? 9192 : 1514,
    traffic,
    wrapAtS,
    epochs: [{ startMs: 0, zero: ZERO, offsets: wrapAtS === null ? null : nearWrapOffsets(traffic, wrapAtS), discontinuityTicks: 0 }],
    cacheMs: Number.NaN,
    cacheIn: 0,
    cacheOut: 0,
  };
}

function currentEpoch(iface: LabInterface): Epoch {
  return iface.epochs[iface.epochs.length - 1];
}

function epochAt(iface: LabInterface, tMs: number): Epoch {
  for (let i = iface.epochs.length - 1; i >= 0; i--) if (iface.epochs[i].startMs <= tMs) return iface.epochs[i];
  throw new RangeError(`time ${tMs} ms is before the lab started`);
}

function countsAtStart(iface: LabInterface, tMs: number): number[] {
  const zero = new Array<number>(COUNTER_KINDS).fill(0);
  for (let k = 0; k < COUNTER_KINDS; k++) zero[k] = countAt(iface.traffic, k as CounterKind, tMs / 1000);
  return zero;
}

export function createDeviceModel(spec: DeviceSpec): DeviceModel {
  const layout = portLayout(spec.ports);
  const dayPhase = createRng(mixSeed(spec.seed, spec.index, 0))() * 2 * Math.PI;
  const interfaces = layout.map((p, i) => makeInterface(spec, i + 1, p, dayPhase));
  /** Boot times, ms since the lab started; the current one last. */
  const boots: number[] = [0];

  /** Count of `kind` since the epoch began (a double holding an integer < 2^53). */
  function count(iface: LabInterface, kind: CounterKind, tMs: number): number {
    if (iface.cacheMs !== tMs) {
      const t = tMs / 1000;
      iface.cacheIn = directionBytes(iface.traffic, true, t);
      iface.cacheOut = directionBytes(iface.traffic, false, t);
      iface.cacheMs = tMs;
    }
    const bytes = kind <= 3 || kind === COUNTER.inErrors || kind === COUNTER.inDiscards ? iface.cacheIn : iface.cacheOut;
    return Math.max(0, Math.floor(iface.traffic.factors[kind] * bytes) - currentEpoch(iface).zero[kind]);
  }

  function sysUpTime(tMs: number): number {
    return Math.max(0, Math.floor((tMs - boots[boots.length - 1]) / 10)) % TWO32;
  }

  function low32(iface: LabInterface, kind: CounterKind, tMs: number): number {
    const n = count(iface, kind, tMs);
    const off = currentEpoch(iface).offsets;
    return off === null ? n % TWO32 : (off[kind * 2 + 1] + (n % TWO32)) % TWO32;
  }

  function iface(ifIndex: number): LabInterface {
    const i = interfaces[ifIndex - 1];
    if (!i || !Number.isInteger(ifIndex)) throw new RangeError(`no interface ${ifIndex} (1..${interfaces.length})`);
    return i;
  }

  return {
    spec,
    engineId: engineIdOf(spec),
    interfaces,
    get reboots() {
      return boots.length - 1;
    },
    slowMs: 0,
    dead: false,
    sysUpTime,
    counter64(iface, kind, tMs) {
      const n = count(iface, kind, tMs);
      const nHi = Math.floor(n / TWO32);
      const nLo = n % TWO32;
      const off = currentEpoch(iface).offsets;
      if (off === null) return encodeCounter64(nHi, nLo);
      const lo = off[kind * 2 + 1] + nLo;
      const carry = lo >= TWO32 ? 1 : 0;
      return encodeCounter64((off[kind * 2] + nHi + carry) % TWO32, lo % TWO32);
    },
    counter32: low32,
    nonUnicast32(iface, inbound, tMs) {
      const m = low32(iface, inbound ? COUNTER.inMulticastPkts : COUNTER.outMulticastPkts, tMs);
      const b = low32(iface, inbound ? COUNTER.inBroadcastPkts : COUNTER.outBroadcastPkts, tMs);
      return (m + b) % TWO32;
    },
    discontinuityTicks(iface) {
      return currentEpoch(iface).discontinuityTicks;
    },
    reboot(tMs) {
      if (tMs < boots[boots.length - 1]) throw new RangeError(`reboot at ${tMs} ms is before the last boot`);
      boots.push(tMs);
      for (const iface of interfaces) iface.epochs.push({ startMs: tMs, zero: countsAtStart(iface, tMs), offsets: null, discontinuityTicks: 0 });
    },
    clearCounters(tMs, ifIndex) {
      if (ifIndex !== undefined && !(Number.isInteger(ifIndex) && ifIndex >= 1 && ifIndex <= interfaces.length)) {
        throw new RangeError(`no interface ${ifIndex} (1..${interfaces.length})`);
      }
      const targets = ifIndex === undefined ? interfaces : [interfaces[ifIndex - 1]];
      const ticks = sysUpTime(tMs);
      for (const iface of targets) {
        if (tMs < currentEpoch(iface).startMs) throw new RangeError(`clear at ${tMs} ms is before the interface's last reset`);
        iface.epochs.push({ startMs: tMs, zero: countsAtStart(iface, tMs), offsets: null, discontinuityTicks: ticks });
      }
    },
    saturate(tMs, ifIndex, o) {
      const i = iface(ifIndex);
      if (!i.operUp) throw new RangeError(`interface ${ifIndex} (${i.name}) is oper-down: it cannot carry traffic`);
      if (!(o.fraction > 0 && o.fraction <= 1)) throw new RangeError(`saturation must be a fraction of the link speed in (0, 1], got ${o.fraction}`);
      if (!(o.seconds > 0 && o.seconds <= 86_400)) throw new RangeError(`saturation must last 0 < seconds <= 86400, got ${o.seconds}`);
      const from = tMs / 1000;
      const next = { toS: from + o.seconds, rate: (o.fraction * i.speedBps) / 8 };
      const tr = i.traffic;
      if (o.direction !== 'out') tr.overridesIn = overrideFrom(tr.overridesIn, from, next);
      if (o.direction !== 'in') tr.overridesOut = overrideFrom(tr.overridesOut, from, next);
    },
    setOperUp(tMs, ifIndex, up) {
      const i = iface(ifIndex);
      if (i.operUp === up) return false;
      const from = tMs / 1000;
      const tr = i.traffic;
      // Down: nothing flows until it comes back (this also ends a saturation); up: the curve again.
      const next = up ? undefined : { toS: Infinity, rate: 0 };
      tr.overridesIn = overrideFrom(tr.overridesIn, from, next);
      tr.overridesOut = overrideFrom(tr.overridesOut, from, next);
      i.operUp = up;
      return true;
    },
    saturatedAt(ifIndex, tMs) {
      const tr = iface(ifIndex).traffic;
      const t = tMs / 1000;
      return [overrideAt(tr.overridesIn, t), overrideAt(tr.overridesOut, t)].some((o) => o !== null && o.rate > 0);
    },
    countersAt(ifIndex, tMs) {
      const iface = interfaces[ifIndex - 1];
      if (!iface) throw new RangeError(`no interface ${ifIndex} (1..${interfaces.length})`);
      const epoch = epochAt(iface, tMs);
      const t = tMs / 1000;
      const value = (kind: CounterKind) => {
        const n = BigInt(countAt(iface.traffic, kind, t) - epoch.zero[kind]);
        const off = epoch.offsets ? (BigInt(epoch.offsets[kind * 2]) << 32n) | BigInt(epoch.offsets[kind * 2 + 1]) : 0n;
        return (off + n) & MASK64;
      };
      const sum = (...kinds: CounterKind[]) => kinds.reduce((s, k) => s + value(k), 0n) & MASK64;
      const c32 = (kind: CounterKind) => value(kind) & 0xffffffffn;
      return {
        inOctets: value(COUNTER.inOctets),
        outOctets: value(COUNTER.outOctets),
        inPackets: sum(COUNTER.inUcastPkts, COUNTER.inMulticastPkts, COUNTER.inBroadcastPkts),
        outPackets: sum(COUNTER.outUcastPkts, COUNTER.outMulticastPkts, COUNTER.outBroadcastPkts),
        inErrors: c32(COUNTER.inErrors),
        outErrors: c32(COUNTER.outErrors),
        inDiscards: c32(COUNTER.inDiscards),
        outDiscards: c32(COUNTER.outDiscards),
        discontinuityTicks: epoch.discontinuityTicks,
      };
    },
    sysUpTimeAt(tMs) {
      for (let i = boots.length - 1; i >= 0; i--) if (boots[i] <= tMs) return Math.floor((tMs - boots[i]) / 10) % TWO32;
      throw new RangeError(`time ${tMs} ms is before the lab started`);
    },
  };
}
