// Test support for the window engine tests: an engine whose state the tests can see, builders
// for records and a recorder of outputs.
// Rules: records are built exactly as the decoder would output them (bigint counters); times are
// written in seconds after BASE, a window start, so expectations read as window arithmetic. What
// only tests look at (sizes, watermarks, closing one device) is read or done here, on the engine's
// state, not by the engine.
import assert from 'node:assert/strict';
import type { CounterSample, InterfaceCounters, TrafficDelta, WindowResultInput } from '../../common/contracts/index.js';
import { createEmission } from './emission.js';
import { newEngineState, type EngineState } from './engine-state.js';
import { resolveOptions, type EngineEvent, type EngineOutput, type WindowEngine, type WindowEngineOptions } from './engine-types.js';
import { createEngineOver } from './window-engine.js';

export const W = 60_000;
/** 2023-11-14T22:13:00Z, a multiple of 60 s. */
export const BASE = 1_699_999_980_000;
export const at = (sec: number): number => BASE + sec * 1000;

export interface EngineSize {
  partitions: number;
  devices: number;
  interfaces: number;
  deviceWindows: number;
  interfaceWindows: number;
}

export interface PartitionInfo {
  watermark: number;
  maxEventTs: number;
  /** Start of the oldest window still held for this partition; null when none. */
  oldestOpenWindowStart: number | null;
}

/** A window engine plus what only tests ask of it. */
export interface TestEngine extends WindowEngine {
  /** Closes (emits if needed, then drops) every open window of a device. */
  finishSource(deviceId: string): EngineOutput;
  partitionInfo(partition: number): PartitionInfo | undefined;
  /** What the engine holds: partitions, devices, interfaces, open device and interface windows. */
  snapshotSize(): EngineSize;
  /** Holes (not counted intervals kept for late samples) the device's interfaces hold. */
  holeCount(deviceId: string): number;
}

/**
 * Processing times in these tests count from 0 (a clock apart from the 2023 event times), so the
 * fixture's engines put the future bound out of reach unless a test sets maxFutureMs itself.
 */
export const FUTURE_OFF_MS = 4 * BASE;

/** The engine as createWindowEngine makes it, over a state and emission this fixture keeps a hand on. */
export function engine(over: Partial<WindowEngineOptions> = {}): TestEngine {
  const o = resolveOptions({ outOfOrdernessMs: 120_000, maxGapMs: 300_000, idleTimeoutMs: 30_000, maxFutureMs: FUTURE_OFF_MS, ...over });
  const state = newEngineState();
  const emission = createEmission(o.windowMs, o.allowedLatenessMs);
  return {
    ...createEngineOver(o, state, emission),
    finishSource(deviceId) {
      emission.begin();
      const dev = state.devices.get(deviceId);
      if (dev !== undefined) emission.closeAll(dev);
      return emission.finish();
    },
    partitionInfo(partition) {
      const part = state.partitions.get(partition);
      if (part === undefined) return undefined;
      let oldest: number | null = null;
      for (const start of part.buckets.keys()) if (oldest === null || start < oldest) oldest = start;
      return { watermark: part.watermark, maxEventTs: part.maxEventTs, oldestOpenWindowStart: oldest };
    },
    snapshotSize: () => sizeOf(state),
    holeCount(deviceId) {
      let n = 0;
      for (const i of state.devices.get(deviceId)?.ifaces.values() ?? []) n += i.holes?.length ?? 0;
      return n;
    },
  };
}

function sizeOf(state: EngineState): EngineSize {
  const size = { partitions: state.partitions.size, devices: state.devices.size, interfaces: 0, deviceWindows: 0, interfaceWindows: 0 };
  for (const dev of state.devices.values()) {
    size.interfaces += dev.ifaces.size;
    size.deviceWindows += dev.windows.size;
    for (const dw of dev.windows.values()) size.interfaceWindows += dw.memberCount;
  }
  return size;
}

export interface Rates {
  /** octets/s and packets/s */
  inOctets?: number;
  outOctets?: number;
  inPackets?: number;
  outPackets?: number;
  speed?: number;
  width?: 64 | 32;
  /** counter value at sec 0 (all counters), wrapped to the width */
  offset?: bigint;
}

/** An interface whose counters grew at constant rates since sec 0. */
export function steady(ifIndex: number, sec: number, r: Rates = {}): InterfaceCounters {
  const width = r.width ?? 64;
  const mod = 1n << BigInt(width);
  const at = (rate = 0): bigint => ((r.offset ?? 0n) + BigInt(Math.round(rate * sec))) % mod;
  return iface(ifIndex, {
    width,
    speed: r.speed ?? 1e9,
    inOctets: at(r.inOctets),
    outOctets: at(r.outOctets),
    inPackets: at(r.inPackets),
    outPackets: at(r.outPackets),
  });
}

export function iface(ifIndex: number, over: Partial<InterfaceCounters> = {}): InterfaceCounters {
  return {
    ifIndex,
    name: `eth${ifIndex}`,
    alias: '',
    speed: 1e9,
    operStatus: 'up',
    width: 64,
    inOctets: 0n,
    outOctets: 0n,
    inPackets: 0n,
    outPackets: 0n,
    discontinuityTime: 0,
    ...over,
  };
}

/** A poll at `sec`; sysUpTime follows the wall clock from 10 000 s unless given (centiseconds). */
export function sample(deviceId: string, sec: number, interfaces: InterfaceCounters[], sysUpTime = 1_000_000 + sec * 100): CounterSample {
  return { v: 1, kind: 'counter-sample', deviceId, source: 'snmp', ts: at(sec), sysUpTime, interfaces };
}

export function pcap(deviceId: string, ifIndex: number, startSec: number, endSec: number, inOctets: bigint, inPackets = 1n, final = false): TrafficDelta {
  return {
    v: 1,
    kind: 'traffic-delta',
    deviceId,
    source: 'pcap',
    ifIndex,
    ifName: `cap${ifIndex}`,
    start: at(startSec),
    end: at(endSec),
    inOctets,
    outOctets: 0n,
    inPackets,
    outPackets: 0n,
    final,
  };
}

/** Collects every output of an engine; `last` is the most recent call's. */
export class Recorder {
  windows: WindowResultInput[] = [];
  events: EngineEvent[] = [];
  last: EngineOutput = { windows: [], events: [] };

  take(o: EngineOutput): EngineOutput {
    this.windows.push(...o.windows);
    this.events.push(...o.events);
    this.last = o;
    return o;
  }

  /** Results of one series and window start (seconds after BASE), in emission order. */
  find(deviceId: string, ifIndex: number | null, startSec: number): WindowResultInput[] {
    return this.windows.filter((w) => w.deviceId === deviceId && w.ifIndex === ifIndex && w.windowStart === at(startSec));
  }

  one(deviceId: string, ifIndex: number | null, startSec: number): WindowResultInput {
    const found = this.find(deviceId, ifIndex, startSec);
    if (found.length !== 1) throw new Error(`expected one result for ${deviceId}/${ifIndex}@${startSec}, got ${found.length}`);
    return found[0];
  }

  kinds(): string[] {
    return this.events.map((e) => (e.reason === undefined ? e.kind : `${e.kind}:${e.reason}`));
  }
}

/** Feeds records on partition 0 with processing time 0 unless given. */
export function feed(e: WindowEngine, rec: Recorder, records: Array<CounterSample | TrafficDelta>, partition = 0, processingTimeMs = 0): void {
  for (const r of records) rec.take(e.ingest(r, partition, processingTimeMs));
}

/** Float fields compared to 1e-9 relative; everything else exactly. */
export function assertResult(got: WindowResultInput, want: Partial<WindowResultInput>): void {
  for (const [key, value] of Object.entries(want)) {
    const g = (got as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number' && typeof g === 'number' && !Number.isInteger(value)) {
      assert.ok(Math.abs(g - value) <= 1e-9 * Math.max(1, Math.abs(value)), `${key}: got ${g}, want ${value}`);
    } else {
      assert.equal(g, value, key);
    }
  }
}
