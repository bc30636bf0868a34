// Per-window accumulators and the WindowResultInput built from them. Pure data, no policy: the
// engine decides when a window is emitted; this file only adds pieces and computes the numbers.
// Rules:
// - Totals are exact integer sums of apportioned pieces. They are kept in doubles while below 2^53
//   (every realistic window: 2^53 octets is 9 PB) and in bigint from the first piece that would
//   pass it. Why: a bigint `+=` allocates, and accumulators live a whole window, so bigint sums
//   were promoted to the old generation by the million and GC took half the time; a double in an
//   array is updated in place. They become bigint again in the emitted WindowResultInput.
// - Rates are averages over the covered part of the window, so a hole lowers coverage, not rate.
// - Device rollup (ifIndex null) over the interfaces that have data in the window:
//   totals, bit/s and packet/s are sums of the interfaces' (each is that interface's average over
//   its own covered time, so one interface's hole does not dilute the device rate);
//   speed = sum of known speeds; utilization = bit/s of interfaces with a known speed / that sum;
//   coverage = min over the interfaces; sampleCount = max over them (= polls that contributed);
//   peak = highest sum of interface rates over one interval reported together (one poll).
import type { WindowResultInput } from '../../common/contracts/index.js';
import { numberToU64 } from '../../common/u64.js';

/** Order of the totals arrays (same as COUNTER_NAMES). */
export const TOTALS = 8;
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

export interface InterfaceWindow {
  ifIndex: number;
  ifName: string;
  /** Latest known link speed (bit/s) among contributing samples; 0 = unknown. */
  speed: number;
  /** Exact totals in COUNTER_NAMES order while all are below 2^53; unused once `exact` is set. */
  readonly sums: number[];
  /** Exact totals once a sum would reach 2^53. */
  exact: bigint[] | null;
  coveredMs: number;
  sampleCount: number;
  peakInBps: number;
  peakOutBps: number;
  /** Last emitted revision; -1 = never emitted. */
  revision: number;
  /** Changed since last emitted. */
  dirty: boolean;
}

export interface DeviceWindow {
  readonly start: number;
  /** Its interface windows, in the order they were opened: members[0 .. memberCount). */
  members: InterfaceWindow[];
  memberCount: number;
  revision: number;
  dirty: boolean;
  /** Emitted for good and dropped: never touched again. */
  closed: boolean;
  peakInBps: number;
  peakOutBps: number;
  // Running sum of interface rates for the interval [burstT0, burstT1) being added (one poll).
  burstT0: number;
  burstT1: number;
  burstInBps: number;
  burstOutBps: number;
}

/** `members` may be a dropped window's array, reused (entries past memberCount are stale). */
export function newDeviceWindow(start: number, members: InterfaceWindow[] = []): DeviceWindow {
  return {
    start,
    members,
    memberCount: 0,
    revision: -1,
    dirty: false,
    closed: false,
    peakInBps: 0,
    peakOutBps: 0,
    burstT0: -1,
    burstT1: -1,
    burstInBps: 0,
    burstOutBps: 0,
  };
}

export function newInterfaceWindow(ifIndex: number, ifName: string): InterfaceWindow {
  return { ifIndex, ifName, speed: 0, sums: newSums(), exact: null, coveredMs: 0, sampleCount: 0, peakInBps: 0, peakOutBps: 0, revision: -1, dirty: false };
}

export function addMember(dw: DeviceWindow, w: InterfaceWindow): void {
  if (dw.memberCount < dw.members.length) dw.members[dw.memberCount] = w;
  else dw.members.push(w);
  dw.memberCount++;
}

/** The member window of interface `ifIndex`, or null (linear: only for out-of-order pcap buckets). */
export function findMember(dw: DeviceWindow, ifIndex: number): InterfaceWindow | null {
  for (let m = 0; m < dw.memberCount; m++) if (dw.members[m].ifIndex === ifIndex) return dw.members[m];
  return null;
}

/** Makes a dropped window new again for another interface (the engine pools them: fewer survivors for the GC). */
export function recycleInterfaceWindow(w: InterfaceWindow, ifIndex: number, ifName: string): InterfaceWindow {
  w.ifIndex = ifIndex;
  w.ifName = ifName;
  w.speed = 0;
  w.sums.fill(0);
  w.exact = null;
  w.coveredMs = 0;
  w.sampleCount = 0;
  w.peakInBps = 0;
  w.peakOutBps = 0;
  w.revision = -1;
  w.dirty = false;
  return w;
}

/** All zeros, but created with double elements so sums past 2^30 never change the array's kind. */
function newSums(): number[] {
  const sums = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
  sums.fill(0);
  return sums;
}

function toExact(w: InterfaceWindow): bigint[] {
  w.exact ??= w.sums.map((n) => BigInt(n));
  return w.exact;
}

/** One interval's rates (bit/s over its whole [t0, t1)), shared by all the windows it is split into. */
export interface PieceRates {
  t0: number;
  t1: number;
  inBps: number;
  outBps: number;
}

/** Adds one apportioned piece; `parts` (integers below 2^53) in COUNTER_NAMES order. */
export function addPiece(dw: DeviceWindow, w: InterfaceWindow, parts: readonly number[], overlapMs: number, rates: PieceRates, speed: number): void {
  if (w.exact === null) {
    const sums = w.sums;
    for (let i = 0; i < TOTALS; i++) {
      const s = sums[i] + parts[i];
      if (s > MAX_EXACT) {
        const exact = toExact(w);
        for (let j = i; j < TOTALS; j++) exact[j] += BigInt(parts[j]);
        break;
      }
      sums[i] = s;
    }
  } else {
    for (let i = 0; i < TOTALS; i++) w.exact[i] += BigInt(parts[i]);
  }
  notePiece(dw, w, overlapMs, rates, speed);
}

/** addPiece for parts of any size (the bigint apportioning path). */
export function addPieceExact(dw: DeviceWindow, w: InterfaceWindow, parts: readonly bigint[], overlapMs: number, rates: PieceRates, speed: number): void {
  const exact = toExact(w);
  for (let i = 0; i < TOTALS; i++) exact[i] += parts[i];
  notePiece(dw, w, overlapMs, rates, speed);
}

function notePiece(dw: DeviceWindow, w: InterfaceWindow, overlapMs: number, rates: PieceRates, speed: number): void {
  w.coveredMs += overlapMs;
  w.sampleCount++;
  if (speed > 0) w.speed = speed;
  if (rates.inBps > w.peakInBps) w.peakInBps = rates.inBps;
  if (rates.outBps > w.peakOutBps) w.peakOutBps = rates.outBps;
  w.dirty = true;

  if (dw.burstT0 !== rates.t0 || dw.burstT1 !== rates.t1) {
    dw.burstT0 = rates.t0;
    dw.burstT1 = rates.t1;
    dw.burstInBps = 0;
    dw.burstOutBps = 0;
  }
  dw.burstInBps += rates.inBps;
  dw.burstOutBps += rates.outBps;
  if (dw.burstInBps > dw.peakInBps) dw.peakInBps = dw.burstInBps;
  if (dw.burstOutBps > dw.peakOutBps) dw.peakOutBps = dw.burstOutBps;
  dw.dirty = true;
}

/** count per covered second; duplicated pcap buckets could overlap, so covered time is capped. */
function perSecond(count: number, coveredMs: number, windowMs: number): number {
  const ms = coveredMs < windowMs ? coveredMs : windowMs;
  return ms > 0 ? (count * 1000) / ms : 0;
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

/** Totals as numbers for rates (exact below 2^53, close enough above). */
const approxTotals = (w: InterfaceWindow): readonly number[] => (w.exact === null ? w.sums : w.exact.map(Number));
const exactTotals = (w: InterfaceWindow): readonly bigint[] => w.exact ?? w.sums.map((n) => BigInt(n));

export function interfaceResult(deviceId: string, start: number, windowMs: number, w: InterfaceWindow): WindowResultInput {
  if (w.exact === null) return resultOf(deviceId, start, windowMs, w, w.sums);
  return resultOf(deviceId, start, windowMs, w, w.exact.map(Number), w.exact);
}

/** BigInt(n) for an exact total; zero (most errors and discards) without making a bigint. */
const big = (n: number): bigint => (n === 0 ? 0n : numberToU64(n));

function resultOf(deviceId: string, start: number, windowMs: number, w: InterfaceWindow, n: readonly number[], t?: readonly bigint[]): WindowResultInput {
  const inBps = perSecond(n[0], w.coveredMs, windowMs) * 8;
  const outBps = perSecond(n[1], w.coveredMs, windowMs) * 8;
  const speed = w.speed > 0 ? w.speed : null;
  return {
    deviceId,
    ifIndex: w.ifIndex,
    ifName: w.ifName,
    windowStart: start,
    windowEnd: start + windowMs,
    inOctets: t === undefined ? big(n[0]) : t[0],
    outOctets: t === undefined ? big(n[1]) : t[1],
    inPackets: t === undefined ? big(n[2]) : t[2],
    outPackets: t === undefined ? big(n[3]) : t[3],
    inErrors: t === undefined ? big(n[4]) : t[4],
    outErrors: t === undefined ? big(n[5]) : t[5],
    inDiscards: t === undefined ? big(n[6]) : t[6],
    outDiscards: t === undefined ? big(n[7]) : t[7],
    inBps,
    outBps,
    inPps: perSecond(n[2], w.coveredMs, windowMs),
    outPps: perSecond(n[3], w.coveredMs, windowMs),
    inAvgPacketSize: ratio(n[0], n[2]),
    outAvgPacketSize: ratio(n[1], n[3]),
    speed,
    inUtilization: speed === null ? null : (inBps / speed) * 100,
    outUtilization: speed === null ? null : (outBps / speed) * 100,
    peakInBps: w.peakInBps,
    peakOutBps: w.peakOutBps,
    coverage: Math.min(w.coveredMs, windowMs) / windowMs,
    sampleCount: w.sampleCount,
    revision: w.revision,
  };
}

/** The device rollup over every interface window of `dw` (see the header for the rules). */
export function deviceResult(deviceId: string, dw: DeviceWindow, windowMs: number): WindowResultInput {
  const sums = [0, 0, 0, 0, 0, 0, 0, 0];
  let anyExact = false;
  let inBps = 0, outBps = 0, inPps = 0, outPps = 0;
  let speed = 0, inBpsKnown = 0, outBpsKnown = 0;
  let coveredMs = windowMs, sampleCount = 0;
  for (let m = 0; m < dw.memberCount; m++) {
    const w = dw.members[m];
    const n = approxTotals(w);
    if (w.exact !== null) anyExact = true;
    for (let i = 0; i < TOTALS; i++) sums[i] += n[i];
    const ifInBps = perSecond(n[0], w.coveredMs, windowMs) * 8;
    const ifOutBps = perSecond(n[1], w.coveredMs, windowMs) * 8;
    inBps += ifInBps;
    outBps += ifOutBps;
    inPps += perSecond(n[2], w.coveredMs, windowMs);
    outPps += perSecond(n[3], w.coveredMs, windowMs);
    if (w.speed > 0) {
      speed += w.speed;
      inBpsKnown += ifInBps;
      outBpsKnown += ifOutBps;
    }
    if (w.coveredMs < coveredMs) coveredMs = w.coveredMs;
    if (w.sampleCount > sampleCount) sampleCount = w.sampleCount;
  }
  let t: bigint[];
  if (anyExact || sums.some((v) => v > MAX_EXACT)) {
    t = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
    for (let m = 0; m < dw.memberCount; m++) {
      const e = exactTotals(dw.members[m]);
      for (let i = 0; i < TOTALS; i++) t[i] += e[i];
    }
  } else {
    t = sums.map(big);
  }
  return {
    deviceId,
    ifIndex: null,
    ifName: null,
    windowStart: dw.start,
    windowEnd: dw.start + windowMs,
    inOctets: t[0],
    outOctets: t[1],
    inPackets: t[2],
    outPackets: t[3],
    inErrors: t[4],
    outErrors: t[5],
    inDiscards: t[6],
    outDiscards: t[7],
    inBps,
    outBps,
    inPps,
    outPps,
    inAvgPacketSize: ratio(sums[0], sums[2]),
    outAvgPacketSize: ratio(sums[1], sums[3]),
    speed: speed > 0 ? speed : null,
    inUtilization: speed > 0 ? (inBpsKnown / speed) * 100 : null,
    outUtilization: speed > 0 ? (outBpsKnown / speed) * 100 : null,
    peakInBps: dw.peakInBps,
    peakOutBps: dw.peakOutBps,
    coverage: coveredMs / windowMs,
    sampleCount,
    revision: dw.revision,
  };
}

/** Output order: windowStart, deviceId, ifIndex with the device rollup (null) last. */
export function compareResults(a: WindowResultInput, b: WindowResultInput): number {
  if (a.windowStart !== b.windowStart) return a.windowStart - b.windowStart;
  if (a.deviceId !== b.deviceId) return a.deviceId < b.deviceId ? -1 : 1;
  return (a.ifIndex ?? Number.MAX_SAFE_INTEGER) - (b.ifIndex ?? Number.MAX_SAFE_INTEGER);
}

/** Sorts in output order; usually a no-op check, as windows are emitted in interface order. */
export function sortResults(results: WindowResultInput[]): void {
  for (let i = 1; i < results.length; i++) {
    if (compareResults(results[i - 1], results[i]) > 0) {
      results.sort(compareResults);
      return;
    }
  }
}
